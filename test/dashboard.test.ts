import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { askReveal, call, callWith, createRecords, json, recordBody } from "./support/api";
import { countingDb } from "./support/counting-db";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, token } from "./support/tokens";

interface Dashboard {
	hours: { hour: string; depot: string | null; reveals: number; refused: number }[];
	depots: { depot: string; reveals_24h: number; budget: number; share: number }[];
	employees: {
		subject: string;
		role: string | null;
		depot: string | null;
		tightest: { kind: string; limit: number; used: number; share: number } | null;
		near_quota: boolean;
		flags: string[];
		grants_24h: number;
		out_of_scope_last_hour: number;
	}[];
	alerts: { id: string; kind: string; subject: string | null; state: string }[];
	truncated: boolean;
}

const dashboard = async (bearer: string, query = "") => {
	const response = await call("GET", `/v1/dashboard${query}`, { token: bearer });
	expect(response.status).toBe(200);
	return { body: await json<Dashboard>(response.clone()), text: await response.text() };
};

describe("GET /v1/dashboard", () => {
	it("puts a harvesting clerk at the top with their flag, counts reveals per hour and depot against its budget, and lists open alerts", async () => {
		const ops = await token({ sub: "ops-dash", scope: "ops" });
		const service = await serviceToken();
		expect(
			(
				await call("PUT", "/v1/policies/depot/DB-1", {
					token: ops,
					body: { mode: "enforce", burst_limit: 30, burst_window_seconds: 600, daily_limit: 10, distinct_limit: 10, depot_daily_budget: 40 },
				})
			).status,
		).toBe(201);
		const records = await createRecords(service, 14, { depot: "DB-1", courier: "db-someone" });
		const elsewhere = await createRecords(service, 2, { depot: "DB-2", courier: "db-other" });
		const harvester = await employeeToken("clerk", "db-harvester", "DB-1");
		const steady = await employeeToken("clerk", "db-steady", "DB-1");
		const curious = await employeeToken("clerk", "db-curious", "DB-1");
		for (const id of records.slice(0, 9)) expect((await askReveal(harvester, id)).status).toBe(201);
		for (const id of records.slice(9, 11)) expect((await askReveal(steady, id)).status).toBe(201);
		for (const id of elsewhere) expect((await askReveal(curious, id)).status).toBe(403);
		const trap = (await json<{ record_id: string }>(await call("POST", "/v1/honeytokens", { token: ops, body: { record: recordBody({ depot: "DB-1" }) } })))
			.record_id;
		expect((await askReveal(curious, trap)).status).toBe(423);
		await settle(harvester, steady, curious);

		const { body, text } = await dashboard(ops);
		// Near quota: 9 of the depot's daily 10, the tightest limit, at the top.
		expect(body.employees[0]).toMatchObject({
			subject: "db-harvester",
			role: "clerk",
			depot: "DB-1",
			tightest: { limit: 10, used: 9, share: 0.9 },
			near_quota: true,
			flags: ["near_quota"],
			grants_24h: 9,
		});
		expect(["daily", "distinct"]).toContain(body.employees[0]?.tightest?.kind);
		const curiousRow = body.employees.find((row) => row.subject === "db-curious");
		expect(curiousRow?.flags).toEqual(expect.arrayContaining(["honeytoken_touched", "out_of_scope_asks", "suspended"]));
		expect(curiousRow?.out_of_scope_last_hour).toBe(2);
		expect(body.employees.find((row) => row.subject === "db-steady")).toMatchObject({ near_quota: false, flags: [], tightest: { used: 2 } });

		const db1 = body.hours.filter((row) => row.depot === "DB-1");
		expect(db1.reduce((sum, row) => sum + row.reveals, 0)).toBe(11);
		expect(db1.reduce((sum, row) => sum + row.refused, 0)).toBe(3);
		expect(body.depots.find((row) => row.depot === "DB-1")).toEqual({ depot: "DB-1", reveals_24h: 11, budget: 40, share: 11 / 40 });
		const alert = body.alerts.find((row) => row.subject === "db-curious" && row.kind === "honeytoken_touched");
		expect(alert).toMatchObject({ state: "open" });
		expect(body.truncated).toBe(false);
		// Counts, principals and depots: never a customer's name, phone or address.
		for (const plaintext of ["张三", "13812345678", "138 1234 5678", "科技园路"]) expect(text).not.toContain(plaintext);

		// A resolved alert leaves the dashboard; one depot shows only its own.
		expect((await call("POST", `/v1/alerts/${alert?.id}/resolve`, { token: ops, body: { note: "handled" } })).status).toBe(200);
		const after = (await dashboard(ops, "?depot=DB-2&days=7")).body;
		expect(after.alerts.map((row) => row.id)).not.toContain(alert?.id);
		expect(after.hours.every((row) => row.depot === "DB-2")).toBe(true);
		expect(after.employees.map((row) => row.subject)).not.toContain("db-harvester");
	});

	it("is for ops only, takes 1–7 days, and makes a bounded number of D1 reads", async () => {
		const ops = await token({ sub: "ops-dash-2", scope: "ops" });
		expect((await call("GET", "/v1/dashboard", { token: await employeeToken("supervisor", "db-super", "DB-1") })).status).toBe(403);
		expect((await call("GET", "/v1/dashboard?days=8", { token: ops })).status).toBe(422);
		expect((await call("GET", "/v1/dashboard?days=0", { token: ops })).status).toBe(422);
		const counted = countingDb(env.DB);
		expect((await callWith({ DB: counted.db }, "GET", "/v1/dashboard?days=7", { token: ops })).status).toBe(200);
		// Hourly asks and calls, the last day's asks, unresolved alerts, suspended principals, the policy layers.
		expect(counted.count()).toBeLessThanOrEqual(6);
	});
});
