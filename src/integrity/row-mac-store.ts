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

const ASSIGNMENT = `id, shipment_id, party, depot, courier, courier_issuer, mac, mac_key,
  EXISTS (SELECT 1 FROM honeytokens WHERE record_id = records.id) AS honeytoken`;

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
				`UPDATE records SET mac = w.value ->> '$.mac', mac_key = w.value ->> '$.mac_key'
				 FROM json_each(?1) AS w
				 WHERE records.id = w.value ->> '$.id' AND records.depot = w.value ->> '$.depot' AND records.courier IS w.value ->> '$.courier'
				   AND records.courier_issuer IS w.value ->> '$.courier_issuer' AND records.mac IS w.value ->> '$.old_mac'`,
			)
			.bind(JSON.stringify(rows));
	}

	/** Rows per MAC key over the three MACed tables (records through index records_mac_key). */
	async countByMacKey(): Promise<Record<string, number>> {
		const { results } = await this.db
			.prepare(
				`SELECT mac_key, sum(n) AS n FROM (
				   SELECT mac_key, count(*) AS n FROM records WHERE mac_key IS NOT NULL GROUP BY mac_key
				   UNION ALL SELECT mac_key, count(*) FROM policies WHERE mac_key IS NOT NULL GROUP BY mac_key
				   UNION ALL SELECT mac_key, count(*) FROM principal_status WHERE mac_key IS NOT NULL GROUP BY mac_key)
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
