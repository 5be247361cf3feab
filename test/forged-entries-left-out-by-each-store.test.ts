import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ActivityStore } from "../src/audit/activity-store";
import { auditLogFor } from "../src/audit/audit-log-for";
import type { AuditActor, AuditEvent } from "../src/audit/entry";
import { RecordedAsks } from "../src/audit/recorded-asks";
import { RecordedCalls } from "../src/audit/recorded-calls";
import { TEST_ISSUER } from "./support/tokens";

/**
 * Every store that counts or lists the log's entries for ops takes the witness's forged seqs and
 * leaves them out. The dashboard, the what-if and the employees view are tested end to end in
 * forged-entries-count-for-no-one.test.ts through the asks and `employeesSince`; these are the
 * other reads: the calls (per hour and one by one), the status changes the what-if replays, a
 * principal's suspension history and where the log last saw them. Each test reads once without the
 * list (the entry is there: the test can tell) and once with it.
 */

const DEPOT = "FL-1";
const OTHER_DEPOT = "FL-2";
const HOUR = 3_600_000;
const now = Date.now();
const from = now - 2 * HOUR;
const to = now + 1;
const courier = (subject: string, depot = DEPOT): AuditActor => ({ subject, issuer: TEST_ISSUER, role: "courier", depot });
const opsActor: AuditActor = { subject: "fl-ops", issuer: TEST_ISSUER };
/** Each entry's seq, by the record id (or kind and subject) it was written with. */
const seqOf = new Map<string, number>();

const event = (key: string, kind: AuditEvent["kind"], at: number, actor: AuditActor | null, details: AuditEvent["details"]): [string, AuditEvent] => [
	key,
	{ kind, at, actor, recordId: `fl-rec-${key}`, details },
];

beforeAll(async () => {
	const events = [
		event("call-granted", "call.granted", now - HOUR, courier("fl-caller"), { purpose: "delivery", call_id: "fl-call-1" }),
		event("call-denied", "call.denied", now - HOUR + 1, courier("fl-caller"), { purpose: "delivery", reason: "out_of_scope" }),
		event("call-failed", "call.failed", now - HOUR + 2, courier("fl-caller"), { purpose: "delivery", action: "BindAxb" }),
		event("suspended", "principal.suspended", now - HOUR + 3, courier("fl-suspect"), { reason: "honeytoken", by: "detection" }),
		event("reinstated", "principal.reinstated", now - HOUR + 4, opsActor, { subject: "fl-suspect", issuer: TEST_ISSUER, reason: "checked" }),
		event("seen-old", "reveal.granted", now - HOUR + 5, courier("fl-mover", DEPOT), { purpose: "delivery", fields: ["name"] }),
		event("seen-new", "reveal.granted", now - HOUR + 6, courier("fl-mover", OTHER_DEPOT), { purpose: "delivery", fields: ["name"] }),
	];
	await auditLogFor(env).appendAllWith(events.map(([, entry]) => entry));
	for (const [key] of events) {
		const row = await env.DB.prepare("SELECT seq FROM audit_log WHERE record_id = ?").bind(`fl-rec-${key}`).first<{ seq: number }>();
		seqOf.set(key, row?.seq as number);
	}
	expect([...seqOf.values()].every((seq) => Number.isInteger(seq))).toBe(true);
});

const seq = (key: string) => seqOf.get(key) as number;

describe("each store leaves out the entries it is told are forged", () => {
	// Each calls query has a form for one depot and one for all of them (the dashboard and the what-if without `depot`).
	for (const depot of [DEPOT, undefined]) {
		it(`calls per hour (${depot ? "one depot" : "every depot"}): a forged grant is not counted`, async () => {
			const counted = async (forged: number[]) =>
				(await new RecordedCalls(env.DB, forged).perHour(from, to, depot)).filter((row) => row.depot === DEPOT).reduce((sum, row) => sum + row.granted, 0);
			expect(await counted([])).toBe(1);
			expect(await counted([seq("call-granted")])).toBe(0);
		});

		it(`calls one by one (${depot ? "one depot" : "every depot"}): a forged denial and a forged failure are not listed`, async () => {
			const ours = new Set([seq("call-granted"), seq("call-denied"), seq("call-failed")]);
			const listed = async (forged: number[]) =>
				(await new RecordedCalls(env.DB, forged).between(from, to, depot, 100)).map((call) => call.seq).filter((listedSeq) => ours.has(listedSeq));
			expect(await listed([])).toEqual([seq("call-granted"), seq("call-denied"), seq("call-failed")]);
			expect(await listed([seq("call-denied"), seq("call-failed")])).toEqual([seq("call-granted")]);
		});
	}

	it("status changes the what-if replays: a forged suspension is not one", async () => {
		const changes = async (forged: number[]) => (await new RecordedAsks(env.DB, forged).statusChanges(from, to)).map((change) => change.seq);
		expect(await changes([])).toEqual([seq("suspended"), seq("reinstated")]);
		expect(await changes([seq("suspended")])).toEqual([seq("reinstated")]);
	});

	it("a principal's history: a forged reinstatement is not in it", async () => {
		const history = async (forged: number[]) =>
			(await new ActivityStore(env.DB, forged).statusHistory({ issuer: TEST_ISSUER, subject: "fl-suspect" }, 10)).map((change) => change.status);
		expect(await history([])).toEqual(["reinstated", "suspended"]);
		expect(await history([seq("reinstated")])).toEqual(["suspended"]);
	});

	it("where the log last saw someone: a forged newest entry moves no one's depot", async () => {
		const mover = { issuer: TEST_ISSUER, subject: "fl-mover" };
		expect(await new ActivityStore(env.DB, []).latestOf(mover)).toEqual({ role: "courier", depot: OTHER_DEPOT });
		expect(await new ActivityStore(env.DB, [seq("seen-new")]).latestOf(mover)).toEqual({ role: "courier", depot: DEPOT });
		const among = async (forged: number[]) => (await new ActivityStore(env.DB, forged).latestAmong([mover], from)).map((row) => row.depot);
		expect(await among([])).toEqual([OTHER_DEPOT]);
		expect(await among([seq("seen-new")])).toEqual([DEPOT]);
		expect(await among([seq("seen-old"), seq("seen-new")])).toEqual([]);
	});
});
