import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { FORGED_ENTRIES_READ } from "../src/audit/forged-entries";
import { call } from "./support/api";
import { token } from "./support/tokens";
import { witnessStub } from "./support/witness";

/**
 * The reads that count or cite the log's entries leave out every entry the witness judged forged,
 * read as one list of at most FORGED_ENTRIES_READ. Someone with D1 write access who seeds that many
 * (each raising its critical alert) must not make the next forgeries count: at the bound every such
 * read answers 503 rather than count some. One under it, they answer.
 */

const DEPOT = "FB-1";
/** Seqs far past any entry this test's log holds: the witness's list is all that is read. */
const FIRST_SEQ = 1_000_000_000;
let ops: string;

const forged = (from: number, count: number) =>
	Array.from({ length: count }, (_, i) => ({ table: "audit_log", key: String(FIRST_SEQ + from + i), mac_key: "k1", reason: "mac_invalid" }));

const reads = [
	["GET", `/v1/dashboard?depot=${DEPOT}`, undefined],
	["GET", `/v1/employees?depot=${DEPOT}`, undefined],
	["GET", "/v1/employees/fb-courier?role=courier", undefined],
	["POST", "/v1/policies/simulate", { days: 1, depot: DEPOT, layers: [{ layer: "depot", target: DEPOT, mode: "enforce", daily_limit: 1 }] }],
	["POST", "/v1/leaks/attribute", { phones: ["13800000000"] }],
] as const;

const answer = (method: string, path: string, body: unknown) => call(method, path, { token: ops, ...(body ? { body } : {}) });
const attributed = async () => (await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE kind = 'leak.attributed'").first<{ n: number }>())?.n;

beforeAll(async () => {
	ops = await token({ sub: "ops-forged-bound", scope: "ops" });
	await witnessStub().noteForgedRows(forged(0, FORGED_ENTRIES_READ - 1), Date.now());
});

describe("past the bound of forged entries no read counts the log", () => {
	it("one under the bound, every read answers (the employee read: no such person)", async () => {
		for (const [method, path, body] of reads) {
			const response = await answer(method, path, body);
			expect(response.status, path).toBe(path.startsWith("/v1/employees/") ? 404 : 200);
		}
	});

	it("at the bound, every one of them answers 503 with a problem, and leak attribution records no attribution", async () => {
		await witnessStub().noteForgedRows(forged(FORGED_ENTRIES_READ - 1, 1), Date.now());
		const before = await attributed();
		for (const [method, path, body] of reads) {
			const response = await answer(method, path, body);
			expect(response.status, path).toBe(503);
			expect(response.headers.get("Content-Type"), path).toMatch(/^application\/problem\+json/);
			// Not the witness-unavailable 503, which also speaks of forged entries: this one is the bound's.
			expect(await response.text(), path).toMatch(/too many forged entries/);
		}
		expect(await attributed()).toBe(before);
	});
});
