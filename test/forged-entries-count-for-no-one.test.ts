import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLogFor } from "../src/audit/audit-log-for";
import type { AuditEvent } from "../src/audit/entry";
import { entriesFoundForged } from "../src/audit/forged-entries";
import { RecordedAsks } from "../src/audit/recorded-asks";
import { call, callWith, json } from "./support/api";
import { asDba } from "./support/dba";
import { TEST_ISSUER, token } from "./support/tokens";
import { unreachableWitness } from "./support/witness";

/**
 * Entries written or moved with SQL before their seal fail their MAC as they are sealed, and the
 * witness keeps them as forged. The ops reads that count or list the log's entries (the dashboard,
 * the what-if, the employees view) count them for no one, as leak attribution and the careful-insider
 * scan already did.
 */

const DEPOT = "FG-1";
const HOUR = 3_600_000;
let ops: string;
let movedSeqs: number[];

const ask = (subject: string, at: number, granted: boolean): AuditEvent => ({
	kind: granted ? "reveal.granted" : "reveal.denied",
	at,
	actor: { subject, issuer: TEST_ISSUER, role: "courier", depot: DEPOT },
	recordId: `fg-rec-${subject}-${at}`,
	details: granted ? { purpose: "delivery", fields: ["name"] } : { purpose: "delivery", fields: ["name"], reason: "out_of_scope" },
});

beforeAll(async () => {
	ops = await token({ sub: "ops-forged-counts", scope: "ops" });
	const now = Date.now();
	// An honest courier's two asks, and five asks of another courier's that someone with raw access
	// moves onto a courier who never asked, before any seal.
	const log = auditLogFor(env);
	await log.appendAllWith([
		ask("fg-honest", now - HOUR, true),
		ask("fg-honest", now - HOUR + 1, false),
		...Array.from({ length: 5 }, (_, i) => ask("fg-source", now - HOUR + 10 + i, i !== 4)),
	]);
	const moved = await asDba(() =>
		env.DB.prepare("UPDATE audit_log SET actor = 'fg-ghost' WHERE actor = 'fg-source' AND hash IS NULL RETURNING seq").all<{ seq: number }>(),
	);
	movedSeqs = moved.results.map((row) => row.seq);
	expect(movedSeqs).toHaveLength(5);
	while ((await log.sealSome()).more);
	expect(await entriesFoundForged(env)).toEqual(expect.arrayContaining(movedSeqs));
});

describe("entries the witness judged forged count for no one", () => {
	it("the store would count them without the list: the test can tell", async () => {
		const all = await new RecordedAsks(env.DB, []).between(0, Date.now() + 1, DEPOT, 100);
		expect(all.filter((row) => row.subject === "fg-ghost")).toHaveLength(5);
		const left = await new RecordedAsks(env.DB, movedSeqs).between(0, Date.now() + 1, DEPOT, 100);
		expect(left.map((row) => row.subject)).toEqual(["fg-honest", "fg-honest"]);
	});

	it("the dashboard counts the honest courier's asks only", async () => {
		const response = await call("GET", `/v1/dashboard?depot=${DEPOT}`, { token: ops });
		expect(response.status).toBe(200);
		const dashboard = await json<{ hours: { reveals: number; refused: number }[]; employees: { subject: string }[] }>(response);
		expect(dashboard.hours.reduce((sum, row) => sum + row.reveals, 0)).toBe(1);
		expect(dashboard.hours.reduce((sum, row) => sum + row.refused, 0)).toBe(1);
		expect(dashboard.employees.map((row) => row.subject)).toEqual(["fg-honest"]);
	});

	it("the what-if replays the honest courier's asks only", async () => {
		const response = await call("POST", "/v1/policies/simulate", {
			token: ops,
			body: { days: 1, depot: DEPOT, layers: [{ layer: "depot", target: DEPOT, mode: "enforce", daily_limit: 1 }] },
		});
		expect(response.status).toBe(200);
		const result = await json<{ asks: number; recorded: { granted: number; refused: number }; principals: { subject: string }[] }>(response);
		expect(result.asks).toBe(2);
		expect(result.recorded).toEqual({ granted: 1, refused: 1 });
		expect(result.principals.map((row) => row.subject)).not.toContain("fg-ghost");
	});

	it("the employees view lists the honest courier, and has never seen the courier the entries were moved onto", async () => {
		const listed = await json<{ principals: { subject: string }[] }>(await call("GET", `/v1/employees?depot=${DEPOT}`, { token: ops }));
		expect(listed.principals.map((row) => row.subject)).toContain("fg-honest");
		expect(listed.principals.map((row) => row.subject)).not.toContain("fg-ghost");
		expect((await call("GET", "/v1/employees/fg-ghost?role=courier", { token: ops })).status).toBe(404);
	});

	it("without the witness's word the counts are refused (503), not given with forged entries in them", async () => {
		const config = { AUDIT_WITNESS: unreachableWitness() };
		for (const [method, path, body] of [
			["GET", `/v1/dashboard?depot=${DEPOT}`, undefined],
			["GET", `/v1/employees?depot=${DEPOT}`, undefined],
			["GET", "/v1/employees/fg-honest?role=courier", undefined],
			["POST", "/v1/policies/simulate", { days: 1, depot: DEPOT, layers: [{ layer: "depot", target: DEPOT, mode: "enforce", daily_limit: 1 }] }],
		] as const) {
			const response = await callWith(config, method, path, { token: ops, ...(body ? { body } : {}) });
			expect(response.status, path).toBe(503);
			expect(response.headers.get("Content-Type")).toMatch(/^application\/problem\+json/);
			expect(await response.text()).not.toContain("fg-");
		}
	});
});
