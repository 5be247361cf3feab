import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { asksBetweenSql, asksPerHourSql, type RecordedAsk } from "../src/audit/recorded-asks";
import { callsBetweenSql, type RecordedCall } from "../src/audit/recorded-calls";
import { CALL_DEFAULTS } from "../src/limits/policy";
import { dailyUse, percentile } from "../src/simulation/daily-use";
import { replay } from "../src/simulation/replay";
import { askReveal, call, callWith, createRecords, json, recordBody } from "./support/api";
import { countingDb } from "./support/counting-db";
import { policyRow } from "./support/policy-rows";
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
	calls: { calls: number; recorded: { granted: number; refused: number }; current: { refused: number }; proposed: { refused: number } };
	bound: { max_asks: number; asks_read: number; max_calls: number; calls_read: number };
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

	it("bounded work: four D1 reads, each on its partial index; one depot reads only that depot's asks and calls", async () => {
		const { ops } = await recordedDay("pt");
		const counted = countingDb(env.DB);
		const body = { days: 14, depot: "PT-1", layers: [{ layer: "employee", target: "pt-clerk", mode: "report-only", daily_limit: 5, distinct_limit: 5 }] };
		const response = await callWith({ DB: counted.db }, "POST", "/v1/policies/simulate", { token: ops, body });
		expect(response.status).toBe(200);
		const result = await json<Simulation>(response);
		// The asks, the calls, the suspensions and reinstatements, today's layers (the authentication reads none).
		expect(counted.count()).toBeLessThanOrEqual(4);
		expect(result.principals.map((p) => p.subject)).not.toContain("pt-prober");
		expect(result.bound).toEqual({ max_asks: 100_000, asks_read: result.asks + 1, max_calls: 100_000, calls_read: 0 });
		// A report-only proposal refuses nothing more, and flags what it would have refused.
		expect(result.proposed.refused).toBe(result.current.refused);
		expect(result.proposed.flagged).toBeGreaterThan(result.current.flagged);

		for (const [sql, index] of [
			[asksBetweenSql(false), "audit_log_asks_at"],
			[asksBetweenSql(true), "audit_log_asks_depot_at"],
			[asksPerHourSql(false), "audit_log_asks_at"],
			[asksPerHourSql(true), "audit_log_asks_depot_at"],
			[callsBetweenSql(false), "audit_log_calls_at"],
			[callsBetweenSql(true), "audit_log_calls_depot_at"],
		] as const) {
			// Every query leaves out the witness's forged seqs, bound last (an empty list here).
			const parameters = sql.includes("?5") ? [0, 1, "PS-1", 10, "[]"] : [0, 1, "PS-1", "[]"];
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

describe("calls replayed beside the asks (pure)", () => {
	const ISS = "https://issuer.test";
	const T0 = Date.UTC(2026, 10, 20, 1, 0);
	const MIN = 60_000;
	const DAY = 86_400_000;
	const from = T0 - MIN;
	const to = T0 + DAY / 2;
	let seq = 0;
	const callOf = (at: number, recordId: string, overrides: Partial<RecordedCall> = {}): RecordedCall => ({
		seq: ++seq,
		at,
		kind: "call.granted",
		issuer: ISS,
		subject: "cw-courier",
		role: "courier",
		depot: "CW-1",
		recordId,
		reason: null,
		callId: `call_${seq}`,
		reused: false,
		legRefusal: false,
		action: null,
		...overrides,
	});
	const askOf = (at: number, recordId: string, overrides: Partial<RecordedAsk> = {}): RecordedAsk => ({
		seq: ++seq,
		at,
		granted: true,
		issuer: ISS,
		subject: "cw-courier",
		role: "courier",
		depot: "CW-1",
		recordId,
		reason: null,
		...overrides,
	});
	const burst = CALL_DEFAULTS.courier.burst;
	/** A courier's busy ten minutes: `burst` calls granted, one refused at the limit, as the limiter recorded them. */
	const busy = () => [
		...Array.from({ length: burst }, (_, i) => callOf(T0 + i * 1000, `r${i}`)),
		callOf(T0 + burst * 1000, `r${burst}`, { kind: "call.denied", reason: "call_burst", callId: null }),
	];

	it("today's call limits give back the recorded outcome; a lower proposed burst refuses the calls past it, under its own name", () => {
		const calls = busy();
		const proposed = [policyRow("employee", "cw-courier", { call_burst_limit: 10, call_burst_window_seconds: 600 }, ISS)];
		const result = replay([], [], [], proposed, from, to, calls);
		expect(result.calls.calls).toBe(burst + 1);
		expect(result.calls.recorded).toEqual({ granted: burst, refused: 1 });
		expect(result.calls.current).toMatchObject({ refused: 1, byReason: { call_burst: 1 } });
		expect(result.calls.proposed).toMatchObject({ refused: burst + 1 - 10, byReason: { call_burst: burst + 1 - 10 } });
		expect(result.principals).toEqual([
			expect.objectContaining({ subject: "cw-courier", asks: 0, calls: { replayed: burst + 1, current: 1, proposed: burst + 1 - 10 } }),
		]);
		// The reveal side saw no asks and refuses nothing.
		expect(result.asks).toBe(0);
		expect(result.proposed.refused).toBe(0);
	});

	it("a binding the provider could not make is given back, and a double tap is never counted", () => {
		const calls = busy();
		// The fifth call's binding failed (given back by the limiter), so the call past the burst found room.
		calls.splice(5, 0, callOf(T0 + 4500, "r4", { kind: "call.failed", action: "BindAxb", callId: calls[4]?.callId ?? null }));
		calls.push(callOf(T0 + (burst + 1) * 1000, "r0", { reused: true }));
		calls[calls.length - 2] = { ...(calls[calls.length - 2] as RecordedCall), kind: "call.granted", reason: null, callId: "call_last" };
		const result = replay([], [], [], [], from, to, calls);
		// Every call granted as recorded: the failed one's count given back, the double tap free.
		expect(result.calls.current.refused).toBe(0);
		// An unbind failure gives nothing back.
		const unbind = busy();
		unbind.splice(5, 0, callOf(T0 + 4500, "r4", { kind: "call.failed", action: "UnbindSubscription", callId: unbind[4]?.callId ?? null }));
		expect(replay([], [], [], [], from, to, unbind).calls.current.refused).toBe(1);
	});

	it("asks and calls refused before their limiter (no such record, an assignment whose MAC failed) are not replayed", () => {
		const asks = [askOf(T0, "r1", { granted: false, reason: "assignment_unverified" }), askOf(T0 + 1, "r2", { granted: false, reason: "record_not_found" })];
		const calls = [callOf(T0 + 2, "r3", { kind: "call.denied", reason: "assignment_unverified", callId: null })];
		const result = replay(asks, [], [], [], from, to, calls);
		expect(result.asks).toBe(0);
		expect(result.calls.calls).toBe(0);
	});

	it("a call refused by the leg gate is never a probe; one whose work was never theirs is", () => {
		// Ten refusals in an hour, then a call: by the leg gate (recorded so) nobody is suspended.
		const refusals = (legRefusal: boolean) => [
			...Array.from({ length: 10 }, (_, i) => callOf(T0 + i * MIN, `r${i}`, { kind: "call.denied", reason: "no_open_leg", callId: null, legRefusal })),
			callOf(T0 + 11 * MIN, "r10"),
		];
		const gated = replay([], [], [], [], from, to, refusals(true));
		expect(gated.calls.current).toMatchObject({ refused: 10, byReason: { no_open_leg: 10 } });
		// The same reason without the mark is a probe each (DESIGN: ten in an hour suspend): the tenth suspends, the call after them is refused.
		const probed = replay([], [], [], [], from, to, refusals(false));
		expect(probed.calls.current.byReason).toEqual({ no_open_leg: 9, out_of_scope_probing: 1, suspended: 1 });
	});

	it("calls and reveals share one suspension: a call about a honeytoken suspends, and the reveals after it are refused", () => {
		const calls = [callOf(T0, "trap", { kind: "call.denied", reason: "honeytoken", callId: null })];
		const asks = [askOf(T0 + MIN, "r1", { granted: false, reason: "suspended" }), askOf(T0 + 2 * MIN, "r2", { granted: false, reason: "suspended" })];
		const result = replay(asks, [], [], [], from, to, calls);
		expect(result.calls.current.byReason).toEqual({ honeytoken: 1 });
		expect(result.current).toMatchObject({ refused: 2, byReason: { suspended: 2 }, disagreements: 0 });
		// Detection flags the honeytoken caller: not counted among honest use.
		expect(result.roles.find((role) => role.role === "courier")?.honest.days).toBe(0);
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
