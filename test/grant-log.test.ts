import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Grant, GrantLog } from "../src/limits/grant-log";
import { BUILT_IN_LEG_POLICY } from "../src/shipments/leg-policy";

const DAY_MS = 86_400_000;

const stubFor = (name: string) => env.LIMITER.get(env.LIMITER.idFromName(`grant-log-test:${name}`));

/** A service's limits: a daily cap of `daily`, nothing else in the way. */
const policyOf = (daily: number) => ({
	enforced: [
		{ kind: "burst" as const, limit: 1_000, windowSeconds: 60, mode: "enforce" as const, layer: "role" as const, target: "service" },
		{ kind: "daily" as const, limit: daily, windowSeconds: 86_400, mode: "enforce" as const, layer: "role" as const, target: "service" },
	],
	shadow: [],
	activity: { enforced: [], shadow: [] },
	ringThreshold: 3,
	depotDailyBudget: 5000,
	legs: BUILT_IN_LEG_POLICY,
	plaintextPhone: { kind: "plaintext_phone" as const, limit: 10, windowSeconds: 86_400, mode: "enforce" as const, layer: "role" as const, target: "courier" },
	calls: [],
});

const draftFor = (recordId: string) => ({
	recordId,
	purpose: "notify" as const,
	fields: ["phone" as const],
	scopeReason: null,
	jti: crypto.randomUUID(),
	expiresAt: Date.now() + 60_000,
});

const askAs = (stub: ReturnType<typeof stubFor>, subject: string, recordId: string, daily: number) =>
	stub.ask({ recordId, class: "in_scope", honeytoken: false }, policyOf(daily), { subject, issuer: "iss" }, draftFor(recordId), "service");

/** What the object stores: its grant rows, and whether `state` still carries grants. */
const stored = (stub: ReturnType<typeof stubFor>) =>
	runInDurableObject(stub, async (_instance, state) => ({
		rows: state.storage.sql.exec<{ at: number; record_id: string }>("SELECT at, record_id FROM reveal_grants ORDER BY seq").toArray(),
		stateHasGrants: "grants" in (state.storage.kv.get<Record<string, unknown>>("state") ?? {}),
	}));

describe("the limiter's grants, one row each", () => {
	it("each grant is one row; `state` never holds the day's grants, and a refused ask adds none", async () => {
		const stub = stubFor("rows");
		for (let i = 0; i < 12; i++) await askAs(stub, "rows", `r${i}`, 10);
		const { rows, stateHasGrants } = await stored(stub);
		expect(rows.map((row) => row.record_id)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
		expect(stateHasGrants).toBe(false);
	});

	it("counts from its rows after an eviction: the eleventh ask against 10 a day is refused", async () => {
		const stub = stubFor("evicted");
		for (let i = 0; i < 10; i++) expect((await askAs(stub, "evicted", `r${i}`, 10)).decision.granted).toBe(true);
		await evictDurableObject(stub);
		const refused = await askAs(stub, "evicted", "r10", 10);
		expect(refused.decision).toMatchObject({ granted: false, refusal: "daily" });
	});

	it("a grant older than a day leaves its row at the next decision", async () => {
		const stub = stubFor("expiry");
		const now = Date.now();
		await runInDurableObject(stub, async (_instance, state) => {
			const log = new GrantLog(state.storage.sql);
			log.save([
				{ at: now - DAY_MS - 60_000, recordId: "old-1" },
				{ at: now - DAY_MS - 1_000, recordId: "old-2" },
				{ at: now - 3_600_000, recordId: "recent" },
			]);
		});
		await askAs(stub, "expiry", "new", 10);
		expect((await stored(stub)).rows.map((row) => row.record_id)).toEqual(["recent", "new"]);
	});

	it("state written before the grants had their table: its grants move there once and keep counting", async () => {
		const stub = stubFor("legacy");
		const now = Date.now();
		const grants = Array.from({ length: 10 }, (_, i) => ({ at: now - 60_000 + i, recordId: `legacy-${i}`, ...(i === 0 ? { case: true } : {}) }));
		await runInDurableObject(stub, async (_instance, state) => {
			state.storage.kv.put("state", { grants, probes: [], stale: [], suspension: null, quotaAlertAt: null });
		});
		// The object reads its storage afresh, as after a deploy.
		await evictDurableObject(stub);
		const refused = await askAs(stub, "legacy", "one-more", 10);
		expect(refused.decision).toMatchObject({ granted: false, refusal: "daily" });
		const { rows, stateHasGrants } = await stored(stub);
		expect(rows.map((row) => row.record_id)).toEqual(grants.map((grant) => grant.recordId));
		expect(stateHasGrants).toBe(false);
		// The case mark survives the move: it is what the case limit counts.
		await runInDurableObject(stub, async (_instance, state) => {
			expect(new GrantLog(state.storage.sql).all()[0]).toEqual({ at: grants[0]?.at, recordId: "legacy-0", case: true });
		});
	});

	it("stores any change of the list, not only the usual one: a grant dropped from the middle, all of them replaced, none left", async () => {
		await runInDurableObject(stubFor("shapes"), async (_instance, state) => {
			const log = new GrantLog(state.storage.sql);
			const rows = () =>
				state.storage.sql
					.exec<{ record_id: string }>("SELECT record_id FROM reveal_grants ORDER BY seq")
					.toArray()
					.map((row) => row.record_id);
			const fresh = () => new GrantLog(state.storage.sql).all().map((grant) => grant.recordId);
			log.save([
				{ at: 1, recordId: "a" },
				{ at: 2, recordId: "b" },
				{ at: 3, recordId: "c" },
			]);
			const [a, , c] = log.all();
			log.save([a as Grant, c as Grant]);
			expect(rows()).toEqual(["a", "c"]);
			log.save([c as Grant, { at: 4, recordId: "d" }]);
			expect(rows()).toEqual(["c", "d"]);
			log.save([{ at: 5, recordId: "e" }]);
			expect(rows()).toEqual(["e"]);
			expect(fresh()).toEqual(["e"]);
			log.save([]);
			expect(rows()).toEqual([]);
			expect(log.all()).toEqual([]);
		});
	});

	it("a transaction that throws rolls the rows back, and `forget` reads them again", async () => {
		await runInDurableObject(stubFor("rollback"), async (_instance, state) => {
			const log = new GrantLog(state.storage.sql);
			const first: Grant = { at: 1, recordId: "kept" };
			log.save([first]);
			expect(() =>
				state.storage.transactionSync(() => {
					log.save([...log.all(), { at: 2, recordId: "rolled-back", phone: true }]);
					throw new Error("the decision failed after its write");
				}),
			).toThrow("the decision failed after its write");
			log.forget();
			expect(log.all()).toEqual([first]);
			// Remembered grants are frozen: a rule that changed one in place would throw rather than differ from its row.
			expect(() => {
				(log.all()[0] as { at: number }).at = 5;
			}).toThrow(TypeError);
		});
	});
});
