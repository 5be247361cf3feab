import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { asksBetweenSql, asksPerHourSql } from "../src/audit/recorded-asks";
import { dailyUse, percentile } from "../src/simulation/daily-use";
import { askReveal, call, callWith, createRecords, json, recordBody } from "./support/api";
import { countingDb } from "./support/counting-db";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, TEST_ISSUER, token } from "./support/tokens";

interface Simulation {
	asks: number;
	recorded: { granted: number; refused: number };
	current: { refused: number; by_reason: Record<string, number>; flagged: number; disagreements: number };
	proposed: { refused: number; by_reason: Record<string, number>; flagged: number };
	principals: { subject: string; role: string | null; asks: number; current: { refused: number }; proposed: { refused: number } }[];
	roles: {
		role: string;
		days: number;
		p50: number;
		max: number;
		honest: { days: number; p50: number; p99: number; max: number };
		suggested_daily_limit: number | null;
	}[];
	bound: { max_asks: number; asks_read: number };
}

const simulate = (bearer: string, body: unknown) => call("POST", "/v1/policies/simulate", { token: bearer, body });

/** A recorded day at depot `${p}-1` under a tight depot layer: limit refusals, scope refusals, a prober suspended, a honeytoken touched. */
async function recordedDay(p: string) {
	const ops = await token({ sub: "ops-sim", scope: "ops" });
	const service = await serviceToken();
	const layer = { mode: "enforce", burst_limit: 20, burst_window_seconds: 600, daily_limit: 8, distinct_limit: 6 };
	expect((await call("PUT", `/v1/policies/depot/${p.toUpperCase()}-1`, { token: ops, body: layer })).status).toBe(201);
	const depotRecords = await createRecords(service, 12, { depot: `${p.toUpperCase()}-1`, courier: `${p}-someone` });
	const courierRecords = await createRecords(service, 4, { depot: `${p.toUpperCase()}-1`, courier: `${p}-courier` });
	const honestRecords = await createRecords(service, 3, { depot: `${p.toUpperCase()}-1`, courier: `${p}-courier-2` });
	const trap = (
		await json<{ record_id: string }>(await call("POST", "/v1/honeytokens", { token: ops, body: { record: recordBody({ depot: `${p.toUpperCase()}-1` }) } }))
	).record_id;

	const clerk = await employeeToken("clerk", `${p}-clerk`, `${p.toUpperCase()}-1`);
	const courier = await employeeToken("courier", `${p}-courier`, `${p.toUpperCase()}-1`);
	const honest = await employeeToken("courier", `${p}-courier-2`, `${p.toUpperCase()}-1`);
	const prober = await employeeToken("clerk", `${p}-prober`, `${p.toUpperCase()}-2`);
	const sampler = await employeeToken("clerk", `${p}-sampler`, `${p.toUpperCase()}-1`);
	const r = (i: number) => depotRecords[i] as string;
	const statuses: number[] = [];
	// The clerk: six records (distinct reached), one again (free), a seventh (distinct), the eighth grant, then the daily cap.
	for (const id of [r(0), r(1), r(2), r(3), r(4), r(5), r(0), r(6), r(1), r(2), r(7)]) statuses.push((await askReveal(clerk, id)).status);
	expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 201, 429, 201, 429, 429]);
	for (const id of courierRecords.slice(0, 3)) expect((await askReveal(courier, id)).status).toBe(201);
	expect((await askReveal(courier, r(8))).status).toBe(403);
	for (const id of honestRecords) expect((await askReveal(honest, id)).status).toBe(201);
	const probes: number[] = [];
	for (let i = 0; i < 11; i++) probes.push((await askReveal(prober, depotRecords[i % 12] as string)).status);
	expect(probes).toEqual([...new Array(9).fill(403), 423, 423]);
	expect((await askReveal(sampler, r(9))).status).toBe(201);
	expect((await askReveal(sampler, trap)).status).toBe(423);
	// An ask for an erased record is refused before the limiter decides anything: recorded, never replayed.
	expect((await call("DELETE", `/v1/records/${r(11)}`, { token: service })).status).toBe(204);
	expect((await askReveal(sampler, r(11))).status).toBe(404);
	await settle(clerk, courier, honest, prober, sampler);
	return { ops, service, clerk };
}

describe("POST /v1/policies/simulate", () => {
	it("replays the recorded day through the real decision code: today's layers give back exactly the recorded refusals, the proposed ones their own", async () => {
		const { ops } = await recordedDay("ps");
		const response = await simulate(ops, {
			days: 1,
			layers: [{ layer: "depot", target: "PS-1", mode: "enforce", burst_limit: 20, burst_window_seconds: 600, daily_limit: 4, distinct_limit: 4 }],
		});
		expect(response.status).toBe(200);
		const result = await json<Simulation>(response);

		// What the vault recorded, read straight from the log: every ask the limiter decided.
		const { results: denied } = await env.DB.prepare(
			"SELECT actor, details ->> '$.reason' AS reason FROM audit_log WHERE kind = 'reveal.denied' AND details ->> '$.reason' <> 'record_not_found'",
		).all<{ actor: string; reason: string }>();
		const granted = (await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE kind = 'reveal.granted'").first<{ n: number }>())?.n;
		expect(result.recorded).toEqual({ granted, refused: denied.length });
		expect(result.asks).toBe((granted ?? 0) + denied.length);
		// Today's layers, replayed, refuse the same asks of the same principals as the live limiter did.
		expect(result.current.disagreements).toBe(0);
		expect(result.current.refused).toBe(denied.length);
		for (const principal of result.principals) {
			expect(principal.current.refused, principal.subject).toBe(denied.filter((row) => row.actor === principal.subject).length);
		}
		expect(result.current.by_reason).toEqual({ distinct: 1, daily: 2, out_of_scope: 10, out_of_scope_probing: 1, suspended: 1, honeytoken: 1 });

		// The proposal (daily 4, distinct 4 at PS-1) refuses more of the clerk's asks, and nobody else's differently.
		const clerk = result.principals.find((p) => p.subject === "ps-clerk");
		expect(clerk).toMatchObject({ asks: 11, current: { refused: 3 }, proposed: { refused: 7 } });
		expect(result.proposed.refused).toBe(result.current.refused + 4);
		// Listed by how many more asks the proposal refuses: the clerk it hits, before the prober refused either way.
		expect(result.principals.map((p) => p.subject).slice(0, 2)).toEqual(["ps-clerk", "ps-prober"]);

		// Daily use per role: in-scope asks per employee-day; the honest ones exclude the prober, the sampler and the courier who asked out of scope.
		const couriers = result.roles.find((role) => role.role === "courier");
		expect(couriers).toMatchObject({ days: 2, max: 3, honest: { days: 1, p50: 3, p99: 3, max: 3 }, suggested_daily_limit: 10 });
		const clerks = result.roles.find((role) => role.role === "clerk");
		expect(clerks).toMatchObject({ honest: { days: 1, max: 11 }, suggested_daily_limit: 20 });
	});

	it("bounded work: three D1 reads, each on its partial index; one depot reads only that depot's asks", async () => {
		const { ops } = await recordedDay("pt");
		const counted = countingDb(env.DB);
		const body = { days: 14, depot: "PT-1", layers: [{ layer: "employee", target: "pt-clerk", mode: "report-only", daily_limit: 5, distinct_limit: 5 }] };
		const response = await callWith({ DB: counted.db }, "POST", "/v1/policies/simulate", { token: ops, body });
		expect(response.status).toBe(200);
		const result = await json<Simulation>(response);
		// The asks, the suspensions and reinstatements, today's layers (the authentication reads none).
		expect(counted.count()).toBeLessThanOrEqual(3);
		expect(result.principals.map((p) => p.subject)).not.toContain("pt-prober");
		expect(result.bound).toEqual({ max_asks: 100_000, asks_read: result.asks + 1 });
		// A report-only proposal refuses nothing more, and flags what it would have refused.
		expect(result.proposed.refused).toBe(result.current.refused);
		expect(result.proposed.flagged).toBeGreaterThan(result.current.flagged);

		for (const [sql, index] of [
			[asksBetweenSql(false), "audit_log_asks_at"],
			[asksBetweenSql(true), "audit_log_asks_depot_at"],
			[asksPerHourSql(false), "audit_log_asks_at"],
			[asksPerHourSql(true), "audit_log_asks_depot_at"],
		] as const) {
			const parameters = sql.includes("?4") ? [0, 1, "PS-1", 10] : [0, 1, "PS-1"];
			const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
				.bind(...parameters)
				.all<{ detail: string }>();
			expect(plan.results.map((row) => row.detail).join("; ")).toContain(`USING INDEX ${index}`);
		}
	});

	it("is for ops only, and refuses what PUT would refuse", async () => {
		const ops = await token({ sub: "ops-sim-2", scope: "ops" });
		const layer = { layer: "role", target: "courier", mode: "enforce", daily_limit: 100 };
		expect((await simulate(await employeeToken("supervisor", "ps-super", "PS-1"), { layers: [layer] })).status).toBe(403);
		expect((await simulate(await serviceToken("records:write records:read"), { layers: [layer] })).status).toBe(403);
		expect((await simulate(ops, { layers: [layer], days: 15 })).status).toBe(422);
		expect((await simulate(ops, { layers: [] })).status).toBe(422);
		const bad = async (given: Record<string, unknown>) => {
			const response = await simulate(ops, { layers: [layer, given] });
			expect(response.status).toBe(422);
			return (await json<{ errors: { pointer: string }[] }>(response)).errors.map((error) => error.pointer);
		};
		expect(await bad({ layer: "role", target: "pilot", mode: "enforce", daily_limit: 5 })).toEqual(["/layers/1/target"]);
		expect(await bad({ layer: "default", target: "x", mode: "enforce", daily_limit: 5 })).toEqual(["/layers/1/target"]);
		expect(await bad({ layer: "default", mode: "report-only", burst_limit: 1, burst_window_seconds: 60, daily_limit: 5, distinct_limit: 5 })).toEqual([
			"/layers/1/mode",
		]);
		expect(await bad({ ...layer })).toEqual(["/layers/1"]);
		expect(await bad({ layer: "employee", target: "someone", issuer: "nobody-trusts-this", mode: "enforce", daily_limit: 5 })).toEqual(["/layers/1/issuer"]);
		expect((await simulate(ops, { layers: [{ ...layer, surprise: 1 }] })).status).toBe(422);
		// An employee layer names its employee by the pair: the issuer by alias or iss.
		expect((await simulate(ops, { layers: [{ layer: "employee", target: "ps-clerk", issuer: TEST_ISSUER, mode: "enforce", daily_limit: 5 }] })).status).toBe(
			200,
		);
	});
});

describe("daily use (pure)", () => {
	it("nearest-rank percentiles, and a suggestion above every honest day", () => {
		const values = Array.from({ length: 100 }, (_, i) => i + 1);
		expect([50, 90, 99, 100].map((p) => percentile(values, p))).toEqual([50, 90, 99, 100]);
		expect(percentile([], 50)).toBe(0);
		expect(dailyUse([5, 500], [5, 7, 9])).toMatchObject({ days: 2, max: 500, honest: { days: 3, p50: 7, max: 9 }, suggestedDailyLimit: 20 });
		expect(dailyUse([3], []).suggestedDailyLimit).toBeNull();
	});
});
