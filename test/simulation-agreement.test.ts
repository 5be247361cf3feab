import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type SimRecord, VaultModel } from "../bench/simulate/model";
import type { EmployeePrincipal, Role } from "../src/auth/principal";
import type { PolicyRow } from "../src/limits/policy";
import { call, callWith, createRecords, json, recordBody } from "./support/api";
import { simulatorPool } from "./support/telephony";
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
		// The reveal route does not yet consult legs, so the model is run without its leg gate here.
		const model = new VaultModel(records, (await env.DB.prepare("SELECT * FROM policies").all<PolicyRow>()).results, "off");

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

	it("calls: own parcels, a double tap, a parcel re-routed away and probing elsewhere get the same answers from both", async () => {
		const pool = await simulatorPool({ numbers: Array.from({ length: 5 }, (_, i) => String(17200000000 + i)) });
		const service = await serviceToken("records:write records:read");
		const at = new Date(Date.now() - 60_000).toISOString();
		const bodies = [
			...Array.from({ length: 3 }, () =>
				recordBody({ depot: "AGC1", courier: "agc-courier", contact: { name: "王五", phone: "13912345678", address: "深圳市1号" } }),
			),
			...Array.from({ length: 2 }, () =>
				recordBody({ depot: "AGC2", courier: "agc-other", contact: { name: "赵六", phone: "13712345678", address: "深圳市2号" } }),
			),
		];
		const ids = (await json<{ ids: string[] }>(await call("POST", "/v1/records/batch", { token: service, body: { records: bodies } }))).ids;
		const wire = bodies.map((body) => ({ shipment_id: body.shipment_id, type: "out_for_delivery", courier: body.courier, depot: body.depot, at }));
		// The second parcel moves to the other courier: the first courier's screen still lists it.
		wire.push({
			shipment_id: bodies[1]?.shipment_id as string,
			type: "out_for_delivery",
			courier: "agc-other",
			depot: "AGC1",
			at: new Date(Date.now() - 30_000).toISOString(),
		});
		expect((await call("POST", "/v1/shipment-events", { token: service, body: { events: wire } })).status).toBe(200);

		const records = new Map<string, SimRecord>(
			bodies.map((body, i) => [
				ids[i] as string,
				{
					id: ids[i] as string,
					party: "recipient",
					depot: body.depot,
					courier: body.courier,
					courierIssuer: TEST_ISSUER,
					honeytoken: false,
					shipmentId: body.shipment_id,
				},
			]),
		);
		const model = new VaultModel(records, (await env.DB.prepare("SELECT * FROM policies").all<PolicyRow>()).results);
		model.addEvents(
			wire.map((event, n) => ({
				shipmentId: event.shipment_id as string,
				n,
				type: "out_for_delivery" as const,
				courier: { subject: event.courier, issuer: TEST_ISSUER },
				depot: event.depot,
				at: Date.parse(event.at),
			})),
		);
		const who: EmployeePrincipal = {
			kind: "employee",
			subject: "agc-courier",
			issuer: TEST_ISSUER,
			role: "courier",
			depot: "AGC1",
			scopes: new Set(["reveal"]),
		};
		const bearer = await token({ sub: who.subject, role: "courier", depot: who.depot, scope: "reveal", extra: { phone_number: "+8613600000001" } });
		const [own, moved, third, elsewhere, elsewhere2] = ids as [string, string, string, string, string];
		const script = [own, own, moved, third, ...Array.from({ length: 12 }, (_, i) => (i % 2 ? elsewhere : elsewhere2))];
		const real: number[] = [];
		const simulated: number[] = [];
		for (const recordId of script) {
			const response = await callWith({ TELEPHONY: pool.telephony }, "POST", "/v1/calls", {
				token: bearer,
				body: { record_id: recordId, purpose: "delivery" },
			});
			real.push(response.status);
			simulated.push(model.call(who, recordId, "delivery", Date.now()).status);
		}
		expect(simulated).toEqual(real);
		// The story they agree on: the own parcel binds (a double tap is the same binding), the moved one is refused,
		// and twelve calls about another depot's parcels are refused without a suspension.
		expect(real).toEqual([201, 201, 403, 201, ...Array(12).fill(403)]);
	});
});
