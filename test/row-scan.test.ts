import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { continueFullVerification } from "../src/audit/housekeeping";
import { FULL_SLICE_QUERY_BOUND } from "../src/audit/verify-budget";
import { auditWitnessFor } from "../src/audit/witness-client";
import type { KeyringConfig } from "../src/config";
import { Keyring } from "../src/crypto/keyring";
import { sealRow } from "../src/crypto/row-mac";
import type { Env } from "../src/env";
import { alertTriageContent, legContent, recordContent } from "../src/integrity/row-contents";
import { ROW_SCAN_PAGE, ROW_SCAN_PAGES_PER_SLICE } from "../src/integrity/row-scan";
import type { Party } from "../src/records/store";
import type { LegKind, LegParties } from "../src/shipments/events";
import { callWith, createRecords, json } from "./support/api";
import { countingDb } from "./support/counting-db";
import { runCron } from "./support/cron";
import { asDba } from "./support/dba";
import { serviceToken, token } from "./support/tokens";

/**
 * The full re-verification scans every MACed row, not a sample: thousands of records and legs and
 * over a thousand triaged alerts, more than one slice, forgeries placed where the bounded checks
 * of `GET /v1/audit/verify` do not look (an old record no finding names, an old closed leg, the
 * oldest triaged alert).
 */

const CLONES = 3_000;
const OLD_ALERTS = 1_200;

type Problem = { table: string; key: string; mac_key: string | null; reason: string };
type Tables = "policies" | "principal_status" | "records" | "legs" | "shipment_events" | "alerts";
interface FullView {
	status: string;
	ok: boolean;
	rows: { table: string | null; finished: boolean; checked: Record<Tables, number>; found: number; problems: Problem[]; last_finished: unknown };
}
interface Report {
	ok: boolean;
	full_verification: FullView | null;
	rows: { problems: Problem[] };
}

const TEST_RING = JSON.parse(env.VAULT_KEYRING as string) as KeyringConfig;
const nextRoot = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
	.replace(/\+/g, "-")
	.replace(/\//g, "_")
	.replace(/=+$/, "");
const ROTATED: KeyringConfig = { primary: "row-scan-next", keys: { ...TEST_RING.keys, "row-scan-next": nextRoot } };

let current: Partial<Env> = {};
let ops: string;
const withEnv = () => ({ ...env, ...current }) as Env;
const call = (method: string, path: string, options: Parameters<typeof callWith>[3] = {}) => callWith(current, method, path, options);

let oldRecord: string;
let oldLeg: { shipment_id: string; n: number };
let oldAlert: string;

beforeAll(async () => {
	ops = await token({ sub: "ops-row-scan", scope: "ops" });
	const service = await serviceToken("records:write records:read records:delete");
	// The legacy job MACs what the migrations left without a MAC and closes both legacy windows.
	await runCron("* * * * *", Date.now(), withEnv());
	await runCron("* * * * *", Date.now(), withEnv());
	const [template] = await createRecords(service, 1, { depot: "SCAN-1", courier: "scan-courier" });
	const keyring = await Keyring.import(TEST_RING);

	// Records cloned from the template, each with its own id, shipment and MAC, as the worker would write them.
	const record = (await env.DB.prepare("SELECT * FROM records WHERE id = ?1").bind(template).first<Record<string, unknown>>()) as Record<string, unknown>;
	const leg = (await env.DB.prepare("SELECT * FROM legs WHERE shipment_id = ?1").bind(record.shipment_id).first<Record<string, unknown>>()) as Record<
		string,
		unknown
	>;
	expect(leg).toBeTruthy();
	const long = Date.now() - 90 * 86_400_000;
	const clones = await Promise.all(
		Array.from({ length: CLONES }, async (_, i) => {
			const id = `scan-${String(i).padStart(5, "0")}`;
			const shipment = `SCANSHIP${String(i).padStart(5, "0")}`;
			const assignment = {
				id,
				shipment_id: shipment,
				party: record.party as Party,
				depot: record.depot as string,
				courier: record.courier as string,
				courier_issuer: record.courier_issuer as string,
			};
			const legRow = {
				shipment_id: shipment,
				n: 0,
				kind: leg.kind as LegKind,
				parties: leg.parties as LegParties,
				courier: leg.courier as string,
				courier_issuer: leg.courier_issuer as string,
				depot: leg.depot as string | null,
				opened_at: long + i,
				closed_at: long + i + 3_600_000,
				close_after: long + i + 3_600_000,
				at: long + i,
			};
			return {
				record: { ...assignment, ...(await sealRow(keyring, "records", recordContent({ ...assignment, honeytoken: false }))) },
				leg: { ...legRow, ...(await sealRow(keyring, "legs", legContent(legRow))) },
			};
		}),
	);
	const columns = Object.keys(record);
	const fromJson = new Set(["id", "shipment_id", "mac", "mac_key"]);
	const insertRecords = `INSERT INTO records (${columns.join(", ")}) SELECT ${columns.map((column) => (fromJson.has(column) ? `j.value ->> '$.${column}'` : `t.${column}`)).join(", ")} FROM records t, json_each(?1) j WHERE t.id = ?2`;
	const legColumns = Object.keys(clones[0]?.leg ?? {});
	const insertLegs = `INSERT INTO legs (${legColumns.join(", ")}) SELECT ${legColumns.map((column) => `j.value ->> '$.${column}'`).join(", ")} FROM json_each(?1) j`;
	for (let at = 0; at < CLONES; at += 500) {
		const chunk = clones.slice(at, at + 500);
		await env.DB.batch([
			env.DB.prepare(insertRecords).bind(JSON.stringify(chunk.map((clone) => clone.record)), template),
			env.DB.prepare(insertLegs).bind(JSON.stringify(chunk.map((clone) => clone.leg))),
		]);
	}
	oldRecord = "scan-00007";
	oldLeg = { shipment_id: "SCANSHIP00011", n: 0 };

	// Alerts triaged long ago, each with its triage MAC: more than the newest 1,000 that each request checks.
	const alerts = await Promise.all(
		Array.from({ length: OLD_ALERTS }, async (_, i) => {
			const triage = {
				id: `scan-alert-${String(i).padStart(5, "0")}`,
				state: "resolved",
				acknowledged_by: "ops-row-scan",
				acknowledged_at: long + i,
				acknowledged_note: "seen",
				resolved_by: "ops-row-scan",
				resolved_at: long + i + 1,
				resolved_note: "handled",
			};
			return { ...triage, at: long + i, ...(await sealRow(keyring, "alerts", alertTriageContent(triage))) };
		}),
	);
	await env.DB.prepare(
		`INSERT INTO alerts (id, at, severity, kind, subject, depot, details, delivery, next_attempt_at, state, acknowledged_by, acknowledged_at,
		   acknowledged_note, resolved_by, resolved_at, resolved_note, mac, mac_key)
		 SELECT j.value ->> '$.id', j.value ->> '$.at', 'warning', 'work_ratio_outlier', NULL, NULL, '{}', 'not_configured', 0, j.value ->> '$.state',
		   j.value ->> '$.acknowledged_by', j.value ->> '$.acknowledged_at', j.value ->> '$.acknowledged_note', j.value ->> '$.resolved_by',
		   j.value ->> '$.resolved_at', j.value ->> '$.resolved_note', j.value ->> '$.mac', j.value ->> '$.mac_key' FROM json_each(?1) j`,
	)
		.bind(JSON.stringify(alerts))
		.run();
	oldAlert = "scan-alert-00000";
});

async function tableSizes(): Promise<Record<Tables, number>> {
	const count = async (sql: string) => ((await env.DB.prepare(sql).first<{ n: number }>()) as { n: number }).n;
	return {
		policies: await count("SELECT count(*) AS n FROM policies"),
		principal_status: await count("SELECT count(*) AS n FROM principal_status"),
		records: await count("SELECT count(*) AS n FROM records"),
		legs: await count("SELECT count(*) AS n FROM legs"),
		shipment_events: await count("SELECT count(*) AS n FROM shipment_events"),
		alerts: await count("SELECT count(*) AS n FROM alerts WHERE state <> 'open' OR mac IS NOT NULL"),
	};
}

async function verify(): Promise<Report> {
	const response = await call("GET", "/v1/audit/verify", { token: ops });
	expect(response.status).toBe(200);
	return json<Report>(response);
}

async function startRun(): Promise<void> {
	expect((await call("POST", "/v1/audit/verify/full", { token: ops })).status).toBe(202);
}

/** Drives the cron's step by hand until the run finishes; the D1 queries of each slice. */
async function driveToEnd(maxSlices = 20): Promise<number[]> {
	const counter = countingDb(env.DB);
	const perSlice: number[] = [];
	for (let slice = 0; slice < maxSlices; slice++) {
		counter.reset();
		const run = await continueFullVerification({ ...withEnv(), DB: counter.db } as Env, Date.now());
		perSlice.push(counter.count());
		if (typeof run !== "string" && run.finished) return perSlice;
	}
	throw new Error(`the run did not finish in ${maxSlices} slices`);
}

/** A D1 binding that fails every round trip after the first `allowed`, as an outage midway would. */
function failingAfter(allowed: number): D1Database {
	const counter = countingDb(env.DB);
	const check = () => {
		if (counter.count() >= allowed) throw new Error("D1 went away");
	};
	return new Proxy(counter.db, {
		get(target, property) {
			if (property === "batch")
				return (statements: D1PreparedStatement[]) => {
					check();
					return target.batch(statements);
				};
			if (property === "prepare")
				return (query: string) => {
					const statement = target.prepare(query);
					const guard = (s: D1PreparedStatement): D1PreparedStatement =>
						new Proxy(s, {
							get(inner, name) {
								if (name === "bind") return (...values: unknown[]) => guard(inner.bind(...values));
								if (name === "first" || name === "all" || name === "run" || name === "raw")
									return (...args: unknown[]) => {
										check();
										return (inner[name] as (...a: unknown[]) => unknown).apply(inner, args);
									};
								return Reflect.get(inner, name);
							},
						});
					return guard(statement);
				};
			return Reflect.get(target, property);
		},
	});
}

const witnessRun = async () => (await (auditWitnessFor(withEnv()) as NonNullable<ReturnType<typeof auditWitnessFor>>).state(0)).full;

describe("the full re-verification scans every MACed row", () => {
	it("walks every row of every MACed table in bounded slices, and finds nothing on clean tables", async () => {
		await startRun();
		const perSlice = await driveToEnd();
		const sizes = await tableSizes();
		expect(sizes.records).toBeGreaterThan(CLONES);
		expect(sizes.alerts).toBeGreaterThanOrEqual(OLD_ALERTS);
		const report = await verify();
		expect(report.full_verification).toMatchObject({ status: "finished", ok: true, rows: { finished: true, table: null, found: 0, problems: [] } });
		expect(report.full_verification?.rows.checked).toEqual(sizes);
		expect(report.ok).toBe(true);
		// More rows than one slice reads: the scan took several, each within the bound.
		const rows = Object.values(sizes).reduce((sum, n) => sum + n, 0);
		expect(rows).toBeGreaterThan(ROW_SCAN_PAGE * ROW_SCAN_PAGES_PER_SLICE);
		expect(perSlice.length).toBeGreaterThanOrEqual(2);
		expect(Math.max(...perSlice)).toBeLessThanOrEqual(FULL_SLICE_QUERY_BOUND);
		console.log(JSON.stringify({ event: "row_scan", rows, slices: perSlice.length, max_queries: Math.max(...perSlice), bound: FULL_SLICE_QUERY_BOUND }));
	});

	it("a slice that fails midway is done again from the saved cursor; nothing is counted twice", async () => {
		await startRun();
		// One good slice, so the scan has a cursor somewhere past the start.
		await continueFullVerification(withEnv(), Date.now());
		const before = await witnessRun();
		expect(before?.rows?.table).not.toBeNull();
		await expect(continueFullVerification({ ...withEnv(), DB: failingAfter(5) } as Env, Date.now())).rejects.toThrow();
		const after = await witnessRun();
		expect(after?.rows).toEqual(before?.rows);
		expect(after?.slices).toBe(before?.slices);
		await driveToEnd();
		const report = await verify();
		expect(report.full_verification?.rows.checked).toEqual(await tableSizes());
		expect(report.full_verification?.rows.found).toBe(0);
	});

	it("a rotation of the keyring starts the scan over, and the re-MACed rows raise no alarm", async () => {
		await startRun();
		await continueFullVerification(withEnv(), Date.now());
		const under = await witnessRun();
		expect(under?.rows?.pages).toBe(ROW_SCAN_PAGES_PER_SLICE);
		current = { VAULT_KEYRING: JSON.stringify(ROTATED) };
		// The first slice under the new ring starts the scan from the first table.
		await continueFullVerification(withEnv(), Date.now());
		const restarted = await witnessRun();
		expect(restarted?.rows?.fingerprint).not.toBe(under?.rows?.fingerprint);
		expect(restarted?.rows?.pages).toBe(ROW_SCAN_PAGES_PER_SLICE);
		// The re-MAC job moves every row to the new key, while the scan goes on.
		for (let run = 0; run < 8; run++) await runCron("* * * * *", Date.now(), withEnv());
		for (const table of ["records", "legs", "shipment_events", "policies"]) {
			const stillOld = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE mac_key <> 'row-scan-next'`).first<{ n: number }>();
			expect(stillOld?.n).toBe(0);
		}
		await driveToEnd();
		const report = await verify();
		expect(report.full_verification).toMatchObject({ status: "finished", ok: true, rows: { found: 0 } });
		expect(report.full_verification?.rows.checked).toEqual(await tableSizes());
		expect(report.ok).toBe(true);
	});

	it("reports a forged record, leg, shipment event, alert triage and policy row that no sample reaches, with table and key", async () => {
		await asDba(async () => {
			await env.DB.prepare("UPDATE records SET depot = 'SCAN-OTHER' WHERE id = ?1").bind(oldRecord).run();
			await env.DB.prepare("UPDATE legs SET courier = 'scan-harvester' WHERE shipment_id = ?1 AND n = ?2").bind(oldLeg.shipment_id, oldLeg.n).run();
			await env.DB.prepare("UPDATE alerts SET resolved_note = 'nothing to see' WHERE id = ?1").bind(oldAlert).run();
			await env.DB.prepare("UPDATE policies SET daily_limit = 100000 WHERE layer = 'role' AND target = 'courier'").run();
			// An event no real event has folded yet: only the scan meets it.
			await env.DB.prepare(
				"INSERT INTO shipment_events (shipment_id, n, type, courier, courier_issuer, depot, at, received_at) VALUES ('SCANSHIP00013', 0, 'cancelled', NULL, NULL, NULL, 1, 1)",
			).run();
		});
		const macKey = ROTATED.primary;
		const forged: Problem[] = [
			{ table: "policies", key: "role//courier", mac_key: macKey, reason: "mac_invalid" },
			{ table: "records", key: oldRecord, mac_key: macKey, reason: "mac_invalid" },
			{ table: "legs", key: `${oldLeg.shipment_id}:${oldLeg.n}`, mac_key: macKey, reason: "mac_invalid" },
			{ table: "alerts", key: oldAlert, mac_key: macKey, reason: "mac_invalid" },
			{ table: "shipment_events", key: "SCANSHIP00013:0", mac_key: null, reason: "mac_missing" },
		];
		// The bounded check of a request does not reach the old record, leg or alert.
		const sampled = (await verify()).rows.problems;
		expect(sampled.filter((problem) => problem.table !== "policies")).toEqual([]);

		await startRun();
		const perSlice = await driveToEnd();
		expect(Math.max(...perSlice)).toBeLessThanOrEqual(FULL_SLICE_QUERY_BOUND);
		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.full_verification).toMatchObject({ status: "finished", ok: false, rows: { finished: true, found: 5 } });
		expect([...(report.full_verification?.rows.problems ?? [])].sort((a, b) => a.table.localeCompare(b.table))).toEqual(
			[...forged].sort((a, b) => a.table.localeCompare(b.table)),
		);
		expect(report.full_verification?.rows.checked).toEqual(await tableSizes());
		// Each one raised its critical alert, naming table and key.
		const { results } = await env.DB.prepare("SELECT severity, details FROM alerts WHERE kind = 'row_mac_failed'").all<{ severity: string; details: string }>();
		const alerted = results.map((row) => JSON.parse(row.details) as Problem);
		for (const problem of forged) expect(alerted).toContainEqual(problem);

		// A new run does not clear them: `ok` stays false until a scan finishes clean.
		await startRun();
		await continueFullVerification(withEnv(), Date.now());
		const running = await verify();
		expect(running.full_verification).toMatchObject({ status: "running", ok: false, rows: { finished: false, last_finished: { found: 5 } } });
		expect(running.ok).toBe(false);
	});
});
