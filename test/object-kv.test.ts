import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ObjectKv } from "../src/limits/object-kv";
import { RedemptionMarks } from "../src/limits/redemption-marks";

// A limiter object of its own, used only as a place with storage: nothing here calls its methods.
const stubFor = (name: string) => env.LIMITER.get(env.LIMITER.idFromName(`object-kv-test:${name}`));

describe("the limiter's storage as it remembers it", () => {
	it("remembers what it wrote, frozen: a rule that changed a value in place would throw, not change memory alone", async () => {
		await runInDurableObject(stubFor("frozen"), async (_instance, state) => {
			const kv = new ObjectKv(state.storage);
			kv.put("state", { grants: [{ at: 1, recordId: "r1" }], suspension: null });
			const read = kv.get<{ grants: { at: number; recordId: string }[]; suspension: null }>("state");
			expect(read?.grants).toEqual([{ at: 1, recordId: "r1" }]);
			expect(() => read?.grants.push({ at: 2, recordId: "r2" })).toThrow(TypeError);
			expect(() => {
				(read?.grants[0] as { at: number }).at = 5;
			}).toThrow(TypeError);
			// Storage holds what memory holds.
			expect(state.storage.kv.get("state")).toEqual({ grants: [{ at: 1, recordId: "r1" }], suspension: null });
			kv.delete("state");
			expect(kv.get("state")).toBeUndefined();
			expect(state.storage.kv.get("state")).toBeUndefined();
		});
	});

	it("a transaction that throws rolls storage back, and memory follows it", async () => {
		await runInDurableObject(stubFor("rollback"), async (_instance, state) => {
			const kv = new ObjectKv(state.storage);
			kv.put("count", 1);
			let alsoForgotten = false;
			expect(() =>
				kv.transaction(
					() => {
						kv.put("count", 2);
						throw new Error("the decision failed after its write");
					},
					() => {
						alsoForgotten = true;
					},
				),
			).toThrow(/decision failed/);
			expect(alsoForgotten).toBe(true);
			expect(kv.get("count")).toBe(1);
			expect(state.storage.kv.get("count")).toBe(1);
			// The same rollback without forgetting would leave memory ahead of storage: what the transaction guards against.
			const bare = new ObjectKv(state.storage);
			bare.put("count", 1);
			expect(() =>
				state.storage.transactionSync(() => {
					bare.put("count", 3);
					throw new Error("rolled back");
				}),
			).toThrow(/rolled back/);
			expect(bare.get("count")).toBe(3);
			expect(state.storage.kv.get("count")).toBe(1);
		});
	});

	it("a value written by an earlier instance is read from storage, not assumed absent", async () => {
		await runInDurableObject(stubFor("earlier"), async (_instance, state) => {
			new ObjectKv(state.storage).put("depot", { D1: { reveals: 3 } });
			expect(new ObjectKv(state.storage).get("depot")).toEqual({ D1: { reveals: 3 } });
		});
	});
});

describe("single-use marks", () => {
	it("one statement marks a token once; the purge drops only marks of tokens long expired", async () => {
		await runInDurableObject(stubFor("marks"), async (_instance, state) => {
			const marks = new RedemptionMarks(state.storage.sql);
			const now = Date.now();
			expect(marks.mark("jti-live", now + 60_000)).toBe(true);
			expect(marks.mark("jti-live", now + 60_000)).toBe(false);
			expect(marks.mark("jti-old", now - 3_600_000)).toBe(true);
			marks.purgeExpired(now);
			// The live token's mark stays: a purge must never let a token redeem twice.
			expect(marks.mark("jti-live", now + 60_000)).toBe(false);
			expect(marks.mark("jti-old", now - 3_600_000)).toBe(true);
		});
	});
});
