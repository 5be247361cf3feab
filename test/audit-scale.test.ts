import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { continueFullVerification } from "../src/audit/housekeeping";
import { FULL_PAGES_PER_SLICE, FULL_SLICE_QUERY_BOUND, VERIFY_PAGE, VERIFY_PAGES_PER_REQUEST, VERIFY_QUERY_BOUND } from "../src/audit/verify-budget";
import type { Env } from "../src/env";
import worker from "../src/index";
import { generateChain } from "./support/chain-generator";
import { countingDb } from "./support/counting-db";
import { token } from "./support/tokens";

/**
 * Verification at any size: a chain of AUDIT_SCALE_ENTRIES entries (30,000 in the normal suite, two requests;
 * CI runs 500,000 as its own step: `AUDIT_SCALE_ENTRIES=500000 npx vitest run test/audit-scale.test.ts`)
 * verifies in bounded requests, and each request and each cron slice stays within its D1 query bound.
 */
const ENTRIES = Number(env.AUDIT_SCALE_ENTRIES ?? "30000");
/** A checkpoint every 1,000 entries, as in production (the other test files use 25). */
const scaleEnv = { ...env, AUDIT_CHECKPOINT_INTERVAL: "1000" } as Env;
const MINUTES = 60_000;

describe(`a chain of ${ENTRIES} entries`, () => {
	it("verifies through bounded requests and bounded cron slices, each within its D1 query bound", { timeout: 60 * MINUTES }, async () => {
		const t0 = Date.now();
		const head = await generateChain(ENTRIES, scaleEnv);
		expect(head.seq).toBe(ENTRIES);
		const generatedMs = Date.now() - t0;
		const checkpoints = await env.DB.prepare("SELECT count(*) AS n FROM audit_checkpoints").first<{ n: number }>();
		expect(checkpoints?.n).toBe(Math.floor(ENTRIES / 1000));

		const ops = await token({ sub: "ops-scale", scope: "ops" });
		const counter = countingDb(env.DB);
		const counted = { ...scaleEnv, DB: counter.db } as Env;

		// Incremental: each request continues from the last verified checkpoint.
		const perRequest: number[] = [];
		const t1 = Date.now();
		let report: { ok: boolean; complete: boolean; walked: { to_seq: number }; witness: { problems: unknown[] } } | null = null;
		for (let request = 0; request < Math.ceil(ENTRIES / (VERIFY_PAGE * VERIFY_PAGES_PER_REQUEST)) + 2; request++) {
			counter.reset();
			const ctx = createExecutionContext();
			const response = await worker.fetch(new Request("https://vault.test/v1/audit/verify", { headers: { Authorization: `Bearer ${ops}` } }), counted, ctx);
			await waitOnExecutionContext(ctx);
			expect(response.status).toBe(200);
			report = await response.json();
			perRequest.push(counter.count());
			expect(report?.ok).toBe(true);
			if (report?.complete) break;
		}
		const verifyMs = Date.now() - t1;
		expect(report).toMatchObject({ ok: true, complete: true, walked: { to_seq: ENTRIES }, witness: { problems: [] } });
		expect(Math.max(...perRequest)).toBeLessThanOrEqual(VERIFY_QUERY_BOUND);
		expect(perRequest.length).toBe(Math.ceil(ENTRIES / (VERIFY_PAGE * VERIFY_PAGES_PER_REQUEST)));

		// The full re-verification, one cron slice per invocation.
		const start = await worker.fetch(
			new Request("https://vault.test/v1/audit/verify/full", { method: "POST", headers: { Authorization: `Bearer ${ops}` } }),
			scaleEnv,
			createExecutionContext(),
		);
		expect(start.status).toBe(202);
		const perSlice: number[] = [];
		const t2 = Date.now();
		for (let slice = 0; slice < Math.ceil(ENTRIES / (VERIFY_PAGE * FULL_PAGES_PER_SLICE)) + 2; slice++) {
			counter.reset();
			const run = await continueFullVerification(counted, Date.now());
			perSlice.push(counter.count());
			if (typeof run !== "string" && run.finished) break;
		}
		const fullMs = Date.now() - t2;
		expect(Math.max(...perSlice)).toBeLessThanOrEqual(FULL_SLICE_QUERY_BOUND);
		const after = (await (
			await worker.fetch(new Request("https://vault.test/v1/audit/verify", { headers: { Authorization: `Bearer ${ops}` } }), scaleEnv, createExecutionContext())
		).json()) as { ok: boolean; full_verification: { status: string; ok: boolean; checked_through: number; entries_checked: number } };
		expect(after.full_verification).toMatchObject({ status: "finished", ok: true, checked_through: ENTRIES, entries_checked: ENTRIES });
		expect(after.ok).toBe(true);

		console.log(
			JSON.stringify({
				event: "audit_scale",
				entries: ENTRIES,
				generated_ms: generatedMs,
				verify: { requests: perRequest.length, max_queries: Math.max(...perRequest), bound: VERIFY_QUERY_BOUND, total_ms: verifyMs },
				full: { slices: perSlice.length, max_queries: Math.max(...perSlice), bound: FULL_SLICE_QUERY_BOUND, total_ms: fullMs },
			}),
		);
	});
});
