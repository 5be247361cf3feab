import type { LegRow, ShipmentEventRow } from "../shipments/stored-rows";
import type { AlertTriageColumns } from "./row-contents";
import type { StoredAssignment } from "./row-trust";

/** A policy layer as stored: every column, whatever a migration added. */
export type StoredPolicyLayer = Record<string, string | number | null> & { layer: string; target_issuer: string; target: string; version: number };

export interface StoredStatus {
	issuer: string;
	subject: string;
	status: string;
	mac: string | null;
	mac_key: string | null;
}

/** A record's assignment columns as stored, with whether `honeytokens` lists it (1) or not (0). */
export type StoredRecordAssignment = StoredAssignment & { honeytoken: number };

/** A new MAC for a record, written only over the assignment and MAC it was computed from. */
export interface RecordMacWrite {
	id: string;
	depot: string;
	courier: string | null;
	courier_issuer: string | null;
	old_mac: string | null;
	mac: string;
	mac_key: string;
}

/** A leg as stored, with its MAC (migration 0018). */
export type StoredLeg = LegRow;

/** A shipment event as stored, with its MAC (migration 0019). */
export type StoredEvent = ShipmentEventRow;

/** An alert's triage as stored, with its MAC (migration 0018). */
export interface StoredAlertTriage extends AlertTriageColumns {
	mac: string | null;
	mac_key: string | null;
}

const LEG_COLUMNS = "shipment_id, n, kind, parties, courier, courier_issuer, depot, opened_at, closed_at, close_after, at, mac, mac_key";
const EVENT_COLUMNS = "shipment_id, n, type, courier, courier_issuer, depot, at, mac, mac_key";
const TRIAGE_COLUMNS = "id, state, acknowledged_by, acknowledged_at, acknowledged_note, resolved_by, resolved_at, resolved_note, mac, mac_key";

const ASSIGNMENT = `id, shipment_id, party, depot, courier, courier_issuer, mac, mac_key,
  EXISTS (SELECT 1 FROM honeytokens WHERE record_id = records.id) AS honeytoken`;

/** The tables the full scan walks, in the order it walks them. */
export const SCANNED_TABLES = ["policies", "principal_status", "records", "legs", "shipment_events", "alerts"] as const;
export type ScannedTable = (typeof SCANNED_TABLES)[number];

/** A scanned row's primary key, as stored: where the next page starts after it. */
export type ScanKey = (string | number)[];

/** Each scanned table's columns, primary key (the keyset the scan pages by) and the rows that carry a MAC. */
const SCANS: Record<ScannedTable, { columns: string; key: readonly string[]; where?: string }> = {
	policies: { columns: "*", key: ["layer", "target_issuer", "target"] },
	principal_status: { columns: "issuer, subject, status, mac, mac_key", key: ["issuer", "subject"] },
	records: { columns: ASSIGNMENT, key: ["id"] },
	legs: { columns: LEG_COLUMNS, key: ["shipment_id", "n"] },
	shipment_events: { columns: EVENT_COLUMNS, key: ["shipment_id", "n"] },
	// An alert open as raised carries no MAC (open is the safe state): only triage is judged.
	alerts: { columns: TRIAGE_COLUMNS, key: ["id"], where: "(state <> 'open' OR mac IS NOT NULL)" },
};

export interface ScannedRows {
	policies: StoredPolicyLayer;
	principal_status: StoredStatus;
	records: StoredRecordAssignment;
	legs: StoredLeg;
	shipment_events: StoredEvent;
	alerts: StoredAlertTriage;
}

/** The SQL of the row-MAC jobs and of verification: reads of MACed rows, and MACs written compare-and-set. */
export class RowMacStore {
	constructor(private readonly db: D1Database) {}

	async policyLayers(): Promise<StoredPolicyLayer[]> {
		return (await this.db.prepare("SELECT * FROM policies ORDER BY layer, target, target_issuer").all<StoredPolicyLayer>()).results;
	}

	/** Status rows, at most `limit` (the listing ops read holds a few thousand at most). */
	async statuses(limit: number): Promise<StoredStatus[]> {
		return (
			await this.db
				.prepare("SELECT issuer, subject, status, mac, mac_key FROM principal_status ORDER BY issuer, subject LIMIT ?1")
				.bind(limit)
				.all<StoredStatus>()
		).results;
	}

	/** Records with no MAC, in id order (index records_unsigned: rows written since 0014 are not in it). */
	async unsignedRecords(limit: number): Promise<StoredRecordAssignment[]> {
		return (await this.db.prepare(`SELECT ${ASSIGNMENT} FROM records WHERE mac IS NULL ORDER BY id LIMIT ?1`).bind(limit).all<StoredRecordAssignment>())
			.results;
	}

	/** Records whose MAC is under one of `keyIds`, in id order after `after` (index records_mac_key). */
	async recordsMacedUnder(keyIds: string[], after: string, limit: number): Promise<StoredRecordAssignment[]> {
		if (keyIds.length === 0) return [];
		return (
			await this.db
				.prepare(`SELECT ${ASSIGNMENT} FROM records WHERE mac_key IN (SELECT value FROM json_each(?1)) AND id > ?2 ORDER BY id LIMIT ?3`)
				.bind(JSON.stringify(keyIds), after, limit)
				.all<StoredRecordAssignment>()
		).results;
	}

	async recordsById(ids: string[]): Promise<StoredRecordAssignment[]> {
		if (ids.length === 0) return [];
		return (
			await this.db
				.prepare(`SELECT ${ASSIGNMENT} FROM records WHERE id IN (SELECT value FROM json_each(?1))`)
				.bind(JSON.stringify(ids))
				.all<StoredRecordAssignment>()
		).results;
	}

	/** Writes a layer's MAC if the layer is still at the version, and the MAC, it was computed from. */
	setPolicyMac(layer: StoredPolicyLayer, mac: string, macKey: string): D1PreparedStatement {
		return this.db
			.prepare("UPDATE policies SET mac = ?1, mac_key = ?2 WHERE layer = ?3 AND target_issuer = ?4 AND target = ?5 AND version = ?6 AND mac IS ?7")
			.bind(mac, macKey, layer.layer, layer.target_issuer, layer.target, layer.version, layer.mac ?? null);
	}

	/** Writes a status row's MAC if its status, and MAC, are still those it was computed from. */
	setStatusMac(row: StoredStatus, mac: string, macKey: string): D1PreparedStatement {
		return this.db
			.prepare("UPDATE principal_status SET mac = ?1, mac_key = ?2 WHERE issuer = ?3 AND subject = ?4 AND status = ?5 AND mac IS ?6")
			.bind(mac, macKey, row.issuer, row.subject, row.status, row.mac);
	}

	/** Writes records' MACs, each only if its assignment and MAC are still those read. */
	setRecordMacs(rows: RecordMacWrite[]): D1PreparedStatement {
		return this.db
			.prepare(
				`WITH incoming AS MATERIALIZED (SELECT value AS item FROM json_each(?1))
				 UPDATE records SET mac = w.item ->> '$.mac', mac_key = w.item ->> '$.mac_key'
				 FROM incoming AS w
				 WHERE records.id = w.item ->> '$.id' AND records.depot = w.item ->> '$.depot' AND records.courier IS w.item ->> '$.courier'
				   AND records.courier_issuer IS w.item ->> '$.courier_issuer' AND records.mac IS w.item ->> '$.old_mac'`,
			)
			.bind(JSON.stringify(rows));
	}

	/** Legs with no MAC, in key order (index legs_unsigned: legs written since 0018 are not in it). */
	async unsignedLegs(limit: number): Promise<StoredLeg[]> {
		return (await this.db.prepare(`SELECT ${LEG_COLUMNS} FROM legs WHERE mac IS NULL ORDER BY shipment_id, n LIMIT ?1`).bind(limit).all<StoredLeg>()).results;
	}

	/** Legs whose MAC is under one of `keyIds`, at most `limit` (index legs_mac_key). */
	async legsMacedUnder(keyIds: string[], limit: number): Promise<StoredLeg[]> {
		if (keyIds.length === 0) return [];
		return (
			await this.db
				.prepare(`SELECT ${LEG_COLUMNS} FROM legs WHERE mac_key IN (SELECT value FROM json_each(?1)) LIMIT ?2`)
				.bind(JSON.stringify(keyIds), limit)
				.all<StoredLeg>()
		).results;
	}

	/**
	 * The legs that grant at `now` (open, or in their grace), and those the witness's findings name
	 * (`keys`: "shipment:n"), at most `limit`: what verification checks (closed legs grant nothing).
	 */
	async legsToVerify(now: number, keys: string[], limit: number): Promise<StoredLeg[]> {
		return (
			await this.db
				.prepare(
					`SELECT ${LEG_COLUMNS} FROM legs WHERE close_after IS NULL OR close_after > ?1
					 UNION SELECT ${LEG_COLUMNS} FROM legs WHERE shipment_id || ':' || n IN (SELECT value FROM json_each(?2)) LIMIT ?3`,
				)
				.bind(now, JSON.stringify(keys), limit)
				.all<StoredLeg>()
		).results;
	}

	/** The legs named by `keys` ("shipment:n"). */
	async legsByKey(keys: string[]): Promise<StoredLeg[]> {
		if (keys.length === 0) return [];
		return (
			await this.db
				// By the primary key: each key split at its last colon (a shipment id may hold one).
				.prepare(`SELECT ${LEG_COLUMNS} FROM json_each(?1) AS k JOIN legs ON legs.shipment_id = k.value ->> '$[0]' AND legs.n = k.value ->> '$[1]'`)
				.bind(JSON.stringify(keys.map((key) => [key.slice(0, key.lastIndexOf(":")), Number(key.slice(key.lastIndexOf(":") + 1))])))
				.all<StoredLeg>()
		).results;
	}

	/** Writes legs' MACs, each only if the leg and its MAC are still those read. */
	setLegMacs(rows: (StoredLeg & { old_mac: string | null })[]): D1PreparedStatement {
		return this.db
			.prepare(
				`WITH incoming AS MATERIALIZED (SELECT value AS item FROM json_each(?1))
				 UPDATE legs SET mac = w.item ->> '$.mac', mac_key = w.item ->> '$.mac_key'
				 FROM incoming AS w
				 WHERE legs.shipment_id = w.item ->> '$.shipment_id' AND legs.n = w.item ->> '$.n' AND legs.courier IS w.item ->> '$.courier'
				   AND legs.depot IS w.item ->> '$.depot' AND legs.opened_at = w.item ->> '$.opened_at' AND legs.closed_at IS w.item ->> '$.closed_at'
				   AND legs.close_after IS w.item ->> '$.close_after' AND legs.at = w.item ->> '$.at' AND legs.mac IS w.item ->> '$.old_mac'`,
			)
			.bind(JSON.stringify(rows));
	}

	/** Events with no MAC, in key order (index shipment_events_unsigned: events written since 0019 are not in it). */
	async unsignedEvents(limit: number): Promise<StoredEvent[]> {
		return (
			await this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM shipment_events WHERE mac IS NULL ORDER BY shipment_id, n LIMIT ?1`).bind(limit).all<StoredEvent>()
		).results;
	}

	/** Events whose MAC is under one of `keyIds`, at most `limit` (index shipment_events_mac_key). */
	async eventsMacedUnder(keyIds: string[], limit: number): Promise<StoredEvent[]> {
		if (keyIds.length === 0) return [];
		return (
			await this.db
				.prepare(`SELECT ${EVENT_COLUMNS} FROM shipment_events WHERE mac_key IN (SELECT value FROM json_each(?1)) LIMIT ?2`)
				.bind(JSON.stringify(keyIds), limit)
				.all<StoredEvent>()
		).results;
	}

	/** The events named by `keys` ("shipment:n"): those of the witness's findings. */
	async eventsByKey(keys: string[]): Promise<StoredEvent[]> {
		if (keys.length === 0) return [];
		return (
			await this.db
				.prepare(`SELECT ${EVENT_COLUMNS} FROM shipment_events WHERE shipment_id || ':' || n IN (SELECT value FROM json_each(?1))`)
				.bind(JSON.stringify(keys))
				.all<StoredEvent>()
		).results;
	}

	/** Writes events' MACs, each only if the event and its MAC are still those read. */
	setEventMacs(rows: (StoredEvent & { old_mac: string | null })[]): D1PreparedStatement {
		return this.db
			.prepare(
				`WITH incoming AS MATERIALIZED (SELECT value AS item FROM json_each(?1))
				 UPDATE shipment_events SET mac = w.item ->> '$.mac', mac_key = w.item ->> '$.mac_key'
				 FROM incoming AS w
				 WHERE shipment_events.shipment_id = w.item ->> '$.shipment_id' AND shipment_events.n = w.item ->> '$.n' AND shipment_events.type = w.item ->> '$.type'
				   AND shipment_events.courier IS w.item ->> '$.courier' AND shipment_events.courier_issuer IS w.item ->> '$.courier_issuer'
				   AND shipment_events.depot IS w.item ->> '$.depot' AND shipment_events.at = w.item ->> '$.at' AND shipment_events.mac IS w.item ->> '$.old_mac'`,
			)
			.bind(JSON.stringify(rows));
	}

	/** Alerts past open, newest first, at most `limit`, with those named by `ids`: the triage verification checks. */
	async triagedAlerts(ids: string[], limit: number): Promise<StoredAlertTriage[]> {
		return (
			await this.db
				.prepare(
					`SELECT ${TRIAGE_COLUMNS} FROM (SELECT ${TRIAGE_COLUMNS}, at FROM alerts WHERE state <> 'open' OR mac IS NOT NULL ORDER BY at DESC LIMIT ?2)
					 UNION SELECT ${TRIAGE_COLUMNS} FROM alerts WHERE id IN (SELECT value FROM json_each(?1))`,
				)
				.bind(JSON.stringify(ids), limit)
				.all<StoredAlertTriage>()
		).results;
	}

	/** Alerts past open with no MAC (index alerts_triage_unsigned), at most `limit`. */
	async unsignedTriage(limit: number): Promise<StoredAlertTriage[]> {
		return (await this.db.prepare(`SELECT ${TRIAGE_COLUMNS} FROM alerts WHERE mac IS NULL AND state <> 'open' LIMIT ?1`).bind(limit).all<StoredAlertTriage>())
			.results;
	}

	/** Alerts whose triage MAC is under one of `keyIds`, at most `limit`. */
	async triageMacedUnder(keyIds: string[], limit: number): Promise<StoredAlertTriage[]> {
		if (keyIds.length === 0) return [];
		return (
			await this.db
				.prepare(`SELECT ${TRIAGE_COLUMNS} FROM alerts WHERE mac_key IN (SELECT value FROM json_each(?1)) LIMIT ?2`)
				.bind(JSON.stringify(keyIds), limit)
				.all<StoredAlertTriage>()
		).results;
	}

	/** Writes an alert's triage MAC if its triage, and MAC, are still those it was computed from. */
	setTriageMac(row: StoredAlertTriage, mac: string, macKey: string): D1PreparedStatement {
		return this.db
			.prepare(
				`UPDATE alerts SET mac = ?1, mac_key = ?2 WHERE id = ?3 AND state = ?4 AND acknowledged_at IS ?5 AND resolved_at IS ?6 AND acknowledged_by IS ?7
				   AND resolved_by IS ?8 AND acknowledged_note IS ?9 AND resolved_note IS ?10 AND mac IS ?11`,
			)
			.bind(
				mac,
				macKey,
				row.id,
				row.state,
				row.acknowledged_at,
				row.resolved_at,
				row.acknowledged_by,
				row.resolved_by,
				row.acknowledged_note,
				row.resolved_note,
				row.mac,
			);
	}

	/**
	 * One page of a table in primary-key order after `after` (keyset pagination: a row-value
	 * comparison on the primary key's index, so a page costs the same at any depth), and the key
	 * of its last row, as stored.
	 */
	async scanPage<T extends ScannedTable>(table: T, after: ScanKey | null, limit: number): Promise<{ rows: ScannedRows[T][]; last: ScanKey | null }> {
		const scan = SCANS[table];
		const key = scan.key.join(", ");
		const conditions = [scan.where, after ? `(${key}) > (${scan.key.map((_, i) => `?${i + 2}`).join(", ")})` : undefined].filter(Boolean);
		const { results } = await this.db
			.prepare(`SELECT ${scan.columns} FROM ${table} ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""} ORDER BY ${key} LIMIT ?1`)
			.bind(limit, ...(after ?? []))
			.all<ScannedRows[T]>();
		const tail = results.at(-1) as Record<string, string | number> | undefined;
		return { rows: results, last: tail ? scan.key.map((column) => tail[column] as string | number) : null };
	}

	/**
	 * Rows per MAC key over the MACed tables (records, legs and events through their mac_key indexes;
	 * D1 takes at most 5 terms in one compound SELECT, so legs and events share one, and so do alerts
	 * and audit entries not yet sealed: the sealer judges those by their MAC, and sealed ones are
	 * never judged again, so only the unsealed tail holds a key in use).
	 */
	async countByMacKey(): Promise<Record<string, number>> {
		const { results } = await this.db
			.prepare(
				`SELECT mac_key, sum(n) AS n FROM (
				   SELECT mac_key, count(*) AS n FROM records WHERE mac_key IS NOT NULL GROUP BY mac_key
				   UNION ALL SELECT mac_key, count(*) FROM policies WHERE mac_key IS NOT NULL GROUP BY mac_key
				   UNION ALL SELECT mac_key, count(*) FROM principal_status WHERE mac_key IS NOT NULL GROUP BY mac_key
				   UNION ALL SELECT mac_key, count(*) FROM (
				     SELECT mac_key FROM legs WHERE mac_key IS NOT NULL UNION ALL SELECT mac_key FROM shipment_events WHERE mac_key IS NOT NULL) GROUP BY mac_key
				   UNION ALL SELECT mac_key, count(*) FROM (
				     SELECT mac_key FROM alerts WHERE mac_key IS NOT NULL
				     UNION ALL SELECT mac_key FROM audit_log
				       WHERE seq > COALESCE((SELECT seq FROM audit_log WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1), 0) AND mac_key IS NOT NULL)
				   GROUP BY mac_key)
				 GROUP BY mac_key`,
			)
			.all<{ mac_key: string; n: number }>();
		return Object.fromEntries(results.map((row) => [row.mac_key, row.n]));
	}

	async run(statements: D1PreparedStatement[]): Promise<number> {
		if (statements.length === 0) return 0;
		const results = await this.db.batch(statements);
		return results.reduce((sum, result) => sum + (result.meta.changes ?? 0), 0);
	}
}
