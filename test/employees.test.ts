import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { EMPLOYEES_SINCE_SQL } from "../src/audit/activity-store";
import { decide, standing } from "../src/limits/decide";
import { listPrincipals } from "../src/limits/employee-listing";
import type { EffectivePolicy } from "../src/limits/policy";
import { BUILT_IN_LEG_POLICY } from "../src/shipments/leg-policy";
import { askReveal, call, createRecords, json, recordBody } from "./support/api";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, token } from "./support/tokens";

let service: string;
let ops: string;

beforeAll(async () => {
	service = await serviceToken("records:write records:read");
	ops = await token({ sub: "ops-alice", scope: "ops" });
});

const records = (count: number, fields: Record<string, unknown>) => createRecords(service, count, fields);

/** An ask, and its limiter's entries flushed to D1 (where the employee list reads who acted). */
const ask = async (...args: Parameters<typeof askReveal>) => {
	const response = await askReveal(...args);
	await settle(args[0]);
	return response;
};

interface Listed {
	subject: string;
	role: string | null;
	depot: string | null;
	status: string;
	last_seen_at: string | null;
	changed_at: string | null;
}
interface Standing {
	kind: string;
	limit: number;
	used: number;
	remaining: number;
	reset_seconds: number;
	layer: string;
	target: string;
}

const listing = async (query = "") => (await json<{ principals: Listed[] }>(await call("GET", `/v1/employees${query}`, { token: ops }))).principals;
const statusOf = async (subject: string, query = "") =>
	json<{ role: string | null; depot: string | null; suspension: unknown; limits: Standing[] }>(
		await call("GET", `/v1/employees/${subject}${query}`, { token: ops }),
	);

describe("the employee list", () => {
	it("lists employees who asked in the last day, with their role and depot, as well as those whose status changed", async () => {
		const [mine] = await records(1, { depot: "EL-1", courier: "list-courier" });
		const [other] = await records(1, { depot: "EL-1", courier: "someone-else" });
		const before = Date.now();
		expect((await ask(await employeeToken("courier", "list-courier", "EL-1"), mine as string)).status).toBe(201);
		// A refused ask is activity too: an out-of-scope prober must show up where ops look.
		expect((await ask(await employeeToken("clerk", "list-prober", "EL-2"), other as string)).status).toBe(403);
		expect((await call("POST", "/v1/employees/list-suspended/suspend", { token: ops, body: { reason: "test" } })).status).toBe(200);

		const all = await listing();
		expect(all).toContainEqual(expect.objectContaining({ subject: "list-courier", role: "courier", depot: "EL-1", status: "active", changed_at: null }));
		expect(all).toContainEqual(expect.objectContaining({ subject: "list-prober", role: "clerk", depot: "EL-2", status: "active" }));
		expect(all).toContainEqual(expect.objectContaining({ subject: "list-suspended", status: "suspended", last_seen_at: null }));
		const courier = all.find((row) => row.subject === "list-courier") as Listed;
		expect(Date.parse(courier.last_seen_at as string)).toBeGreaterThanOrEqual(before);

		expect((await listing("?depot=EL-1")).map((row) => row.subject)).toEqual(["list-courier"]);
		const suspended = (await listing("?status=suspended")).map((row) => row.subject);
		expect(suspended).toContain("list-suspended");
		expect(suspended).not.toContain("list-courier");
		expect((await listing("?status=active")).map((row) => row.subject)).not.toContain("list-suspended");
	});

	it("an employee suspended after asking is listed as suspended, never as active, whatever the filter", async () => {
		const [record] = await records(1, { depot: "EL-3", courier: "list-asked-then-suspended" });
		expect((await ask(await employeeToken("courier", "list-asked-then-suspended", "EL-3"), record as string)).status).toBe(201);
		expect((await call("POST", "/v1/employees/list-asked-then-suspended/suspend", { token: ops, body: { reason: "test" } })).status).toBe(200);
		expect((await listing("?status=active")).map((row) => row.subject)).not.toContain("list-asked-then-suspended");
		expect((await listing("?status=active&depot=EL-3")).map((row) => row.subject)).not.toContain("list-asked-then-suspended");
		expect(await listing("?status=suspended&depot=EL-3")).toEqual([
			expect.objectContaining({ subject: "list-asked-then-suspended", status: "suspended", depot: "EL-3", role: "courier" }),
		]);
		expect(await listing("?depot=EL-3")).toEqual([expect.objectContaining({ subject: "list-asked-then-suspended", status: "suspended" })]);
	});

	it("lists an employee who moved depot where they are now, status row or not", async () => {
		// Caught by a decoy at EM-A (a status row at EM-A), reinstated, now working at EM-B.
		const planted = await call("POST", "/v1/honeytokens", {
			token: ops,
			body: { record: { ...recordBody({ depot: "EM-A", courier: "list-mover" }) }, label: "mover" },
		});
		expect(planted.status).toBe(201);
		const trap = (await json<{ record_id: string }>(planted)).record_id;
		expect((await ask(await employeeToken("courier", "list-mover", "EM-A"), trap)).status).toBe(423);
		expect((await call("POST", "/v1/employees/list-mover/reinstate", { token: ops, body: { reason: "test" } })).status).toBe(200);
		const [atB] = await records(1, { depot: "EM-B", courier: "list-mover" });
		expect((await ask(await employeeToken("courier", "list-mover", "EM-B"), atB as string)).status).toBe(201);

		expect((await listing("?depot=EM-A")).map((row) => row.subject)).not.toContain("list-mover");
		expect(await listing("?depot=EM-B")).toEqual([
			expect.objectContaining({ subject: "list-mover", depot: "EM-B", status: "active", changed_by: "ops-alice" }),
		]);
		// Another mover without any status row: asked at EM-C, then at EM-D.
		const [atC] = await records(1, { depot: "EM-C", courier: "list-mover-2" });
		const [atD] = await records(1, { depot: "EM-D", courier: "list-mover-2" });
		expect((await ask(await employeeToken("courier", "list-mover-2", "EM-C"), atC as string)).status).toBe(201);
		expect((await ask(await employeeToken("courier", "list-mover-2", "EM-D"), atD as string)).status).toBe(201);
		expect(await listing("?depot=EM-C")).toEqual([]);
		expect((await listing("?depot=EM-D")).map((row) => row.subject)).toEqual(["list-mover-2"]);
	});

	it("reads recent activity through the partial index on the employee entries' time", async () => {
		const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${EMPLOYEES_SINCE_SQL}`).bind(0, null, 500, "[]").all<{ detail: string }>();
		expect(plan.results.map((row) => row.detail).join("\n")).toContain("audit_log_employee_at");
	});

	it("is ops only", async () => {
		expect((await call("GET", "/v1/employees", { token: await employeeToken("supervisor", "sup-list", "EL-1") })).status).toBe(403);
	});
});

describe("one employee's usage against their limits", () => {
	it("shows each enforced limit with what is used and left, resolved for the role and depot the employee last acted as", async () => {
		const put = await call("PUT", "/v1/policies/employee/usage-courier", { token: ops, body: { mode: "enforce", burst_limit: 5, burst_window_seconds: 600 } });
		expect(put.status).toBe(201);
		const ids = await records(3, { depot: "EU-1", courier: "usage-courier" });
		const bearer = await employeeToken("courier", "usage-courier", "EU-1");
		let last: Response | undefined;
		for (const id of ids) {
			last = await ask(bearer, id);
			expect(last.status).toBe(201);
		}
		const status = await statusOf("usage-courier");
		expect(status).toMatchObject({ role: "courier", depot: "EU-1", suspension: null });
		const burst = status.limits.find((limit) => limit.kind === "burst") as Standing;
		expect(burst).toMatchObject({ limit: 5, used: 3, remaining: 2, layer: "employee", target: "usage-courier" });
		expect(burst.reset_seconds).toBeGreaterThan(590);
		expect(burst.reset_seconds).toBeLessThanOrEqual(600);
		// The same numbers the employee's own last answer carried in its RateLimit header.
		expect(last?.headers.get("RateLimit")).toMatch(/^"burst";r=2;/);
		expect(status.limits.find((limit) => limit.kind === "daily")).toMatchObject({ limit: 400, used: 3, remaining: 397, layer: "role", target: "courier" });
		expect(status.limits.find((limit) => limit.kind === "distinct")).toMatchObject({ used: 3 });
	});

	it("takes the role and depot from the query when given, and a depot layer then applies", async () => {
		expect((await call("PUT", "/v1/policies/depot/EU-9", { token: ops, body: { mode: "enforce", daily_limit: 77 } })).status).toBe(201);
		// Seen once as a courier of another depot; asked about as a clerk of EU-9.
		const [id] = await records(1, { depot: "EU-8", courier: "moving-clerk" });
		expect((await ask(await employeeToken("courier", "moving-clerk", "EU-8"), id as string)).status).toBe(201);
		const status = await statusOf("moving-clerk", "?role=clerk&depot=EU-9");
		expect(status).toMatchObject({ role: "clerk", depot: "EU-9" });
		expect(status.limits.find((limit) => limit.kind === "daily")).toMatchObject({ limit: 77, used: 1, remaining: 76, layer: "depot", target: "EU-9" });
		expect((await call("GET", "/v1/employees/moving-clerk?role=janitor", { token: ops })).status).toBe(422);
	});
});

describe("standing (pure)", () => {
	const policy: EffectivePolicy = {
		enforced: [
			{ kind: "burst", limit: 3, windowSeconds: 60, mode: "enforce", layer: "role", target: "courier" },
			{ kind: "distinct", limit: 10, windowSeconds: 86_400, mode: "enforce", layer: "default", target: "" },
		],
		shadow: [],
		activity: { enforced: [], shadow: [] },
		ringThreshold: 3,
		depotDailyBudget: 5000,
		legs: BUILT_IN_LEG_POLICY,
		plaintextPhone: { kind: "plaintext_phone", limit: 10, windowSeconds: 86_400, mode: "enforce", layer: "role", target: "courier" },
		calls: [],
	};
	const now = 1_000_000_000;

	it("counts grants in each window, and records for the distinct limit", () => {
		const state = {
			grants: [
				{ at: now - 120_000, recordId: "a" },
				{ at: now - 30_000, recordId: "a" },
				{ at: now - 10_000, recordId: "b" },
			],
			probes: [],
			suspension: null,
			quotaAlertAt: null,
		};
		const [burst, distinct] = standing(state, policy, now);
		expect(burst).toMatchObject({ used: 2, remaining: 1, resetSeconds: 30 });
		expect(distinct).toMatchObject({ used: 2, remaining: 8 });
	});

	it("a full rule resets when decide's Retry-After says, even for a record revealed twice", () => {
		const distinctOnly: EffectivePolicy = {
			...policy,
			enforced: [{ kind: "distinct", limit: 1, windowSeconds: 86_400, mode: "enforce", layer: "default", target: "" }],
		};
		const hour = 3_600_000;
		// Record a first revealed 20 hours ago and again an hour ago: it leaves the window in 23 hours.
		const state = {
			grants: [
				{ at: now - 20 * hour, recordId: "a" },
				{ at: now - hour, recordId: "a" },
			],
			probes: [],
			suspension: null,
			quotaAlertAt: null,
		};
		const [distinct] = standing(state, distinctOnly, now);
		expect(distinct).toMatchObject({ used: 1, remaining: 0, resetSeconds: 23 * 3600 });
		const refused = decide(state, { recordId: "b", class: "in_scope", honeytoken: false }, distinctOnly, now);
		expect(refused.retryAfterSeconds).toBe(distinct?.resetSeconds);
	});

	it("is fresh with no grants", () => {
		const [burst] = standing({ grants: [], probes: [], suspension: null, quotaAlertAt: null }, policy, now);
		expect(burst).toMatchObject({ used: 0, remaining: 3, resetSeconds: 60 });
	});
});

describe("listPrincipals (pure)", () => {
	const status = (subject: string, state: "active" | "suspended", changedAt: number) => ({
		issuer: "iss",
		subject,
		kind: "employee",
		role: "clerk",
		depot: "OLD",
		status: state,
		reason: "r",
		changed_by: "ops",
		changed_at: changedAt,
	});

	it("merges both sources, the latest role and depot winning, newest first", () => {
		const listed = listPrincipals(
			[status("a", "suspended", 10), status("b", "active", 50)],
			[
				{ issuer: "iss", subject: "a", role: "courier", depot: "NEW", last_seen_at: 40 },
				{ issuer: "iss", subject: "c", role: "courier", depot: "X", last_seen_at: 30 },
			],
		);
		expect(listed.map((row) => [row.subject, row.status, row.depot])).toEqual([
			["b", "active", "OLD"],
			["a", "suspended", "NEW"],
			["c", "active", "X"],
		]);
		expect(
			listPrincipals([status("a", "suspended", 10)], [{ issuer: "iss", subject: "c", role: "courier", depot: "X", last_seen_at: 30 }], {
				status: "suspended",
			}).map((row) => row.subject),
		).toEqual(["a"]);
	});

	it("filters the merged principal: a suspended employee active in the log is not active, and the latest depot counts", () => {
		const statuses = [status("a", "suspended", 10)];
		const activity = [{ issuer: "iss", subject: "a", role: "courier", depot: "NEW", last_seen_at: 40 }];
		expect(listPrincipals(statuses, activity, { status: "active" })).toEqual([]);
		expect(listPrincipals(statuses, activity, { status: "suspended" }).map((row) => row.subject)).toEqual(["a"]);
		expect(listPrincipals(statuses, activity, { depot: "OLD" })).toEqual([]);
		expect(listPrincipals(statuses, activity, { depot: "NEW" }).map((row) => row.subject)).toEqual(["a"]);
	});
});

describe("an employee's own quota (GET /v1/reveals/quota)", () => {
	const quota = (bearer: string) => call("GET", "/v1/reveals/quota", { token: bearer });
	const auditCount = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log").first<{ n: number }>())?.n;

	it("says what is used and left of each limit, in the body and in the RateLimit headers, and changes nothing", async () => {
		expect(
			(await call("PUT", "/v1/policies/employee/quota-courier", { token: ops, body: { mode: "enforce", burst_limit: 4, burst_window_seconds: 600 } })).status,
		).toBe(201);
		const ids = await records(2, { depot: "EQ-1", courier: "quota-courier" });
		const bearer = await employeeToken("courier", "quota-courier", "EQ-1");
		for (const id of ids) expect((await ask(bearer, id)).status).toBe(201);

		const before = await auditCount();
		const response = await quota(bearer);
		expect(response.status).toBe(200);
		const body = await json<{ suspended: boolean; limits: Standing[]; call_limits: Standing[] }>(response);
		expect(body.suspended).toBe(false);
		expect(body.limits.find((limit) => limit.kind === "burst")).toMatchObject({ limit: 4, used: 2, remaining: 2 });
		// The call limits beside them, the role's built-ins, none used: reveals are not calls.
		expect(body.call_limits.map((limit) => [limit.kind, limit.limit, limit.used])).toEqual([
			["burst", 30, 0],
			["daily", 400, 0],
			["distinct", 300, 0],
		]);
		// Not where a limit comes from: an employee must not learn that ops tightened theirs.
		for (const limit of [...body.limits, ...body.call_limits])
			expect(Object.keys(limit).sort()).toEqual(["kind", "limit", "remaining", "reset_seconds", "used", "window_seconds"]);
		expect(response.headers.get("RateLimit-Policy")).toMatch(/^"burst";q=4;w=600, "daily";q=400;w=86400, "distinct";q=300;w=86400$/);
		expect(response.headers.get("RateLimit")).toMatch(/^"burst";r=2;t=\d+, "daily";r=398;t=\d+, "distinct";r=298;t=\d+$/);
		// Reading it is not an ask: nothing audited, nothing counted.
		await quota(bearer);
		expect(await auditCount()).toBe(before);
		expect((await json<{ limits: Standing[] }>(await quota(bearer))).limits.find((limit) => limit.kind === "burst")).toMatchObject({ used: 2 });
	});

	it("a service (notify) has no call limits: it makes no calls", async () => {
		const body = await json<{ limits: Standing[]; call_limits: Standing[] }>(await quota(await token({ sub: "quota-notifier", scope: "reveal" })));
		expect(body.limits.length).toBeGreaterThan(0);
		expect(body.call_limits).toEqual([]);
		// Nor in ops' view of it (known once ops suspend it).
		expect((await call("POST", "/v1/employees/quota-notifier/suspend?kind=service", { token: ops, body: { reason: "test" } })).status).toBe(200);
		const status = await json<{ kind: string; limits: Standing[]; call_limits: Standing[] }>(
			await call("GET", "/v1/employees/quota-notifier?kind=service", { token: ops }),
		);
		expect(status).toMatchObject({ kind: "service", call_limits: [] });
		expect(status.limits.length).toBeGreaterThan(0);
	});

	it("says when the employee is suspended", async () => {
		const bearer = await employeeToken("clerk", "quota-suspended", "EQ-1");
		expect((await call("POST", "/v1/employees/quota-suspended/suspend", { token: ops, body: { reason: "test" } })).status).toBe(200);
		expect(await json(await quota(bearer))).toMatchObject({ suspended: true });
	});

	it("needs the reveal scope", async () => {
		expect((await quota(ops)).status).toBe(403);
		expect((await quota(await employeeToken("courier", "no-reveal", "EQ-1", "records:read"))).status).toBe(403);
		expect((await call("GET", "/v1/reveals/quota")).status).toBe(401);
	});
});
