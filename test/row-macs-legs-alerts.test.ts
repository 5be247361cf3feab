import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { KeyringConfig } from "../src/config";
import type { Env } from "../src/env";
import { callWith, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { asDba } from "./support/dba";
import { employeeToken, serviceToken, TEST_ISSUER, token } from "./support/tokens";
import { reportWork, type WorkOf } from "./support/work";

/** Legs and alert triage (migration 0018) edited straight in D1, as a DBA without the worker's secrets would. */

type RowProblem = { table: string; key: string; mac_key: string | null; reason: string };
type Report = {
	ok: boolean;
	rows: { legacy: string; legacy_sets: Record<string, string>; checked: Record<string, number>; problems: RowProblem[]; reported: RowProblem[] };
};
type Triage = { by: string; at: string; note: string } | null;
interface Alert {
	id: string;
	kind: string;
	state: string;
	acknowledged: Triage;
	resolved: Triage;
	triage_verified: boolean;
	unverified_triage: { state: string; acknowledged: Triage; resolved: Triage } | null;
}

const TEST_RING = JSON.parse(env.VAULT_KEYRING as string) as KeyringConfig;
const FIRST = TEST_RING.primary;
const NEXT = "leg-mac-next";
const nextRoot = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
	.replace(/\+/g, "-")
	.replace(/\//g, "_")
	.replace(/=+$/, "");

let current: Partial<Env> = {};
let service: string;
let ops: string;

const call = (method: string, path: string, options: Parameters<typeof callWith>[3] = {}) => callWith(current, method, path, options);
const cron = () => runCron("* * * * *", Date.now(), { ...env, ...current } as Env);

beforeAll(async () => {
	service = await serviceToken("records:write records:read records:delete");
	ops = await token({ sub: "ops-leg-macs", scope: "ops" });
	// The legacy job MACs what the migrations left without a MAC, then, finding none left, tells the witness for each migration.
	await cron();
	await cron();
	const report = await verify();
	expect(report.rows.legacy_sets).toEqual({ "0014": "signed", "0018": "signed", "0019": "signed" });
});

async function verify(): Promise<Report> {
	const response = await call("GET", "/v1/audit/verify", { token: ops });
	expect(response.status).toBe(200);
	return json<Report>(response);
}

async function create(overrides: Record<string, unknown>, work = true): Promise<{ id: string; shipment: string }> {
	const body = recordBody(overrides);
	const response = await call("POST", "/v1/records", { token: service, body });
	expect(response.status).toBe(201);
	if (work) await reportWork(service, [body as WorkOf], "round", current);
	return { id: (await json<{ id: string }>(response)).id, shipment: body.shipment_id };
}

const ask = (bearer: string, recordId: string) =>
	call("POST", "/v1/reveals", { token: bearer, body: { record_id: recordId, fields: ["name"], purpose: "delivery" } });

const events = (body: unknown[]) => call("POST", "/v1/shipment-events", { token: service, body: { events: body } });

async function macAlerts(): Promise<RowProblem[]> {
	const { results } = await env.DB.prepare("SELECT severity, details FROM alerts WHERE kind = 'row_mac_failed'").all<{ severity: string; details: string }>();
	for (const row of results) expect(row.severity).toBe("critical");
	return results.map((row) => JSON.parse(row.details));
}

const alertsOf = async () => (await json<{ alerts: Alert[] }>(await call("GET", "/v1/alerts?limit=500", { token: ops }))).alerts;

describe("a leg written straight into D1", () => {
	it("a leg opened by SQL grants no reveal, raises a critical alert, and verify reports it", async () => {
		const courier = await employeeToken("courier", "leg-opener", "LEG-O");
		// A parcel assigned to the courier that never went out for delivery: no leg, no reveal.
		const { id, shipment } = await create({ depot: "LEG-O", courier: "leg-opener" }, false);
		expect((await ask(courier, id)).status).toBe(403);

		// The DBA opens a delivery leg for the courier, with the MAC of another leg copied over.
		const other = await create({ depot: "LEG-O", courier: "leg-opener" });
		await asDba(() =>
			env.DB.prepare(
				`INSERT INTO legs (shipment_id, n, kind, parties, courier, courier_issuer, depot, opened_at, closed_at, close_after, at, mac, mac_key)
				 SELECT ?1, 0, kind, parties, courier, courier_issuer, depot, opened_at, closed_at, close_after, at, mac, mac_key FROM legs WHERE shipment_id = ?2`,
			)
				.bind(shipment, other.shipment)
				.run(),
		);
		const refused = await ask(courier, id);
		expect(refused.status).toBe(403);
		expect(await json(refused)).toMatchObject({ reason: "no_open_leg" });
		// The honest leg it was copied from still grants.
		expect((await ask(courier, other.id)).status).toBe(201);

		const key = `${shipment}:0`;
		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.rows.problems).toContainEqual({ table: "legs", key, mac_key: FIRST, reason: "mac_invalid" });
		expect(report.rows.problems.filter((problem) => problem.key === `${other.shipment}:0`)).toEqual([]);
		expect(await macAlerts()).toContainEqual({ table: "legs", key, mac_key: FIRST, reason: "mac_invalid" });

		// Without a MAC at all (the legacy window is closed) it is a forgery as well.
		await asDba(() => env.DB.prepare("UPDATE legs SET mac = NULL, mac_key = NULL WHERE shipment_id = ?1").bind(shipment).run());
		expect((await ask(courier, id)).status).toBe(403);
		expect((await verify()).rows.problems).toContainEqual({ table: "legs", key, mac_key: null, reason: "mac_missing" });
	});

	it("a closed leg reopened by SQL grants nothing", async () => {
		const courier = await employeeToken("courier", "leg-reopener", "LEG-O");
		const { id, shipment } = await create({ depot: "LEG-O", courier: "leg-reopener" });
		expect((await events([{ shipment_id: shipment, type: "cancelled" }])).status).toBe(200);
		expect((await ask(courier, id)).status).toBe(403);
		await asDba(() => env.DB.prepare("UPDATE legs SET closed_at = NULL, close_after = NULL WHERE shipment_id = ?1").bind(shipment).run());
		expect((await ask(courier, id)).status).toBe(403);
		expect((await verify()).rows.problems).toContainEqual({ table: "legs", key: `${shipment}:0`, mac_key: FIRST, reason: "mac_invalid" });
	});

	it("a leg moved to another courier by SQL grants that courier nothing", async () => {
		const holder = await employeeToken("courier", "leg-holder", "LEG-M");
		const taker = await employeeToken("courier", "leg-taker", "LEG-M");
		const { id, shipment } = await create({ depot: "LEG-M", courier: "leg-holder" });
		expect((await ask(holder, id)).status).toBe(201);
		// The service hands the record to the taker (a MACed assignment): without the delivery leg, no reveal.
		expect((await call("PATCH", `/v1/records/${id}`, { token: service, body: { courier: "leg-taker" } })).status).toBe(200);
		expect((await ask(taker, id)).status).toBe(403);

		// The DBA moves the open leg to the taker.
		await asDba(() => env.DB.prepare("UPDATE legs SET courier = 'leg-taker' WHERE shipment_id = ?1").bind(shipment).run());
		expect((await ask(taker, id)).status).toBe(403);
		const key = `${shipment}:0`;
		expect((await verify()).rows.problems).toContainEqual({ table: "legs", key, mac_key: FIRST, reason: "mac_invalid" });
		expect(await macAlerts()).toContainEqual(expect.objectContaining({ table: "legs", key }));

		// The service's next event recomputes the legs from the events and MACs them: the forgery is gone, the taker holds nothing.
		expect((await events([{ shipment_id: shipment, type: "delivery_attempted" }])).status).toBe(200);
		expect((await ask(taker, id)).status).toBe(403);
		expect((await verify()).rows.problems.filter((problem) => problem.key === key)).toEqual([]);
	});
});

describe("alert triage written straight into D1", () => {
	it("a forged resolution is shown as unverified, the alert reads as open, and verify reports it", async () => {
		// The critical alert the forged legs above raised.
		const target = (await alertsOf()).find((alert) => alert.kind === "row_mac_failed" && alert.id.includes(":legs:") && alert.state === "open") as Alert;
		expect(target).toBeDefined();
		expect(target.triage_verified).toBe(true);

		await asDba(() =>
			env.DB.prepare("UPDATE alerts SET state = 'resolved', resolved_by = 'ops-leg-macs', resolved_at = ?2, resolved_note = 'nothing to see' WHERE id = ?1")
				.bind(target.id, Date.now())
				.run(),
		);
		const shown = (await alertsOf()).find((alert) => alert.id === target.id) as Alert;
		expect(shown).toMatchObject({
			state: "open",
			resolved: null,
			triage_verified: false,
			unverified_triage: { state: "resolved", resolved: { by: "ops-leg-macs", note: "nothing to see" } },
		});
		// Still on the dashboard's unresolved list.
		const dashboard = await json<{ alerts: Alert[] }>(await call("GET", "/v1/dashboard", { token: ops }));
		expect(dashboard.alerts.map((alert) => alert.id)).toContain(target.id);
		const report = await verify();
		expect(report.rows.problems).toContainEqual({ table: "alerts", key: target.id, mac_key: null, reason: "mac_missing" });
		expect(await macAlerts()).toContainEqual(expect.objectContaining({ table: "alerts", key: target.id, reason: "mac_missing" }));

		// Ops acknowledge it through the API: a triage of their own, MACed; the forged one is not built on.
		const acknowledged = await json<Alert>(await call("POST", `/v1/alerts/${target.id}/acknowledge`, { token: ops, body: { note: "looking" } }));
		expect(acknowledged).toMatchObject({ state: "acknowledged", resolved: null, triage_verified: true, unverified_triage: null });
		expect((await verify()).rows.problems.filter((problem) => problem.key === target.id)).toEqual([]);

		// A real resolution's MAC copied onto another alert does not verify there (the MAC covers the alert's id).
		const resolved = await json<Alert>(await call("POST", `/v1/alerts/${target.id}/resolve`, { token: ops, body: { note: "done" } }));
		expect(resolved).toMatchObject({ state: "resolved", triage_verified: true });
		const other = (await alertsOf()).find((alert) => alert.state === "open" && alert.id !== target.id) as Alert;
		expect(other).toBeDefined();
		await asDba(() =>
			env.DB.prepare(
				`UPDATE alerts SET (state, acknowledged_by, acknowledged_at, acknowledged_note, resolved_by, resolved_at, resolved_note, mac, mac_key) =
				   (SELECT state, acknowledged_by, acknowledged_at, acknowledged_note, resolved_by, resolved_at, resolved_note, mac, mac_key FROM alerts WHERE id = ?2)
				 WHERE id = ?1`,
			)
				.bind(other.id, target.id)
				.run(),
		);
		expect((await alertsOf()).find((alert) => alert.id === other.id)).toMatchObject({ state: "open", triage_verified: false });
		expect((await verify()).rows.problems).toContainEqual({ table: "alerts", key: other.id, mac_key: FIRST, reason: "mac_invalid" });
	});
});

describe("no false alarm", () => {
	it("legs that open, move and close through shipment events, and a key rotation that re-MACs legs and triage", async () => {
		const first = await employeeToken("courier", "leg-first", "LEG-R");
		const second = await employeeToken("courier", "leg-second", "LEG-R");
		const { id, shipment } = await create({ depot: "LEG-R", courier: "leg-first" });
		const closing = await create({ depot: "LEG-R", courier: "leg-first" });
		expect((await ask(first, id)).status).toBe(201);
		// Moved to another courier, attempted, and the other parcel delivered: every leg is rewritten with its MAC.
		expect(
			(
				await events([
					{ shipment_id: shipment, type: "out_for_delivery", courier: "leg-second", courier_issuer: TEST_ISSUER },
					{ shipment_id: shipment, type: "delivery_attempted" },
					{ shipment_id: closing.shipment, type: "delivered" },
				])
			).status,
		).toBe(200);
		expect((await ask(second, id)).status).toBe(201);
		expect((await ask(first, closing.id)).status).toBe(201); // within the grace after delivered
		const ours = (problem: RowProblem) => problem.key.startsWith(shipment) || problem.key.startsWith(closing.shipment);
		expect((await verify()).rows.problems.filter(ours)).toEqual([]);
		const triaged = (await alertsOf()).find((alert) => alert.state === "resolved" && alert.triage_verified) as Alert;
		expect(triaged).toBeDefined();
		const before = (await macAlerts()).length;

		// Rotation: NEXT is primary, FIRST still listed; the re-MAC job moves legs and triage MACs to NEXT, except forged ones.
		current = { VAULT_KEYRING: JSON.stringify({ primary: NEXT, keys: { ...TEST_RING.keys, [NEXT]: nextRoot } }) };
		for (let run = 0; run < 2; run++) await cron();
		const forgedKeys = new Set((await verify()).rows.problems.map((problem) => problem.key));
		const stillFirst = await env.DB.prepare("SELECT shipment_id || ':' || n AS key FROM legs WHERE mac_key IS NOT ?1").bind(NEXT).all<{ key: string }>();
		expect(stillFirst.results.filter((row) => !forgedKeys.has(row.key))).toEqual([]);
		expect(await env.DB.prepare("SELECT mac_key FROM alerts WHERE id = ?1").bind(triaged.id).first()).toEqual({ mac_key: NEXT });

		// FIRST leaves the ring: the legs and the triage still verify under NEXT.
		current = { VAULT_KEYRING: JSON.stringify({ primary: NEXT, keys: { [NEXT]: nextRoot } }) };
		expect((await ask(second, id)).status).toBe(201);
		const report = await verify();
		expect(report.rows.problems.filter(ours)).toEqual([]);
		expect(report.rows.problems.filter((problem) => problem.key === triaged.id)).toEqual([]);
		expect((await alertsOf()).find((alert) => alert.id === triaged.id)).toMatchObject({ state: "resolved", triage_verified: true });
		// Only what the tests above forged is reported, and no new alert about a leg or an alert of ours.
		for (const problem of report.rows.problems) expect(forgedKeys.has(problem.key) || problem.reason === "mac_key_unknown").toBe(true);
		expect((await macAlerts()).slice(before).filter((row) => ours(row) || row.key === triaged.id)).toEqual([]);
	});
});
