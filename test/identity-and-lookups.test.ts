import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { limiterOf } from "../src/limits/limiter-client";
import type { PrincipalLimiter } from "../src/limits/principal-limiter";
import { StorageUnavailableError } from "../src/storage/d1-errors";
import { askReveal, call, callWith, createRecords, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { decodePart } from "./support/reveal-tokens";
import { settle } from "./support/settle";
import { employeeToken, OTHER_ISSUER, serviceToken, TEST_ISSUER, token } from "./support/tokens";

let service: string;
let ops: string;

beforeAll(async () => {
	service = await serviceToken("records:write records:read");
	ops = await token({ sub: "ops-identity", scope: "ops" });
});

interface AuditRow {
	seq: number;
	kind: string;
	actor: { subject: string; issuer: string } | null;
	details: Record<string, unknown>;
}

/** Every audit entry of one actor, oldest first (the filter takes the subject; the issuer is checked here). */
async function auditOf(subject: string, issuer = TEST_ISSUER): Promise<AuditRow[]> {
	const page = await json<{ entries: AuditRow[] }>(await call("GET", `/v1/audit?actor=${encodeURIComponent(subject)}&limit=500`, { token: ops }));
	return page.entries.filter((entry) => entry.actor?.issuer === issuer).reverse();
}

/** Closes and flushes what a principal's limiter holds for the audit log and alerts, as its alarm would. */
async function flush(kind: "employee" | "service", subject: string, issuer = TEST_ISSUER): Promise<void> {
	await limiterOf(env, { kind, issuer, subject }).flushNow();
}

describe("one person, one identity: a principal is (issuer, subject)", () => {
	it("another issuer's token with the same sub sees nothing, reveals nothing, spends nothing, and its suspension is its own", async () => {
		const mine = await createRecords(service, 2, { depot: "ID1", courier: "twin-1" });
		const theirs = await createRecords(service, 1, { depot: "ID1", courier: "twin-1", courier_issuer: OTHER_ISSUER });
		const home = await employeeToken("courier", "twin-1", "ID1");
		const partner = await token({ iss: OTHER_ISSUER, sub: "twin-1", role: "courier", depot: "ID1", scope: "reveal" });

		const shipmentOf = async (id: string) => (await json<{ shipment_id: string }>(await call("GET", `/v1/records/${id}`, { token: service }))).shipment_id;
		const listed = await json<{ records: unknown[] }>(await call("GET", `/v1/records?shipment_id=${await shipmentOf(mine[0] as string)}`, { token: partner }));
		expect(listed.records).toEqual([]);
		expect((await askReveal(partner, mine[0] as string)).status).toBe(403);
		// Its own parcel (assigned under its issuer) it may reveal: that spends its quota, not the courier's.
		expect((await askReveal(partner, theirs[0] as string)).status).toBe(201);
		expect((await askReveal(home, theirs[0] as string)).status).toBe(403);
		const quota = async (bearer: string) =>
			(await json<{ limits: { kind: string; used: number }[] }>(await call("GET", "/v1/reveals/quota", { token: bearer }))).limits.find(
				(limit) => limit.kind === "daily",
			)?.used;
		expect(await quota(home)).toBe(0);
		expect(await quota(partner)).toBe(1);

		// The partner touches a trap and is suspended; the courier is not.
		const trap = await json<{ record_id: string }>(
			await call("POST", "/v1/honeytokens", { token: ops, body: { record: recordBody({ depot: "ID1", courier: "twin-1", courier_issuer: OTHER_ISSUER }) } }),
		);
		expect((await askReveal(partner, trap.record_id)).status).toBe(423);
		expect((await askReveal(partner, theirs[0] as string)).status).toBe(423);
		expect((await askReveal(home, mine[1] as string)).status).toBe(201);

		// Ops see two people, each by issuer; the courier's status is active, the partner's suspended.
		await settle(home, partner);
		const statusOf = async (issuer: string) =>
			json<{ issuer: string; suspension: unknown }>(await call("GET", `/v1/employees/twin-1?issuer=${encodeURIComponent(issuer)}`, { token: ops }));
		expect(await statusOf(TEST_ISSUER)).toMatchObject({ issuer: TEST_ISSUER, suspension: null });
		expect((await statusOf(OTHER_ISSUER)).suspension).toMatchObject({ reason: "honeytoken" });
		const listing = await json<{ principals: { issuer: string; subject: string; status: string }[] }>(
			await call("GET", "/v1/employees?depot=ID1", { token: ops }),
		);
		expect(listing.principals.filter((row) => row.subject === "twin-1").map((row) => [row.issuer, row.status])).toEqual(
			expect.arrayContaining([
				[OTHER_ISSUER, "suspended"],
				[TEST_ISSUER, "active"],
			]),
		);
		// An issuer the vault does not trust is refused where a person is named.
		expect((await call("GET", "/v1/employees/twin-1?issuer=nobody.example", { token: ops })).status).toBe(422);
	});

	it("a limiter object stays its person's should the employee issuer change: another issuer's person of the same sub is refused (503), spending and audited nothing", async () => {
		const missing = `rec_${"9".repeat(26)}`;
		const ask = { record_id: missing, fields: ["name"], purpose: "delivery" };
		// The employee issuer's courier: their object is `employee:identity-owner`, and now theirs.
		const mine = await employeeToken("courier", "identity-owner", "ID9");
		expect((await call("POST", "/v1/reveals", { token: mine, body: ask })).status).toBe(404);
		// TRUSTED_ISSUERS reordered, no `employees` mark: the other issuer becomes the employee issuer,
		// and its person of the same sub would be named `employee:identity-owner` too.
		const reordered = JSON.stringify((JSON.parse(env.TRUSTED_ISSUERS as string) as unknown[]).reverse());
		const theirs = await token({ iss: OTHER_ISSUER, sub: "identity-owner", role: "courier", depot: "ID9", scope: "reveal" });
		const refused = await callWith({ TRUSTED_ISSUERS: reordered }, "POST", "/v1/reveals", { token: theirs, body: ask });
		expect(refused.status).toBe(503);
		expect((await json<{ type: string }>(refused)).type).toBe("/problems/dependency-unavailable");
		// Nor does it read the owner's counts to them, or let ops change the owner's status under their name.
		expect((await callWith({ TRUSTED_ISSUERS: reordered }, "GET", "/v1/reveals/quota", { token: theirs })).status).toBe(503);
		const ops = await token({ sub: "identity-ops", scope: "ops" });
		const suspended = await callWith(
			{ TRUSTED_ISSUERS: reordered },
			"POST",
			`/v1/employees/identity-owner/suspend?issuer=${encodeURIComponent(OTHER_ISSUER)}`,
			{
				token: ops,
				body: { reason: "test" },
			},
		);
		expect(suspended.status).toBe(503);
		expect(await json<{ suspended: boolean }>(await call("GET", "/v1/reveals/quota", { token: mine }))).toMatchObject({ suspended: false });
		// The owner's object counted one refusal, of its owner, and wrote nothing for the other person.
		await settle(mine);
		const written = await env.DB.prepare("SELECT actor_issuer, count(*) AS n FROM audit_log WHERE actor = 'identity-owner' GROUP BY actor_issuer").all<{
			actor_issuer: string;
			n: number;
		}>();
		expect(written.results).toEqual([{ actor_issuer: TEST_ISSUER, n: 1 }]);
		expect((await call("POST", "/v1/reveals", { token: mine, body: ask })).status).toBe(404);
	});

	it("an employee policy layer applies to that issuer's person only", async () => {
		const [id] = await createRecords(service, 1, { depot: "ID2", courier: "twin-2", courier_issuer: OTHER_ISSUER });
		expect(
			(await call("PUT", `/v1/policies/employee/twin-2?issuer=${encodeURIComponent(OTHER_ISSUER)}`, { token: ops, body: { mode: "enforce", daily_limit: 1 } }))
				.status,
		).toBe(201);
		const partner = await token({ iss: OTHER_ISSUER, sub: "twin-2", role: "courier", depot: "ID2", scope: "reveal" });
		const home = await employeeToken("courier", "twin-2", "ID2");
		const daily = async (bearer: string) =>
			(await json<{ limits: { kind: string; limit: number }[] }>(await call("GET", "/v1/reveals/quota", { token: bearer }))).limits.find(
				(limit) => limit.kind === "daily",
			)?.limit;
		expect(await daily(partner)).toBe(1);
		expect(await daily(home)).toBe(400);
		expect((await askReveal(partner, id as string)).status).toBe(201);
	});

	it("a subject with control characters is refused: it could name another principal's objects", async () => {
		const forged = await token({ sub: "twin-1\nx", role: "courier", depot: "ID1", scope: "reveal" });
		expect((await call("GET", "/v1/reveals/quota", { token: forged })).status).toBe(401);
	});
});

describe("no contact data in any URL", () => {
	it("GET /v1/records?phone= is 400, points to POST /v1/records/lookup, writes nothing and echoes nothing", async () => {
		// Counted: entries decided from now on by this caller or by no one. Other tests' limiters may
		// flush what they decided earlier meanwhile; the caller's own limiter has nothing left to flush.
		await settle(service);
		const started = Date.now();
		const caller = decodePart(service, 1).sub as string;
		const written = async () =>
			(
				await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE at >= ?1 AND (actor = ?2 OR actor IS NULL)")
					.bind(started, caller)
					.first<{ n: number }>()
			)?.n ?? 0;
		const response = await call("GET", "/v1/records?phone=%2B8613912345678", { token: service });
		expect(response.status).toBe(400);
		const text = await response.text();
		expect(JSON.parse(text)).toMatchObject({ type: "/problems/bad-request" });
		expect(JSON.parse(text).detail).toContain("POST /v1/records/lookup");
		expect(text).not.toContain("13912345678");
		expect(text).not.toContain("5678");
		// Refused before authentication, so even without a token nothing is read.
		expect((await call("GET", "/v1/records?phone=13912345678")).status).toBe(400);
		await settle(service);
		expect(await written()).toBe(0);
	});

	it("no operation of the OpenAPI document takes a name, phone or address in its path or query", async () => {
		const document = await json<{ paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> }>(await call("GET", "/openapi.json"));
		const contactLike = /phone|mobile|tel\b|name|address|contact|email/i;
		const offending: string[] = [];
		for (const [path, operations] of Object.entries(document.paths)) {
			if (contactLike.test(path)) offending.push(path);
			for (const [method, operation] of Object.entries(operations)) {
				for (const parameter of operation.parameters ?? []) {
					if ((parameter.in === "query" || parameter.in === "path") && contactLike.test(parameter.name)) offending.push(`${method} ${path} ${parameter.name}`);
				}
			}
		}
		expect(Object.keys(document.paths).length).toBeGreaterThan(20);
		expect(offending).toEqual([]);
	});
});

describe("every lookup counted and audited", () => {
	it("a 1,000-lookup sweep with a records:read token stops at its limit, and is in the audit without a phone", { timeout: 180_000 }, async () => {
		// The customer whose mask 1******5678 the thief tries to complete.
		const target = "13966665678";
		await createRecords(service, 1, { contact: { name: "钱七", phone: target, address: "江苏省南京市鼓楼区中山路1号" } });
		const thief = await serviceToken("records:read", "sweeper");
		const candidates = Array.from({ length: 1000 }, (_, i) => `1${300_000 + i * 97}5678`);
		candidates[999] = target;
		const statuses: number[] = [];
		let found = 0;
		for (let i = 0; i < candidates.length; i += 50) {
			const answers = await Promise.all(candidates.slice(i, i + 50).map((phone) => call("POST", "/v1/records/lookup", { token: thief, body: { phone } })));
			for (const answer of answers) {
				statuses.push(answer.status);
				if (answer.status === 200) found += (await json<{ records: unknown[] }>(answer)).records.length;
				else await answer.body?.cancel();
			}
		}
		const granted = statuses.filter((status) => status === 200).length;
		// 120 a minute for services by default: the sweep got 120 answers of the million a six-digit mask hides.
		expect(granted).toBe(120);
		expect(statuses.filter((status) => status === 429)).toHaveLength(880);
		expect(found).toBe(0);
		const refused = await call("POST", "/v1/records/lookup", { token: thief, body: { phone: target } });
		expect(refused.status).toBe(429);
		expect(await json(refused)).toMatchObject({ type: "/problems/quota-exceeded", limit: "lookup_burst" });
		expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
		expect(refused.headers.get("RateLimit")).toContain('"lookup_burst";r=0');

		await flush("service", "sweeper");
		const summaries = (await auditOf("sweeper")).filter((entry) => entry.kind === "lookups.summarized");
		const total = (name: string) => summaries.reduce((sum, entry) => sum + Number(entry.details[name] ?? 0), 0);
		expect(total("phone_lookups")).toBe(1001);
		expect(total("refused")).toBe(881);
		// Counts and record ids, never the phone.
		const { results } = await env.DB.prepare("SELECT details FROM audit_log WHERE actor = 'sweeper'").all<{ details: string }>();
		for (const row of results) {
			expect(row.details).not.toContain("5678");
			expect(row.details).not.toContain(target);
		}
		// Ops hear of it.
		const alerts = await json<{ alerts: { kind: string; subject: string }[] }>(await call("GET", "/v1/alerts", { token: ops }));
		expect(alerts.alerts.some((alert) => alert.kind === "lookup_limit_reached" && alert.subject === "sweeper")).toBe(true);
	});

	it("a clerk's 250 lookups of unknown waybills stop with 429 and an alert before the 250th; 300 real parcels of their depot are never refused", {
		timeout: 180_000,
	}, async () => {
		const prober = await employeeToken("clerk", "enumerating-clerk", "LK1");
		const statuses: number[] = [];
		for (let i = 0; i < 250; i += 25) {
			const answers = await Promise.all(
				Array.from({ length: 25 }, (_, j) => call("GET", `/v1/records?shipment_id=NOSUCH${String(i + j).padStart(5, "0")}`, { token: prober })),
			);
			for (const answer of answers) {
				statuses.push(answer.status);
				await answer.body?.cancel();
			}
		}
		expect(statuses.filter((status) => status === 200)).toHaveLength(60);
		// 25 at a time: within the batch that crosses the limit, which ones the limiter took first is its own order.
		expect(statuses.slice(0, 50).every((status) => status === 200)).toBe(true);
		expect(statuses.slice(75).every((status) => status === 429)).toBe(true);
		expect(statuses.filter((status) => status === 429)).toHaveLength(190);
		await flush("employee", "enumerating-clerk");
		const alerts = await json<{ alerts: { kind: string; subject: string; severity: string }[] }>(await call("GET", "/v1/alerts", { token: ops }));
		expect(alerts.alerts.filter((alert) => alert.kind === "lookup_misses_exceeded" && alert.subject === "enumerating-clerk")).toEqual([
			expect.objectContaining({ severity: "critical" }),
		]);
		const summaries = (await auditOf("enumerating-clerk")).filter((entry) => entry.kind === "lookups.summarized");
		const total = (name: string) => summaries.reduce((sum, entry) => sum + Number(entry.details[name] ?? 0), 0);
		expect([total("shipment_lookups"), total("misses"), total("refused")]).toEqual([250, 250, 190]);

		// An honest clerk scanning 300 parcels of their own depot.
		const ids = await createRecords(service, 300, { depot: "LK2" });
		const shipments = new Map<string, string>();
		for (const id of ids) shipments.set(id, (await json<{ shipment_id: string }>(await call("GET", `/v1/records/${id}`, { token: service }))).shipment_id);
		const scanner = await employeeToken("clerk", "scanning-clerk", "LK2");
		const scanned: number[] = [];
		const values = [...shipments.values()];
		for (let i = 0; i < values.length; i += 25) {
			const answers = await Promise.all(values.slice(i, i + 25).map((shipment) => call("GET", `/v1/records?shipment_id=${shipment}`, { token: scanner })));
			for (const answer of answers) {
				scanned.push(answer.status);
				expect((await json<{ records: unknown[] }>(answer)).records).toHaveLength(1);
			}
		}
		expect(scanned.every((status) => status === 200)).toBe(true);
		expect(scanned).toHaveLength(300);
	});

	it("150 asks for records that do not exist: 30 answered and audited one by one, then 429, the rest summed in one entry a minute", {
		timeout: 120_000,
	}, async () => {
		const courier = await employeeToken("courier", "id-guesser", "LK3");
		const written = async (kind = "%") =>
			(await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE actor = 'id-guesser' AND kind LIKE ?1").bind(kind).first<{ n: number }>())?.n ?? 0;
		const statuses: number[] = [];
		for (let i = 0; i < 150; i++) {
			const response = await askReveal(courier, `rec_${String(i).padStart(26, "0")}`);
			statuses.push(response.status);
			await response.body?.cancel();
		}
		expect(statuses.slice(0, 30).every((status) => status === 404)).toBe(true);
		expect(statuses.slice(30).every((status) => status === 429)).toBe(true);
		// Bounded: 30 entries of their own while the budget lasted; the rest only in per-minute summaries
		// (one may already be in D1 if a minute ended during the test).
		await flush("employee", "id-guesser");
		expect(await written("reveal.denied")).toBe(30);
		const entries = await auditOf("id-guesser");
		expect(entries.filter((entry) => entry.kind === "reveal.denied")).toHaveLength(30);
		const summaries = entries.filter((entry) => entry.kind === "refusals.summarized");
		expect(summaries.length).toBeGreaterThanOrEqual(1);
		expect(summaries.length).toBeLessThanOrEqual(3);
		expect(summaries.reduce((sum, entry) => sum + Number(entry.details.record_not_found ?? 0), 0)).toBe(120);
		expect(await written()).toBe(30 + summaries.length);
	});

	it("refusals the limiter decides spend the same budget: past it a replayed token and a refused ask are summed, not audited one by one", async () => {
		const layer = { mode: "enforce", burst_limit: 1, burst_window_seconds: 600, refusal_limit: 2 };
		expect((await call("PUT", "/v1/policies/employee/budget-spender", { token: ops, body: layer })).status).toBe(201);
		const [first, second] = await createRecords(service, 2, { depot: "LK4", courier: "budget-spender" });
		const courier = await employeeToken("courier", "budget-spender", "LK4");
		const { reveal_token } = await json<{ reveal_token: string }>(await askReveal(courier, first as string));
		const redeem = () => call("POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token } });
		const problemType = async (response: Response) => (await json<{ type: string }>(response)).type.split("/").at(-1);
		expect((await redeem()).status).toBe(200);
		// Within the budget of two: each refusal answered as itself, and audited on its own.
		expect(await problemType(await redeem())).toBe("reveal-token-used");
		expect(await problemType(await askReveal(courier, second as string))).toBe("quota-exceeded");
		// Past it: 429 for the refusals, and only the minute's summary says what was refused.
		for (const pastBudget of [await redeem(), await askReveal(courier, second as string)]) {
			expect(pastBudget.status).toBe(429);
			// When the hour's budget has room again, not a default: the oldest counted refusal is seconds old.
			expect(Number(pastBudget.headers.get("Retry-After"))).toBeGreaterThan(600);
			expect(await problemType(pastBudget)).toBe("too-many-refusals");
		}
		await flush("employee", "budget-spender");
		const entries = await auditOf("budget-spender");
		expect(entries.filter((entry) => entry.kind === "reveal.refused").map((entry) => entry.details.reason)).toEqual(["already_redeemed"]);
		expect(entries.filter((entry) => entry.kind === "reveal.denied")).toHaveLength(1);
		const summaries = entries.filter((entry) => entry.kind === "refusals.summarized");
		const summed = (key: string) => summaries.reduce((sum, entry) => sum + Number(entry.details[key] ?? 0), 0);
		expect(summed("redeem_already_redeemed")).toBe(1);
		expect(summed("ask_burst")).toBe(1);
		expect(summaries.flatMap((entry) => entry.details.record_ids as string[]).sort()).toEqual([first, second].sort());
		expect(entries.filter((entry) => entry.kind === "reveal.redeemed")).toHaveLength(1);
		// The budget running out is raised once for ops, however many refusals follow.
		const alerts = (await json<{ alerts: { kind: string; subject: string }[] }>(await call("GET", "/v1/alerts", { token: ops }))).alerts;
		expect(alerts.filter((alert) => alert.kind === "refusal_budget_exhausted" && alert.subject === "budget-spender")).toHaveLength(1);
	});

	it("a limiter killed before its flush loses no entry, and a flush retried after D1 failed writes each once, in order", async () => {
		const reader = await serviceToken("records:read", "crash-reader");
		for (let i = 0; i < 3; i++) expect((await call("POST", "/v1/records/lookup", { token: reader, body: { phone: `1390000000${i}` } })).status).toBe(200);
		const stub = limiterOf(env, { kind: "service", issuer: TEST_ISSUER, subject: "crash-reader" });
		await evictDurableObject(stub);
		await env.DB.prepare(
			"CREATE TRIGGER fail_summaries BEFORE INSERT ON audit_log WHEN NEW.kind = 'lookups.summarized' BEGIN SELECT RAISE(ABORT, 'd1 down'); END",
		).run();
		try {
			// Inside the object, so the failure is the flush's own, not an RPC's.
			await runInDurableObject(stub, async (limiter: PrincipalLimiter) => {
				await expect(limiter.flushNow()).rejects.toThrow(StorageUnavailableError);
			});
		} finally {
			await env.DB.prepare("DROP TRIGGER fail_summaries").run();
		}
		expect((await auditOf("crash-reader")).filter((entry) => entry.kind === "lookups.summarized")).toHaveLength(0);
		expect(await stub.flushNow()).toBe(1);
		expect(await stub.flushNow()).toBe(0);
		const summaries = (await auditOf("crash-reader")).filter((entry) => entry.kind === "lookups.summarized");
		expect(summaries).toHaveLength(1);
		expect(summaries[0]?.details.phone_lookups).toBe(3);
		const verified = await json<{ ok: boolean }>(await call("GET", "/v1/audit/verify", { token: ops }));
		expect(verified.ok).toBe(true);
	});
});

describe("honeytokens look like any record to everyone but ops", () => {
	it("what a service and an employee see of a trap is drawn like what they see of real records, before and after its renewal", async () => {
		const real = await createRecords(service, 3, { depot: "HT1", courier: "ht-courier" });
		const planted = await json<{ record_id: string }>(
			await call("POST", "/v1/honeytokens", { token: ops, body: { record: recordBody({ depot: "HT1", courier: "ht-courier" }) } }),
		);
		const courier = await employeeToken("courier", "ht-courier", "HT1");
		type View = Record<string, unknown> & { created_at: string; updated_at: string; expires_at: string; key_id: string; shipment_id: string };
		const serviceView = async (id: string) => json<View>(await call("GET", `/v1/records/${id}`, { token: service }));
		const employeeView = async (id: string) => {
			const shipment = (await serviceView(id)).shipment_id;
			const { leg, ...view } = (
				await json<{ records: (View & { leg: { state: string; kind: string | null } })[] }>(
					await call("GET", `/v1/records?shipment_id=${shipment}`, { token: courier }),
				)
			).records[0] as View & { leg: { state: string; kind: string | null } };
			// The lookup adds the courier's work on the parcel, drawn the same for every record; what
			// it says follows the shipment's events: a trap meant to look live needs work reported on it like any parcel.
			expect(Object.keys(leg).sort()).toEqual(["kind", "state"]);
			return view as View;
		};
		/** Everything about a view except the values that differ between any two records. */
		const shape = (view: View) => ({
			keys: Object.keys(view).sort(),
			types: Object.values(view).map((value) => typeof value),
			lifetime_days: (Date.parse(view.expires_at) - Date.parse(view.created_at)) / 86_400_000,
			updated_is_created: view.updated_at === view.created_at,
			key_id: view.key_id,
			masked_keys: Object.keys(view.masked as object).sort(),
		});
		const expected = shape(await serviceView(real[0] as string));
		for (const id of real) {
			expect(shape(await serviceView(id))).toEqual(expected);
			expect(shape(await employeeView(id))).toEqual(expected);
		}
		expect(shape(await serviceView(planted.record_id))).toEqual(expected);
		expect(shape(await employeeView(planted.record_id))).toEqual(expected);
		expect(Number.isInteger(expected.lifetime_days)).toBe(true);

		// At its expiry it goes like a record and comes back as a new one, drawn the same way.
		await env.DB.prepare("UPDATE records SET expires_at = ?2 WHERE id = ?1")
			.bind(planted.record_id, Date.now() - 1000)
			.run();
		await runCron("* * * * *");
		const renewed = await env.DB.prepare("SELECT record_id FROM honeytokens WHERE renewed_from = ?1").bind(planted.record_id).first<{ record_id: string }>();
		expect(renewed).not.toBeNull();
		expect(shape(await serviceView(renewed?.record_id as string))).toEqual(expected);
		expect(shape(await employeeView(renewed?.record_id as string))).toEqual(expected);
		expect(Date.now() - Date.parse((await serviceView(renewed?.record_id as string)).created_at)).toBeLessThan(60_000);
	});
});
