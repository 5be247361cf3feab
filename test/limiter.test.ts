import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../src/app";
import type { Env } from "../src/env";
import { limiterOf } from "../src/limits/limiter-client";
import { FLUSH_BACKSTOP_MS, type PrincipalLimiter } from "../src/limits/principal-limiter";
import { BUILT_IN_LEG_POLICY } from "../src/shipments/leg-policy";
import { askReveal, call, createRecords, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, TEST_ISSUER, token } from "./support/tokens";
import type { WorkKind } from "./support/work";

let service: string;
let ops: string;

beforeAll(async () => {
	service = await serviceToken("records:write records:read");
	ops = await token({ sub: "ops-alice", scope: "ops" });
});

/** Records with work reported on them: the courier's round, or (for clerks asking "return") a return at the depot. */
const records = (count: number, fields: Record<string, unknown>, work: WorkKind = "round") => createRecords(service, count, fields, work);
const draftFor = (recordId: string) => ({
	recordId,
	purpose: "delivery" as const,
	fields: ["phone" as const],
	scopeReason: null,
	jti: crypto.randomUUID(),
	expiresAt: Date.now() + 60_000,
});

const ask = askReveal;

async function setPolicy(path: string, body: Record<string, unknown>) {
	const response = await call("PUT", `/v1/policies/${path}`, { token: ops, body });
	expect([200, 201]).toContain(response.status);
	return json(response);
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe("exact limits under concurrency", () => {
	it("100 simultaneous asks against a burst limit of 10: exactly 10 granted", async () => {
		await setPolicy("employee/burst-c", { mode: "enforce", burst_limit: 10, burst_window_seconds: 600 });
		const ids = await records(100, { depot: "DB", courier: "burst-c" });
		const bearer = await employeeToken("courier", "burst-c", "DB");
		const responses = await Promise.all(ids.map((id) => ask(bearer, id)));
		const statuses = responses.map((r) => r.status);
		expect(count(statuses, 201)).toBe(10);
		expect(count(statuses, 429)).toBe(90);
		const refused = responses.find((r) => r.status === 429) as Response;
		expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
		expect(refused.headers.get("RateLimit-Policy")).toBe('"burst";q=10;w=600, "daily";q=400;w=86400, "distinct";q=300;w=86400');
		expect(refused.headers.get("RateLimit")).toMatch(/^"burst";r=0;t=\d+, "daily";r=390;t=\d+, "distinct";r=290;t=\d+$/);
		expect(await json(refused)).toMatchObject({ type: "/problems/quota-exceeded", limit: "burst" });
	});

	it("the limiter object itself: five rounds of 100 concurrent asks against 10, exactly 10 each", async () => {
		const policy = {
			enforced: [{ kind: "burst" as const, limit: 10, windowSeconds: 600, mode: "enforce" as const, layer: "employee" as const, target: "" }],
			shadow: [],
			activity: { enforced: [], shadow: [] },
			ringThreshold: 3,
			depotDailyBudget: 5000,
			legs: BUILT_IN_LEG_POLICY,
			plaintextPhone: {
				kind: "plaintext_phone" as const,
				limit: 10,
				windowSeconds: 86_400,
				mode: "enforce" as const,
				layer: "role" as const,
				target: "courier",
			},
			calls: [],
		};
		for (let round = 0; round < 5; round++) {
			const stub = env.LIMITER.get(env.LIMITER.idFromName(`employee:direct-${round}`));
			const decisions = await Promise.all(
				Array.from({ length: 100 }, (_, i) =>
					stub.ask({ recordId: `r${i}`, class: "in_scope", honeytoken: false }, policy, { subject: `direct-${round}`, issuer: "iss" }, draftFor(`r${i}`)),
				),
			);
			expect(decisions.filter(({ decision }) => decision.granted)).toHaveLength(10);
		}
	});

	it("the daily cap holds the same way", async () => {
		await setPolicy("employee/daily-c", { mode: "enforce", burst_limit: 1000, burst_window_seconds: 600, daily_limit: 10, distinct_limit: 10 });
		const ids = await records(100, { depot: "DD", courier: "daily-c" });
		const bearer = await employeeToken("courier", "daily-c", "DD");
		const statuses = (await Promise.all(ids.map((id) => ask(bearer, id)))).map((r) => r.status);
		expect(count(statuses, 201)).toBe(10);
		expect(count(statuses, 429)).toBe(90);
	});

	it("the distinct-records cap holds, and asking again for a record already revealed is not a new record", async () => {
		await setPolicy("employee/distinct-c", { mode: "enforce", burst_limit: 1000, burst_window_seconds: 600, daily_limit: 100, distinct_limit: 5 });
		const ids = await records(40, { depot: "DX", courier: "distinct-c" });
		const bearer = await employeeToken("courier", "distinct-c", "DX");
		const statuses = (await Promise.all(ids.map((id) => ask(bearer, id)))).map((r) => r.status);
		expect(count(statuses, 201)).toBe(5);
		await settle(bearer);
		const granted = (await json<{ entries: { record_id: string }[] }>(await call("GET", "/v1/audit?actor=distinct-c&kind=reveal.granted", { token: ops })))
			.entries;
		expect((await ask(bearer, granted[0]?.record_id as string, "delivery", ["name"])).status).toBe(201);
		expect((await ask(bearer, ids.find((id) => !granted.some((g) => g.record_id === id)) as string)).status).toBe(429);
	});

	it("an evicted limiter keeps its counts", async () => {
		await setPolicy("employee/evict-c", { mode: "enforce", burst_limit: 10, burst_window_seconds: 600 });
		const ids = await records(20, { depot: "DE", courier: "evict-c" });
		const bearer = await employeeToken("courier", "evict-c", "DE");
		for (const id of ids.slice(0, 6)) expect((await ask(bearer, id)).status).toBe(201);
		await evictDurableObject(env.LIMITER.get(env.LIMITER.idFromName("employee:evict-c")));
		const statuses = (await Promise.all(ids.slice(6).map((id) => ask(bearer, id)))).map((r) => r.status);
		expect(count(statuses, 201)).toBe(4);
		const status = await json(await call("GET", "/v1/employees/evict-c", { token: ops }));
		expect(status).toMatchObject({ grants_last_24h: 10, distinct_records_last_24h: 10, suspension: null });
	});

	it("every reveal answer carries the RateLimit headers", async () => {
		const [id] = await records(1, { depot: "DH", courier: "headers-c" });
		const response = await ask(await employeeToken("courier", "headers-c", "DH"), id as string);
		expect(response.status).toBe(201);
		expect(response.headers.get("RateLimit-Policy")).toBe('"burst";q=30;w=600, "daily";q=400;w=86400, "distinct";q=300;w=86400');
		expect(response.headers.get("RateLimit")).toBe('"burst";r=29;t=600, "daily";r=399;t=86400, "distinct";r=299;t=86400');
	});
});

describe("scripted insiders", () => {
	it("asking as fast as possible: refused after the burst, and stopped for the day at the daily quota", async () => {
		const ids = await records(60, { depot: "DF" }, "return");
		const clerk = await employeeToken("clerk", "fast-clerk", "DF");
		const statuses: number[] = [];
		for (const id of ids.slice(0, 25)) statuses.push((await ask(clerk, id, "return")).status);
		expect(statuses.slice(0, 20)).toEqual(Array(20).fill(201)); // clerk burst: 20 per 10 minutes
		expect(statuses.slice(20)).toEqual(Array(5).fill(429));

		await setPolicy("employee/fast-clerk", { mode: "enforce", burst_limit: 1000, burst_window_seconds: 600, daily_limit: 30, distinct_limit: 30 });
		const more: Response[] = [];
		for (const id of ids.slice(25)) more.push(await ask(clerk, id, "return"));
		expect(more.filter((r) => r.status === 201)).toHaveLength(10);
		const stopped = more.find((r) => r.status === 429) as Response;
		expect(await json(stopped)).toMatchObject({ limit: "daily" });
		expect(Number(stopped.headers.get("Retry-After"))).toBeGreaterThan(20 * 3600);
		await settle(clerk);
		const alerts = (await json<{ alerts: { kind: string; subject: string; severity: string }[] }>(await call("GET", "/v1/alerts", { token: ops }))).alerts;
		expect(alerts).toContainEqual(expect.objectContaining({ kind: "daily_quota_reached", subject: "fast-clerk", severity: "warning" }));
	});

	it("asking for other depots' records: suspended on the tenth, then refused everything", async () => {
		const theirs = await records(10, { depot: "OTHER", courier: "someone" });
		const [mine] = await records(1, { depot: "DP", courier: "prober" });
		const prober = await employeeToken("courier", "prober", "DP");
		const statuses: number[] = [];
		for (const id of theirs) statuses.push((await ask(prober, id)).status);
		expect(statuses).toEqual([...Array(9).fill(403), 423]);
		expect((await ask(prober, mine as string)).status).toBe(423);
		await settle(prober);
		const alerts = (await json<{ alerts: { kind: string; subject: string; severity: string }[] }>(await call("GET", "/v1/alerts", { token: ops }))).alerts;
		expect(alerts).toContainEqual(expect.objectContaining({ kind: "out_of_scope_probing", subject: "prober", severity: "critical" }));
	});

	it("a decision that suspends and raises an alert asks for its flush at once; a plain grant leaves it for the flush delay", async () => {
		const theirs = await records(10, { depot: "OTHER2", courier: "someone" });
		const [mine] = await records(1, { depot: "DQ", courier: "prober-now" });
		const prober = await employeeToken("courier", "prober-now", "DQ");
		const stub = limiterOf(env, { kind: "employee", issuer: TEST_ISSUER, subject: "prober-now" });
		const alarmAfter = async (status: number, id: string) => {
			const asked = Date.now();
			expect((await ask(prober, id)).status).toBe(status);
			const answered = Date.now();
			return { asked, answered, alarm: await runInDurableObject(stub, (_: PrincipalLimiter, state) => state.storage.getAlarm()) };
		};
		// The grant's entry waits for the flush timer; the alarm stands behind it, not sooner (the timer's
		// own delay is shown in test/one-hop.test.ts: the entry lands with no alarm run).
		const granted = await alarmAfter(201, mine as string);
		expect(granted.alarm).toBeGreaterThanOrEqual(granted.asked + FLUSH_BACKSTOP_MS);
		await settle(prober);
		for (const id of theirs.slice(0, 9)) expect((await ask(prober, id)).status).toBe(403);
		// The tenth suspends and raises out_of_scope_probing: its alarm is due now (or has already run), not in seconds.
		const suspended = await alarmAfter(423, theirs[9] as string);
		if (suspended.alarm !== null) expect(suspended.alarm).toBeLessThanOrEqual(suspended.answered);
		await settle(prober);
		const alerts = (await json<{ alerts: { kind: string; subject: string }[] }>(await call("GET", "/v1/alerts", { token: ops }))).alerts;
		expect(alerts).toContainEqual(expect.objectContaining({ kind: "out_of_scope_probing", subject: "prober-now" }));
	});

	it("touching a honeytoken: suspended on that ask, and a token already held stops working", async () => {
		const planted = await call("POST", "/v1/honeytokens", { token: ops, body: { label: "DH2 shelf 3", record: recordBody({ depot: "DH2" }) } });
		expect(planted.status).toBe(201);
		const { record_id: trap } = await json<{ record_id: string }>(planted);
		const [real] = await records(1, { depot: "DH2" }, "return");
		const clerk = await employeeToken("clerk", "curious-clerk", "DH2");

		// The honeytoken looks like any parcel of the depot.
		const listed = await json<{ records: { id: string }[] }>(
			await call(
				"GET",
				`/v1/records?shipment_id=${(await json<{ shipment_id: string }>(await call("GET", `/v1/records/${trap}`, { token: service }))).shipment_id}`,
				{ token: clerk },
			),
		);
		expect(listed.records.map((r) => r.id)).toEqual([trap]);

		const held = await json<{ reveal_token: string }>(await ask(clerk, real as string, "return"));
		const touched = await ask(clerk, trap, "return");
		expect(touched.status).toBe(423);
		expect((await json(touched)).type).toBe("/problems/suspended");
		const redeem = await call("POST", "/v1/reveals/redeem", { token: clerk, body: { reveal_token: held.reveal_token } });
		expect(redeem.status).toBe(423);
		expect(await redeem.text()).not.toContain("+86");
		await settle(clerk);
		const alerts = (await json<{ alerts: { kind: string; subject: string; depot: string }[] }>(await call("GET", "/v1/alerts", { token: ops }))).alerts;
		expect(alerts).toContainEqual(expect.objectContaining({ kind: "honeytoken_touched", subject: "curious-clerk", depot: "DH2" }));
		const suspended = (
			await json<{ principals: { subject: string; status: string; reason: string }[] }>(await call("GET", "/v1/employees?status=suspended", { token: ops }))
		).principals;
		expect(suspended).toContainEqual(expect.objectContaining({ subject: "curious-clerk", reason: "honeytoken" }));

		// Ops reinstate, audited; the clerk works again.
		const reinstated = await call("POST", "/v1/employees/curious-clerk/reinstate", { token: ops, body: { reason: "false alarm, trained" } });
		expect(await json(reinstated)).toEqual({ subject: "curious-clerk", issuer: TEST_ISSUER, status: "active" });
		expect((await ask(clerk, real as string, "return")).status).toBe(201);
		const audit = (
			await json<{ entries: { kind: string; details: { subject?: string } }[] }>(await call("GET", "/v1/audit?kind=principal.reinstated", { token: ops }))
		).entries;
		expect(audit).toContainEqual(
			expect.objectContaining({ kind: "principal.reinstated", details: expect.objectContaining({ subject: "curious-clerk", reason: "false alarm, trained" }) }),
		);
	});

	it("a ring of employees of one depot at their quotas raises a depot alert", async () => {
		// Threshold 2, below the default of 3: two members at quota flag the depot only if its own layer counts.
		await setPolicy("depot/RING", { mode: "enforce", daily_limit: 3, distinct_limit: 3, ring_threshold: 2 });
		const ids = await records(12, { depot: "RING" }, "return");
		for (let member = 0; member < 2; member++) {
			const clerk = await employeeToken("clerk", `ring-${member}`, "RING");
			for (const id of ids.slice(member * 4, member * 4 + 4)) await ask(clerk, id, "return");
			// Each member's quota alert reaches D1 with their limiter's flush; the second completes the ring.
			await settle(clerk);
		}
		const alerts = (await json<{ alerts: { kind: string; depot: string; severity: string }[] }>(await call("GET", "/v1/alerts", { token: ops }))).alerts;
		expect(alerts.filter((a) => a.kind === "depot_ring_suspected" && a.depot === "RING")).toEqual([expect.objectContaining({ severity: "critical" })]);
	});
});

describe("an alert survives a failed write", () => {
	it("the limiter suspends and keeps the alert until D1 has it: a failed flush is retried and writes it once", async () => {
		const planted = await json<{ record_id: string }>(await call("POST", "/v1/honeytokens", { token: ops, body: { record: recordBody({ depot: "DZ" }) } }));
		const clerk = await employeeToken("clerk", "unlucky-clerk", "DZ");
		const limiter = limiterOf(env, { kind: "employee", issuer: TEST_ISSUER, subject: "unlucky-clerk" });
		await env.DB.prepare("CREATE TRIGGER inject_alert_failure BEFORE INSERT ON alerts BEGIN SELECT RAISE(ABORT, 'injected alert failure'); END").run();
		try {
			// D1 is not on the ask's path: the suspension is decided and committed in the limiter.
			expect((await ask(clerk, planted.record_id, "return")).status).toBe(423);
			await runInDurableObject(limiter, async (instance: PrincipalLimiter) => {
				await expect(instance.flushNow()).rejects.toThrow();
			});
			// Read while D1 still refuses: once it takes alerts again, the object's own retries (the
			// alarm's, queued behind this flush) may deliver the alert at any moment.
			const lost = await env.DB.prepare("SELECT count(*) AS n FROM alerts WHERE subject = 'unlucky-clerk'").first<{ n: number }>();
			expect(lost?.n).toBe(0);
		} finally {
			await env.DB.prepare("DROP TRIGGER inject_alert_failure").run();
		}
		const [other] = await records(1, { depot: "DZ" }, "return");
		expect((await ask(clerk, other as string, "return")).status).toBe(423); // still suspended
		await settle(clerk);
		const delivered = await env.DB.prepare("SELECT kind FROM alerts WHERE subject = 'unlucky-clerk'").all<{ kind: string }>();
		expect(delivered.results).toEqual([{ kind: "honeytoken_touched" }]);
		const status = await env.DB.prepare("SELECT status, reason FROM principal_status WHERE subject = 'unlucky-clerk'").first();
		expect(status).toEqual({ status: "suspended", reason: "honeytoken" });
		// Written once: a further flush and ask add nothing.
		await ask(clerk, other as string, "return");
		await settle(clerk);
		expect((await env.DB.prepare("SELECT count(*) AS n FROM alerts WHERE subject = 'unlucky-clerk'").first<{ n: number }>())?.n).toBe(1);
	});
});

describe("depot budget", () => {
	it("a depot going over its daily budget as a whole raises one critical alert, though no member is over theirs", async () => {
		await setPolicy("depot/BUDGET", { mode: "enforce", depot_daily_budget: 5 });
		const ids = await records(8, { depot: "BUDGET" }, "return");
		for (const [index, id] of ids.entries()) expect((await ask(await employeeToken("clerk", `budget-${index % 4}`, "BUDGET"), id, "return")).status).toBe(201);
		// Each clerk's limiter counted its grants in the grant's transaction; its flush tells the
		// depot's ledger (driven here instead of waited for), and the ledger's alarm writes the alert.
		const budgetAlerts = async () =>
			(
				await json<{ alerts: { kind: string; depot: string; details: { reveals_last_24h: number; budget: number } }[] }>(
					await call("GET", "/v1/alerts", { token: ops }),
				)
			).alerts.filter((a) => a.kind === "depot_budget_exceeded" && a.depot === "BUDGET");
		// (A flush that already ran on its own did the same work: the alarm then finds nothing left.)
		for (let clerk = 0; clerk < 4; clerk++) await runDurableObjectAlarm(limiterOf(env, { kind: "employee", issuer: TEST_ISSUER, subject: `budget-${clerk}` }));
		const ledger = env.DEPOT_LEDGER.get(env.DEPOT_LEDGER.idFromName("BUDGET"));
		expect(await ledger.count()).toBe(8);
		await runDurableObjectAlarm(ledger);
		let alerts = await budgetAlerts();
		// The ledger's own alarm may be writing the alert at this moment: wait for it, boundedly.
		for (let attempt = 0; attempt < 100 && alerts.length === 0; attempt++) {
			await new Promise((resolve) => setTimeout(resolve, 20));
			alerts = await budgetAlerts();
		}
		expect(alerts).toEqual([expect.objectContaining({ details: { reveals_last_24h: 6, budget: 5 } })]);
		// A batch told twice (a retry after a lost answer) counts once.
		const source = limiterOf(env, { kind: "employee", issuer: TEST_ISSUER, subject: "budget-0" }).id.toString();
		expect(await ledger.tally("BUDGET", 5, 2, source, 0)).toMatchObject({ duplicate: true, count: 8 });
	});
});

describe("report-only", () => {
	it("never refuses but records what it would have refused", async () => {
		await setPolicy("employee/trial-c", { mode: "report-only", burst_limit: 2, burst_window_seconds: 600 });
		const ids = await records(4, { depot: "DT", courier: "trial-c" });
		const bearer = await employeeToken("courier", "trial-c", "DT");
		for (const id of ids) expect((await ask(bearer, id)).status).toBe(201);
		await settle(bearer);
		const granted = (
			await json<{ entries: { details: { report_only_refusals?: unknown[] } }[] }>(
				await call("GET", "/v1/audit?actor=trial-c&kind=reveal.granted", { token: ops }),
			)
		).entries;
		expect(granted.filter((e) => e.details.report_only_refusals)).toHaveLength(2);
		expect(granted[0]?.details.report_only_refusals).toEqual([{ kind: "burst", layer: "employee", target: "trial-c", limit: 2 }]);
	});
});

describe("failing closed", () => {
	it("a limiter that cannot be reached grants nothing: 503", async () => {
		const [id] = await records(1, { depot: "DU", courier: "unlucky" });
		const broken = {
			idFromName: env.LIMITER.idFromName.bind(env.LIMITER),
			get: () => ({
				ask: async () => {
					throw new Error("Durable Object reset because its code was updated");
				},
				status: async () => {
					throw new Error("network connection lost");
				},
			}),
		};
		const bearer = await employeeToken("courier", "unlucky", "DU");
		const response = await app.fetch(
			new Request("https://vault.test/v1/reveals", {
				method: "POST",
				headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
				body: JSON.stringify({ record_id: id, fields: ["phone"], purpose: "delivery" }),
			}),
			{ ...env, LIMITER: broken } as unknown as Env,
			{ waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext,
		);
		expect(response.status).toBe(503);
		expect(await response.text()).not.toContain("reveal_token");
		const granted = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE actor = 'unlucky' AND kind = 'reveal.granted'").first<{ n: number }>();
		expect(granted?.n).toBe(0);
	});
});

describe("alerts reach the webhook, even after it was down", () => {
	it("stored while the webhook is down, delivered when it is back", async () => {
		const control = env.TEST_WEBHOOK_CONTROL;
		await fetch(`${control}/control/down`);
		const planted = await json<{ record_id: string }>(await call("POST", "/v1/honeytokens", { token: ops, body: { record: recordBody({ depot: "DW" }) } }));
		const clerk = await employeeToken("clerk", "webhook-clerk", "DW");
		expect((await ask(clerk, planted.record_id, "return")).status).toBe(423);
		const scheduled = (at: number) => runCron("* * * * *", at);
		await settle(clerk);
		await scheduled(Date.now());
		const pending = await env.DB.prepare("SELECT id, delivery, attempts, last_error FROM alerts WHERE subject = 'webhook-clerk'").first<{
			id: string;
			delivery: string;
			attempts: number;
			last_error: string;
		}>();
		expect(pending).toMatchObject({ delivery: "pending" });
		expect(pending?.attempts).toBeGreaterThanOrEqual(1);
		expect(pending?.last_error).toContain("503");

		await fetch(`${control}/control/up`);
		await scheduled(Date.now() + 2 * 3600_000); // past any backoff
		const delivered = await env.DB.prepare("SELECT delivery FROM alerts WHERE id = ?1").bind(pending?.id).first<{ delivery: string }>();
		expect(delivered?.delivery).toBe("delivered");
		const received = (await (await fetch(`${control}/received`)).json()) as { id: string; kind: string; subject: string }[];
		expect(received).toContainEqual(expect.objectContaining({ id: pending?.id, kind: "honeytoken_touched", subject: "webhook-clerk" }));
	});
});

describe("ops calls are for ops principals only", () => {
	it("an employee token claiming ops reaches none of them, and nobody changes their own status or limits", async () => {
		const insider = await employeeToken("supervisor", "insider-sup", "D1", "reveal ops");
		for (const [method, path, body] of [
			["GET", "/v1/policies", undefined],
			["GET", "/v1/honeytokens", undefined],
			["GET", "/v1/audit", undefined],
			["POST", "/v1/employees/insider-sup/reinstate", { reason: "me" }],
			["PUT", "/v1/policies/employee/insider-sup", { mode: "enforce", daily_limit: 5000 }],
		] as const) {
			expect((await call(method, path, { token: insider, body })).status).toBe(403);
		}
		const selfOps = await token({ sub: "ops-bob", scope: "ops" });
		expect((await call("POST", "/v1/employees/ops-bob/reinstate", { token: selfOps, body: { reason: "me" } })).status).toBe(403);
		expect((await call("PUT", "/v1/policies/employee/ops-bob", { token: selfOps, body: { mode: "enforce", daily_limit: 5000 } })).status).toBe(403);
	});

	it("the default layer must enforce every limit", async () => {
		for (const body of [
			{ mode: "report-only", burst_limit: 20, burst_window_seconds: 600, daily_limit: 200, distinct_limit: 150 },
			{ mode: "enforce", daily_limit: 200, distinct_limit: 150 },
		]) {
			expect((await call("PUT", "/v1/policies/default", { token: ops, body })).status).toBe(422);
		}
	});
});

describe("policy administration", () => {
	const invalid: [string, string, unknown][] = [
		["negative burst", "role/courier", { mode: "enforce", burst_limit: -5, burst_window_seconds: 600 }],
		["zero daily", "role/courier", { mode: "enforce", daily_limit: 0 }],
		["absurd daily", "role/courier", { mode: "enforce", daily_limit: 10_000_000 }],
		["absurd window", "role/courier", { mode: "enforce", burst_limit: 10, burst_window_seconds: 31_536_000 }],
		["window too short", "role/courier", { mode: "enforce", burst_limit: 10, burst_window_seconds: 1 }],
		["burst without window", "role/courier", { mode: "enforce", burst_limit: 10 }],
		["distinct above daily", "role/courier", { mode: "enforce", daily_limit: 10, distinct_limit: 20 }],
		["unknown role", "role/admin", { mode: "enforce", daily_limit: 10 }],
		["unknown mode", "role/courier", { mode: "shadow", daily_limit: 10 }],
		["wrong type", "role/courier", { mode: "enforce", daily_limit: "400" }],
		["fractional limit", "role/courier", { mode: "enforce", daily_limit: 10.5 }],
		["unknown field", "role/courier", { mode: "enforce", daily_limit: 10, per_hour: 5 }],
		["ring threshold on a role", "role/courier", { mode: "enforce", ring_threshold: 5 }],
		["depot budget on an employee", "employee/x", { mode: "enforce", depot_daily_budget: 5 }],
		["bad layer", "region/south", { mode: "enforce", daily_limit: 10 }],
	];
	for (const [name, path, body] of invalid) {
		it(`refuses ${name} with a problem and changes nothing`, async () => {
			const before = JSON.stringify((await env.DB.prepare("SELECT * FROM policies ORDER BY layer, target").all()).results);
			const response = await call("PUT", `/v1/policies/${path}`, { token: ops, body });
			expect(response.status).toBe(422);
			expect(response.headers.get("Content-Type")).toBe("application/problem+json");
			expect(JSON.stringify((await env.DB.prepare("SELECT * FROM policies ORDER BY layer, target").all()).results)).toBe(before);
		});
	}

	it("changes are versioned, conditional on If-Match, audited with who made them, and take effect at once", async () => {
		const first = await setPolicy("employee/versioned-c", { mode: "enforce", burst_limit: 1, burst_window_seconds: 600 });
		expect(first).toMatchObject({ version: 1, updated_by: "ops-alice" });
		const stale = await call("PUT", "/v1/policies/employee/versioned-c", {
			token: ops,
			body: { mode: "enforce", burst_limit: 2, burst_window_seconds: 600 },
			headers: { "If-Match": '"0"' },
		});
		expect(stale.status).toBe(412);
		const second = await call("PUT", "/v1/policies/employee/versioned-c", {
			token: ops,
			body: { mode: "enforce", burst_limit: 3, burst_window_seconds: 600 },
			headers: { "If-Match": '"1"' },
		});
		expect(second.status).toBe(200);
		expect(second.headers.get("ETag")).toBe('"2"');
		const ids = await records(4, { depot: "DV", courier: "versioned-c" });
		const bearer = await employeeToken("courier", "versioned-c", "DV");
		const statuses = [];
		for (const id of ids) statuses.push((await ask(bearer, id)).status);
		expect(statuses).toEqual([201, 201, 201, 429]);
		const changes = (
			await json<{ entries: { kind: string; actor: { subject: string }; details: { after: { burst_limit: number } } }[] }>(
				await call("GET", "/v1/audit?kind=policy.changed&actor=ops-alice", { token: ops }),
			)
		).entries;
		expect(changes[0]).toMatchObject({ actor: { subject: "ops-alice" }, details: { after: { burst_limit: 3 } } });
		const effective = await json(await call("GET", "/v1/policies/effective?subject=versioned-c&role=courier&depot=DV", { token: ops }));
		expect(effective).toMatchObject({ enforced: expect.arrayContaining([expect.objectContaining({ kind: "burst", limit: 3, layer: "employee" })]) });
		expect((await call("DELETE", "/v1/policies/employee/versioned-c", { token: ops, headers: { "If-Match": '"2"' } })).status).toBe(204);
		expect((await call("GET", "/v1/policies", { token: service })).status).toBe(403);
	});
});
