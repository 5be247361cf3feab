import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLogFor } from "../src/audit/audit-log-for";
import type { AuditEvent } from "../src/audit/entry";
import { WorkStatsStore } from "../src/detection/insiders/work-stats-store";
import { legsFoundForged } from "../src/integrity/forged-legs";
import { call, createRecords, json } from "./support/api";
import { callFirst } from "./support/call-first";
import { runCron } from "./support/cron";
import { asDba } from "./support/dba";
import { serviceToken, TEST_ISSUER, token } from "./support/tokens";

/** The readers of legs besides the ask (call bindings, the careful-insider detectors) give a forged leg no weight. */

const HOUR = 3_600_000;

let service: string;
let ops: string;

beforeAll(async () => {
	service = await serviceToken("records:write records:read records:delete");
	ops = await token({ sub: "ops-leg-readers", scope: "ops" });
	await runCron("* * * * *");
	await runCron("* * * * *");
});

describe("legs forged to count as work", () => {
	it("do not lower a harvester's work ratio once verification has found them; honest legs still count", async () => {
		const depot = "LR-RATIO";
		// An honest courier's real leg, and the harvester's reveals of the last hour without work.
		const [honest] = await createRecords(service, 1, { depot, courier: "lr-honest" });
		const now = Date.now() + 1;
		const grants: AuditEvent[] = Array.from({ length: 120 }, (_, i) => ({
			kind: "reveal.granted" as const,
			at: now - HOUR + i,
			actor: { subject: "lr-harvester", issuer: TEST_ISSUER, role: "courier", depot },
			recordId: `lr-rec-${i}`,
			details: { purpose: "delivery", fields: ["phone"] },
		}));
		grants.push({ ...(grants[0] as AuditEvent), actor: { subject: "lr-honest", issuer: TEST_ISSUER, role: "courier", depot }, recordId: honest as string });
		await auditLogFor(env).appendAllWith(grants);
		const legsOf = async (forged: readonly string[]) => {
			const days = await new WorkStatsStore(env.DB, forged).workDays(now, 1);
			return Object.fromEntries(days.filter((day) => day.depot === depot).map((day) => [day.subject, day.legs]));
		};
		expect(await legsOf(await legsFoundForged(env))).toEqual({ "lr-harvester": 0, "lr-honest": 1 });

		// The DBA gives the harvester 100 legs of work, each with the MAC of the honest leg copied over.
		await asDba(() =>
			env.DB.prepare(
				`INSERT INTO legs (shipment_id, n, kind, parties, courier, courier_issuer, depot, opened_at, closed_at, close_after, at, mac, mac_key)
				 SELECT 'LR-FAKE-' || j.value, 0, l.kind, l.parties, 'lr-harvester', l.courier_issuer, l.depot, ?2 - 2 * ${HOUR}, NULL, NULL, ?2 - 2 * ${HOUR}, l.mac, l.mac_key
				 FROM legs AS l, json_each(?3) AS j WHERE l.shipment_id = (SELECT shipment_id FROM records WHERE id = ?1)`,
			)
				.bind(honest, now, JSON.stringify(Array.from({ length: 100 }, (_, i) => i)))
				.run(),
		);
		// Verification finds them (they grant now, so each request checks them) and the witness keeps the findings.
		const verify = await call("GET", "/v1/audit/verify", { token: ops });
		const report = await json<{ rows: { problems: { table: string; key: string }[] } }>(verify);
		expect(report.rows.problems.filter((problem) => problem.table === "legs" && problem.key.startsWith("LR-FAKE-"))).toHaveLength(100);

		const forged = await legsFoundForged(env);
		expect(forged).toHaveLength(100);
		expect(await legsOf(forged)).toEqual({ "lr-harvester": 0, "lr-honest": 1 });
		// What the forgery would have done without the check: 100 legs of work for the harvester.
		expect((await legsOf([]))["lr-harvester"]).toBe(100);
	});
});

describe("a leg kept open by SQL", () => {
	it("keeps no call binding: the minute cron ends the call as its leg closed", async () => {
		const depot = "LR-CALL";
		const [recordId] = (await createRecords(service, 1, { depot, courier: "lr-caller" })) as [string];
		await callFirst({ sub: "lr-caller", role: "courier", depot }, recordId);
		const live = await env.DB.prepare("SELECT id, shipment_id, ended_at FROM calls WHERE record_id = ?1")
			.bind(recordId)
			.first<{ id: string; shipment_id: string }>();
		expect(live).toMatchObject({ ended_at: null });
		await runCron("* * * * *");
		expect(await env.DB.prepare("SELECT ended_at FROM calls WHERE id = ?1").bind(live?.id).first()).toEqual({ ended_at: null });

		// The DBA edits the leg (a grace that never ends): by SQL it is as open as before, by its MAC it is forged.
		await asDba(() =>
			env.DB.prepare("UPDATE legs SET closed_at = ?2, close_after = ?2 + 365 * 86400000 WHERE shipment_id = ?1").bind(live?.shipment_id, Date.now()).run(),
		);
		await runCron("* * * * *");
		expect(await env.DB.prepare("SELECT end_reason FROM calls WHERE id = ?1").bind(live?.id).first()).toEqual({ end_reason: "leg_closed" });
		const { results } = await env.DB.prepare("SELECT details FROM alerts WHERE kind = 'row_mac_failed'").all<{ details: string }>();
		expect(results.map((row) => JSON.parse(row.details))).toContainEqual(expect.objectContaining({ table: "legs", key: `${live?.shipment_id}:0` }));
	});
});
