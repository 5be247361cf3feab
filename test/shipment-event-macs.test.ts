import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { KeyringConfig } from "../src/config";
import { call, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { asDba } from "./support/dba";
import { employeeToken, serviceToken, TEST_ISSUER, token } from "./support/tokens";

/** Shipment events (migration 0019) written straight into D1, as a DBA without the worker's secrets would. */

type Problem = { table: string; key: string; mac_key: string | null; reason: string };
interface LegView {
	kind: string;
	parties: string;
	courier: string | null;
	courier_issuer: string | null;
	depot: string | null;
	opened_at: string;
	closed_at: string | null;
	close_after: string | null;
	open: boolean;
	at: string;
}

const FIRST = (JSON.parse(env.VAULT_KEYRING as string) as KeyringConfig).primary;
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

let service: string;
let ops: string;

beforeAll(async () => {
	service = await serviceToken("records:write records:read records:delete");
	ops = await token({ sub: "ops-event-macs", scope: "ops" });
	// The legacy job MACs what the migrations left without a MAC and closes each legacy window, 0019's too.
	await runCron("* * * * *");
	await runCron("* * * * *");
	const report = await verify();
	expect(report.rows.legacy_sets).toEqual({ "0014": "signed", "0018": "signed", "0019": "signed" });
});

async function verify(): Promise<{ ok: boolean; rows: { legacy_sets: Record<string, string>; problems: Problem[] } }> {
	const response = await call("GET", "/v1/audit/verify", { token: ops });
	expect(response.status).toBe(200);
	return json(response);
}

async function shipment(): Promise<{ shipmentId: string; recipient: string }> {
	const body = recordBody({ depot: "D-EVMAC", courier: undefined });
	const response = await call("POST", "/v1/records", { token: service, body });
	expect(response.status).toBe(201);
	return { shipmentId: body.shipment_id, recipient: (await json<{ id: string }>(response)).id };
}

const report = (events: Record<string, unknown>[]) => call("POST", "/v1/shipment-events", { token: service, body: { events } });

async function legs(shipmentId: string): Promise<LegView[]> {
	const response = await call("GET", `/v1/shipments/${shipmentId}/legs`, { token: ops });
	expect(response.status).toBe(200);
	return (await json<{ legs: LegView[] }>(response)).legs;
}

async function macAlerts(): Promise<Problem[]> {
	const { results } = await env.DB.prepare("SELECT severity, details FROM alerts WHERE kind = 'row_mac_failed'").all<{ severity: string; details: string }>();
	for (const row of results) expect(row.severity).toBe("critical");
	return results.map((row) => JSON.parse(row.details));
}

describe("a shipment event inserted straight into D1", () => {
	it("is left out of the fold at the next real event: it opens, moves and closes no leg; the alert is raised and verify reports it", async () => {
		const t = Date.now() - 60 * MIN;
		const forged = await shipment();
		const clean = await shipment();
		// The same real history on both shipments.
		for (const { shipmentId } of [forged, clean]) {
			expect((await report([{ shipment_id: shipmentId, type: "out_for_delivery", courier: "evmac-courier", depot: "D-EVMAC", at: iso(t) }])).status).toBe(200);
		}
		const before = await legs(clean.shipmentId);
		expect(before).toEqual([expect.objectContaining({ kind: "delivery", courier: "evmac-courier", open: true })]);

		// The DBA reroutes the parcel to a harvester by an event of its own, with the MAC of the real event copied over.
		await asDba(() =>
			env.DB.prepare(
				`INSERT INTO shipment_events (shipment_id, n, type, courier, courier_issuer, depot, at, received_at, mac, mac_key)
				 SELECT shipment_id, 1, 'out_for_delivery', 'evmac-harvester', courier_issuer, depot, ?2, ?2, mac, mac_key FROM shipment_events WHERE shipment_id = ?1 AND n = 0`,
			)
				.bind(forged.shipmentId, t + 5 * MIN)
				.run(),
		);
		// The next real event of each shipment rewrites its legs from its events.
		for (const { shipmentId } of [forged, clean]) {
			expect((await report([{ shipment_id: shipmentId, type: "delivery_attempted", at: iso(t + 10 * MIN) }])).status).toBe(200);
		}
		const after = await legs(forged.shipmentId);
		expect(after).toEqual(await legs(clean.shipmentId));
		expect(after).toEqual([
			expect.objectContaining({ kind: "delivery", courier: "evmac-courier", courier_issuer: TEST_ISSUER, opened_at: iso(t), open: true, closed_at: null }),
		]);
		// The record stays with the real courier, and the harvester gets no reveal.
		expect(await json(await call("GET", `/v1/records/${forged.recipient}`, { token: service }))).toMatchObject({ courier: "evmac-courier" });
		const harvester = await employeeToken("courier", "evmac-harvester", "D-EVMAC");
		const ask = await call("POST", "/v1/reveals", { token: harvester, body: { record_id: forged.recipient, fields: ["name"], purpose: "delivery" } });
		expect(ask.status).toBe(403);

		const finding = { table: "shipment_events", key: `${forged.shipmentId}:1`, mac_key: FIRST, reason: "mac_invalid" };
		expect(await macAlerts()).toContainEqual(finding);
		const verified = await verify();
		expect(verified.ok).toBe(false);
		expect(verified.rows.problems).toContainEqual(finding);
		expect(verified.rows.problems.filter((problem) => problem.key.startsWith(clean.shipmentId))).toEqual([]);
		// The new event was numbered past the forged one, not over it.
		const numbers = await env.DB.prepare("SELECT n, type FROM shipment_events WHERE shipment_id = ?1 ORDER BY n").bind(forged.shipmentId).all();
		expect(numbers.results).toEqual([
			{ n: 0, type: "out_for_delivery" },
			{ n: 1, type: "out_for_delivery" },
			{ n: 2, type: "delivery_attempted" },
		]);
	});

	it("an event without a MAC closes nothing once the legacy window is closed", async () => {
		const t = Date.now() - 30 * MIN;
		const { shipmentId } = await shipment();
		expect((await report([{ shipment_id: shipmentId, type: "out_for_delivery", courier: "evmac-courier-2", at: iso(t) }])).status).toBe(200);
		await asDba(() =>
			env.DB.prepare(
				"INSERT INTO shipment_events (shipment_id, n, type, courier, courier_issuer, depot, at, received_at) VALUES (?1, 1, 'cancelled', NULL, NULL, NULL, ?2, ?2)",
			)
				.bind(shipmentId, t + MIN)
				.run(),
		);
		expect((await report([{ shipment_id: shipmentId, type: "delivery_attempted", at: iso(t + 2 * MIN) }])).status).toBe(200);
		expect(await legs(shipmentId)).toEqual([expect.objectContaining({ courier: "evmac-courier-2", open: true, closed_at: null })]);
		expect((await verify()).rows.problems).toContainEqual({ table: "shipment_events", key: `${shipmentId}:1`, mac_key: null, reason: "mac_missing" });
	});
});
