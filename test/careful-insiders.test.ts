import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLogFor } from "../src/audit/audit-log-for";
import type { AuditEvent } from "../src/audit/entry";
import { entriesFoundForged } from "../src/audit/forged-entries";
import { AlertStore } from "../src/detection/alert-store";
import { afterCloseClusters } from "../src/detection/insiders/after-close";
import { DetectorStore } from "../src/detection/insiders/detector-store";
import { nearQuotaRings } from "../src/detection/insiders/near-quota-ring";
import { nearQuotaStreaks } from "../src/detection/insiders/near-quota-streak";
import { scanForCarefulInsiders } from "../src/detection/insiders/scan";
import type { WorkDay } from "../src/detection/insiders/work-day";
import { percentile, workRatioOutliers } from "../src/detection/insiders/work-ratio";
import { WorkStatsStore } from "../src/detection/insiders/work-stats-store";
import { PolicyStore } from "../src/limits/policy-store";
import { call, createRecords, json } from "./support/api";
import { asDba } from "./support/dba";
import { employeeToken, serviceToken, TEST_ISSUER, token } from "./support/tokens";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let service: string;
let ops: string;

beforeAll(async () => {
	service = await serviceToken("records:write records:read");
	ops = await token({ sub: "ops-insiders", scope: "ops" });
});

/** `count` grants to one employee at `at`, over `records` distinct record ids (as the limiter's flush writes them). */
function grants(subject: string, role: string, depot: string, at: number, count: number, records = count): AuditEvent[] {
	return Array.from({ length: count }, (_, i) => ({
		kind: "reveal.granted" as const,
		at: at + i,
		actor: { subject, issuer: TEST_ISSUER, role, depot },
		recordId: `rec-${subject}-${Math.floor(at / DAY)}-${i % records}`,
		details: { purpose: "delivery", fields: ["phone"] },
	}));
}

const write = (events: AuditEvent[]) => auditLogFor(env).appendAllWith(events);

/**
 * Twelve parcels of `courier` at `depot`, out for delivery since five hours before `now`, and
 * delivered an hour later when `delivered`; their record ids.
 */
async function parcelsWorked(now: number, depot: string, courier: string, { delivered }: { delivered: boolean }): Promise<string[]> {
	const ids = await createRecords(service, 12, { depot, courier });
	const { results } = await env.DB.prepare("SELECT shipment_id FROM records WHERE id IN (SELECT value FROM json_each(?1))")
		.bind(JSON.stringify(ids))
		.all<{ shipment_id: string }>();
	const iso = (at: number) => new Date(at).toISOString();
	const events = results.flatMap(({ shipment_id }) => [
		{ shipment_id, type: "out_for_delivery", courier, depot, at: iso(now - 5 * HOUR) },
		...(delivered ? [{ shipment_id, type: "delivered", at: iso(now - 4 * HOUR) }] : []),
	]);
	expect((await call("POST", "/v1/shipment-events", { token: service, body: { events } })).status).toBe(200);
	return ids;
}

/** A grant of each record to `subject`, three hours before `now`, as the limiter's flush writes them. */
const revealsOf = (now: number, subject: string, depot: string, ids: string[]): AuditEvent[] =>
	ids.map((recordId, i) => ({
		kind: "reveal.granted",
		at: now - 3 * HOUR + i,
		actor: { subject, issuer: TEST_ISSUER, role: "courier", depot },
		recordId,
		details: { purpose: "delivery", fields: ["phone"] },
	}));

/** Three couriers' 40 grants a day for five days and one of them in the last hour, beside `greedy`'s 120 in that hour. */
function peersAndOneGreedy(now: number, depot: string, peerPrefix: string, greedy: string): AuditEvent[] {
	const events: AuditEvent[] = [];
	for (let d = 1; d <= 5; d++) {
		for (const n of [1, 2, 3]) events.push(...grants(`${peerPrefix}-${n}`, "courier", depot, now - d * DAY - HOUR, 40));
	}
	events.push(...grants(`${peerPrefix}-1`, "courier", depot, now - HOUR, 40), ...grants(greedy, "courier", depot, now - HOUR, 120));
	return events;
}

async function scan(now: number, forgedEntries: readonly number[] = []) {
	return scanForCarefulInsiders(
		{
			stats: new WorkStatsStore(env.DB, [], forgedEntries),
			alerts: new AlertStore(env.DB),
			detectors: await new DetectorStore(env.DB).all(),
			policies: await new PolicyStore(env.DB).all(),
			webhookConfigured: false,
		},
		now,
	);
}

const alertsOf = async (kind: string, depot: string) =>
	(
		await env.DB.prepare("SELECT subject, subject_issuer, severity, details, delivery FROM alerts WHERE kind = ?1 AND depot = ?2 ORDER BY subject")
			.bind(kind, depot)
			.all<{ subject: string | null; subject_issuer: string | null; severity: string; details: string; delivery: string }>()
	).results;

const day = (over: Partial<WorkDay>): WorkDay => ({
	issuer: "iss",
	subject: "s",
	role: "courier",
	depot: "D",
	day: 0,
	reveals: 0,
	records: 0,
	calls: 0,
	legs: 0,
	...over,
});

describe("careful-insider rules (pure)", () => {
	const limits = () => ({ daily: 400, distinct: 300 });

	it("a streak needs every day of it near quota, ending with the last 24 hours", () => {
		const careful = [day({ subject: "a", day: 0, reveals: 299, records: 299 }), day({ subject: "a", day: 1, reveals: 299, records: 299 })];
		const oneHeavyDay = [day({ subject: "b", day: 0, reveals: 299, records: 299 }), day({ subject: "b", day: 1, reveals: 50, records: 50 })];
		const heavyYesterday = [day({ subject: "c", day: 1, reveals: 299, records: 299 }), day({ subject: "c", day: 2, reveals: 299, records: 299 })];
		const found = nearQuotaStreaks([...careful, ...oneHeavyDay, ...heavyYesterday], limits, { share: 0.8, days: 2 });
		expect(found.map((streak) => streak.subject)).toEqual(["a"]);
		expect(found[0]?.shares.map((share) => Math.round(share * 1000))).toEqual([997, 997]);
	});

	it("a ring is members of one depot near quota in the last 24 hours, not only at quota", () => {
		const members = ["a", "b", "c"].map((subject) => day({ subject, reveals: 250, records: 250 }));
		const elsewhere = day({ subject: "d", depot: "E", reveals: 299, records: 299 });
		expect(nearQuotaRings([...members, elsewhere], limits, { share: 0.8, members: 3 }).map((ring) => [ring.depot, ring.members.length])).toEqual([["D", 3]]);
		expect(nearQuotaRings(members.slice(0, 2), limits, { share: 0.8, members: 3 })).toEqual([]);
	});

	it("work ratio: judged against peers of the same role and depot, above the percentile and the median multiple", () => {
		const history = Array.from({ length: 12 }, (_, i) => day({ subject: `p${i % 4}`, day: 1 + (i % 6), reveals: 40, calls: 40, legs: 40 }));
		const settings = { percentile: 99, medianMultiple: 2, historyDays: 14, minSamples: 10, minReveals: 20 };
		const heavy = day({ subject: "x", reveals: 120, legs: 40 });
		const busyButFair = day({ subject: "y", reveals: 120, legs: 110 });
		const otherDepot = day({ subject: "z", depot: "E", reveals: 120, legs: 40 });
		// Calls per leg are judged apart: revealing little but calling three times the peers' rate stands out.
		const caller = day({ subject: "w", reveals: 20, calls: 120, legs: 40 });
		expect(workRatioOutliers([...history, heavy, busyButFair, otherDepot, caller], settings).map((outlier) => [outlier.subject, outlier.metric])).toEqual([
			["x", "reveals"],
			["w", "calls"],
		]);
		expect(percentile([1, 2, 3, 4], 50)).toBe(2);
		expect(percentile([1, 2, 3, 4], 99)).toBe(4);
	});

	it("after close: many and a large share in the grace period, or any a day later", () => {
		const base = { issuer: "i", role: "courier", depot: "D" };
		const found = afterCloseClusters(
			[
				{ ...base, subject: "many", reveals: 30, afterClose: 12, daysLater: 0 },
				{ ...base, subject: "few", reveals: 30, afterClose: 3, daysLater: 0 },
				{ ...base, subject: "small-share", reveals: 200, afterClose: 12, daysLater: 0 },
				{ ...base, subject: "old", reveals: 5, afterClose: 1, daysLater: 1 },
			],
			{ minAfterClose: 10, share: 0.3 },
		);
		expect(found.map((count) => count.subject)).toEqual(["many", "old"]);
	});
});

describe("the hourly scan over the vault's own data", () => {
	it("flags a ring of three couriers each one short of every limit two days running, and not the honest courier beside them", async () => {
		// Midday (UTC) of today: the scan an hour later below must fall on the same day, whose number
		// the alerts' ids carry (run within the last hour of a day, it raised them again for the next).
		const now = Math.floor(Date.now() / DAY) * DAY + DAY / 2;
		const depot = "INS-RING";
		const events: AuditEvent[] = [];
		for (const subject of ["ring-1", "ring-2", "ring-3"]) {
			// Courier limits: 400 a day, 300 distinct records: each stops at 299 records.
			events.push(...grants(subject, "courier", depot, now - 2 * HOUR, 299), ...grants(subject, "courier", depot, now - DAY - 2 * HOUR, 299));
		}
		events.push(...grants("honest-1", "courier", depot, now - 2 * HOUR, 120), ...grants("honest-1", "courier", depot, now - DAY - 2 * HOUR, 110));
		await write(events);

		const report = await scan(now);
		expect(report.near_quota_streak).toBeGreaterThanOrEqual(3);
		const streaks = await alertsOf("near_quota_streak", depot);
		expect(streaks.map((alert) => alert.subject)).toEqual(["ring-1", "ring-2", "ring-3"]);
		expect(streaks.every((alert) => alert.subject_issuer === TEST_ISSUER && alert.severity === "warning")).toBe(true);
		expect(JSON.parse(streaks[0]?.details ?? "{}")).toMatchObject({ role: "courier", days: 2, shares: [0.997, 0.997] });
		const rings = await alertsOf("depot_ring_near_quota", depot);
		expect(rings).toHaveLength(1);
		expect((JSON.parse(rings[0]?.details ?? "{}") as { members: { subject: string }[] }).members.map((member) => member.subject).sort()).toEqual([
			"ring-1",
			"ring-2",
			"ring-3",
		]);
		// An hour later the same findings raise nothing new.
		await scan(now + HOUR);
		expect(await alertsOf("near_quota_streak", depot)).toHaveLength(3);
		expect(await alertsOf("depot_ring_near_quota", depot)).toHaveLength(1);
	});

	it("flags a courier who reveals three times their peers' work per leg; the peers stay silent", async () => {
		const now = Date.now();
		const depot = "INS-RATIO";
		await write(peersAndOneGreedy(now, depot, "peer", "greedy"));
		await scan(now);
		const found = await alertsOf("work_ratio_outlier", depot);
		expect(found.map((alert) => alert.subject)).toEqual(["greedy"]);
		expect(JSON.parse(found[0]?.details ?? "{}")).toMatchObject({ reveals: 120, peers_median: 40, peer_days: 15 });
	});

	it("does not flag a courier framed with reveals moved onto them by SQL before their seal, once the seal found them forged", async () => {
		const now = Date.now();
		const depot = "INS-FRAMED";
		await write(peersAndOneGreedy(now, depot, "fr-peer", "fr-source"));
		// Someone with raw database access moves 120 reveals onto a courier who made none, before they are sealed.
		const moved = await asDba(() => env.DB.prepare("UPDATE audit_log SET actor = 'fr-framed' WHERE actor = 'fr-source' AND hash IS NULL").run());
		expect(moved.meta.changes).toBe(120);
		const log = auditLogFor(env);
		while ((await log.sealSome()).more);

		// Sealed, each is judged by its MAC: the moved ones are forged, and the witness keeps them so.
		const forged = await entriesFoundForged(env);
		expect(forged.length).toBeGreaterThanOrEqual(120);
		// What a count that kept them would see: three times the peers' reveals, as the greedy courier above.
		const framed = (await new WorkStatsStore(env.DB).workDays(now, 1)).find((day) => day.subject === "fr-framed");
		expect(framed?.reveals).toBe(120);
		const counted = (await new WorkStatsStore(env.DB, [], forged).workDays(now, 1)).find((day) => day.subject === "fr-framed");
		expect(counted).toBeUndefined();
		await scan(now, forged);
		expect(await alertsOf("work_ratio_outlier", depot)).toEqual([]);
	});

	it("flags a courier revealing their parcels after delivery, not one revealing while out for delivery", async () => {
		const now = Date.now();
		const late = await parcelsWorked(now, "INS-LATE", "late-courier", { delivered: true });
		const onTime = await parcelsWorked(now, "INS-LATE", "on-time-courier", { delivered: false });
		await write([...revealsOf(now, "late-courier", "INS-LATE", late), ...revealsOf(now, "on-time-courier", "INS-LATE", onTime)]);
		await scan(now);
		const found = await alertsOf("reveals_after_close", "INS-LATE");
		expect(found.map((alert) => alert.subject)).toEqual(["late-courier"]);
		expect(JSON.parse(found[0]?.details ?? "{}")).toMatchObject({ reveals: 12, after_close: 12, a_day_or_more_after: 0 });
	});

	it("does not count reveals after delivery moved onto a courier by SQL before their seal, once the seal found them forged", async () => {
		const now = Date.now();
		const depot = "INS-LATE-FRAMED";
		const delivered = await parcelsWorked(now, depot, "fr-late", { delivered: true });
		await write(revealsOf(now, "fr-late-source", depot, delivered));
		const moved = await asDba(() => env.DB.prepare("UPDATE audit_log SET actor = 'fr-late' WHERE actor = 'fr-late-source' AND hash IS NULL").run());
		expect(moved.meta.changes).toBe(12);
		const log = auditLogFor(env);
		while ((await log.sealSome()).more);

		const forged = await entriesFoundForged(env);
		const framed = (rows: { subject: string; afterClose: number }[]) => rows.find((row) => row.subject === "fr-late")?.afterClose;
		expect(framed(await new WorkStatsStore(env.DB).afterClose(now))).toBe(12);
		expect(framed(await new WorkStatsStore(env.DB, [], forged).afterClose(now))).toBeUndefined();
		await scan(now, forged);
		expect(await alertsOf("reveals_after_close", depot)).toEqual([]);
	});
});

describe("ops tune the detectors", () => {
	it("report-only stores the alert marked as a trial and delivers nothing; off raises nothing; each change is audited", async () => {
		const now = Date.now();
		const listed = await json<{ detectors: { name: string; mode: string; version: number }[] }>(await call("GET", "/v1/detectors", { token: ops }));
		expect(listed.detectors.map((detector) => detector.name).sort()).toEqual(["after_close", "near_quota_ring", "near_quota_streak", "work_ratio"]);
		const trial = await call("PUT", "/v1/detectors/near_quota_streak", { token: ops, body: { mode: "report-only", settings: { share: 0.5, days: 1 } } });
		expect(trial.status).toBe(200);
		expect(await json(trial)).toMatchObject({ mode: "report-only", settings: { share: 0.5, days: 1 }, updated_by: "ops-insiders" });
		expect((await call("PUT", "/v1/detectors/near_quota_ring", { token: ops, body: { mode: "off", settings: { share: 0.8, members: 3 } } })).status).toBe(200);

		const depot = "INS-TRIAL";
		await write([
			...grants("trial-1", "courier", depot, now - HOUR, 220),
			...grants("trial-2", "courier", depot, now - HOUR, 220),
			...grants("trial-3", "courier", depot, now - HOUR, 220),
		]);
		await scan(now);
		const found = await alertsOf("near_quota_streak", depot);
		expect(found).toHaveLength(3);
		expect(found.every((alert) => alert.delivery === "not_configured" && (JSON.parse(alert.details) as { report_only?: boolean }).report_only === true)).toBe(
			true,
		);
		expect(await alertsOf("depot_ring_near_quota", depot)).toEqual([]);

		const changes = await env.DB.prepare("SELECT details FROM audit_log WHERE kind = 'detector.changed' AND actor = 'ops-insiders' ORDER BY seq").all<{
			details: string;
		}>();
		expect(changes.results.map((row) => (JSON.parse(row.details) as { detector: string }).detector)).toEqual(["near_quota_streak", "near_quota_ring"]);

		const bad = await call("PUT", "/v1/detectors/near_quota_streak", { token: ops, body: { mode: "enforce", settings: { share: 5, days: 2 } } });
		expect(bad.status).toBe(422);
		expect((await json<{ errors: { pointer: string }[] }>(bad)).errors.map((error) => error.pointer)).toEqual(["/settings/share"]);
		const courier = await employeeToken("courier", "courier-insiders", depot);
		expect((await call("PUT", "/v1/detectors/near_quota_streak", { token: courier, body: { mode: "off", settings: { share: 0.8, days: 2 } } })).status).toBe(
			403,
		);
		// Put back for the other tests of this file.
		await call("PUT", "/v1/detectors/near_quota_streak", { token: ops, body: { mode: "enforce", settings: { share: 0.8, days: 2 } } });
		await call("PUT", "/v1/detectors/near_quota_ring", { token: ops, body: { mode: "enforce", settings: { share: 0.8, members: 3 } } });
	});
});
