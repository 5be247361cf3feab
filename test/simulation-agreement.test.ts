import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type SimRecord, VaultModel } from "../bench/simulate/model";
import type { EmployeePrincipal, Role } from "../src/auth/principal";
import type { PolicyRow } from "../src/limits/policy";
import { call, createRecords, json, recordBody } from "./support/api";
import { employeeToken, serviceToken, TEST_ISSUER, token } from "./support/tokens";

/**
 * The simulation decides with the vault's own rules in process; this runs a scaled-down slice of
 * the same attack patterns through the real worker (HTTP, D1, Durable Objects) and through the
 * simulation's model, and requires the same answer to every ask.
 */
describe("the simulation agrees with the real worker", () => {
	it("burst harvester, prober and honeytoken sampler get the same answers from both", async () => {
		const service = await serviceToken("records:write records:read");
		const ops = await token({ sub: "ops-sim", scope: "ops" });
		// The model knows no legs: every record is being returned at its depot (the clerks ask "return"), so the worker's gate agrees.
		const create = (count: number, depot: string, courier: string | undefined) => createRecords(service, count, { depot, courier }, "return");
		const ag1 = await create(30, "AG1", "ag-courier");
		const ag2 = await create(12, "AG2", "someone-else");
		const trap = (await json<{ record_id: string }>(await call("POST", "/v1/honeytokens", { token: ops, body: { record: recordBody({ depot: "AG3" }) } })))
			.record_id;
		const [ag3] = await create(1, "AG3", undefined);

		const records = new Map<string, SimRecord>();
		for (const id of ag1) records.set(id, { id, party: "recipient", depot: "AG1", courier: "ag-courier", courierIssuer: TEST_ISSUER, honeytoken: false });
		for (const id of ag2) records.set(id, { id, party: "recipient", depot: "AG2", courier: "someone-else", courierIssuer: TEST_ISSUER, honeytoken: false });
		records.set(trap, { id: trap, party: "recipient", depot: "AG3", courier: null, courierIssuer: null, honeytoken: true });
		records.set(ag3 as string, { id: ag3 as string, party: "recipient", depot: "AG3", courier: null, courierIssuer: null, honeytoken: false });
		const model = new VaultModel(records, (await env.DB.prepare("SELECT * FROM policies").all<PolicyRow>()).results);

		const who = (subject: string, role: Role, depot: string): EmployeePrincipal => ({
			kind: "employee",
			subject,
			issuer: TEST_ISSUER,
			role,
			depot,
			scopes: new Set(["reveal"]),
		});
		const script: [EmployeePrincipal, string, "return" | "delivery"][] = [
			...ag1.slice(0, 25).map((id) => [who("ag-burst", "clerk", "AG1"), id, "return"] as [EmployeePrincipal, string, "return"]),
			...ag2.slice(0, 11).map((id) => [who("ag-courier", "courier", "AG1"), id, "delivery"] as [EmployeePrincipal, string, "delivery"]),
			[who("ag-sampler", "clerk", "AG3"), ag3 as string, "return"],
			[who("ag-sampler", "clerk", "AG3"), trap, "return"],
			[who("ag-sampler", "clerk", "AG3"), ag3 as string, "return"],
		];
		const real: number[] = [];
		const simulated: number[] = [];
		for (const [employee, recordId, purpose] of script) {
			const bearer = await employeeToken(employee.role, employee.subject, employee.depot);
			real.push((await call("POST", "/v1/reveals", { token: bearer, body: { record_id: recordId, fields: ["phone"], purpose } })).status);
			simulated.push(model.ask(employee, recordId, purpose, ["phone"], Date.now()).status);
		}
		expect(simulated).toEqual(real);
		// And the story they agree on: 20 granted then limited; probing suspended on the tenth; the trap suspends.
		expect(real).toEqual([...Array(20).fill(201), ...Array(5).fill(429), ...Array(9).fill(403), 423, 423, 201, 423, 423]);
	});
});
