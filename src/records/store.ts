import type { AuditEvent } from "../audit/entry";
import type { AuditLog } from "../audit/log";
import type { ContactField, SealedContact } from "../crypto/envelope";
import { type AssignmentColumns, recordContent } from "../integrity/row-contents";
import type { RowTrust } from "../integrity/row-trust";
import { LEG_JSON_OBJECT, legFromRow } from "../shipments/leg-store";
import type { Leg } from "../shipments/legs";
import type { LegRow } from "../shipments/stored-rows";
import { UniqueConstraintError } from "../storage/d1-errors";
import { MASK_VERSION, type MaskedContact } from "./masking";

export type Party = "sender" | "recipient";

/** A record as it is written: sealed contact, blind index and masked view, never plaintext. */
export interface NewRecord {
	id: string;
	shipmentId: string;
	party: Party;
	depot: string;
	courier: string | null;
	/** The issuer of the courier's employee tokens; null when no courier is assigned. */
	courierIssuer: string | null;
	sealed: SealedContact;
	phoneIndex: string;
	masked: MaskedContact;
	createdBy: string;
	createdAt: number;
	/** When the retention job erases it; from then on it reads as erased. */
	expiresAt: number;
	/** A planted honeytoken: its MAC says so, so deleting its `honeytokens` row does not disarm it. */
	honeytoken?: boolean;
}

export interface StoredRecord {
	id: string;
	shipmentId: string;
	party: Party;
	depot: string;
	courier: string | null;
	/** The issuer the courier is a principal of (DESIGN "Identity"); null when no courier is assigned. */
	courierIssuer: string | null;
	/** Null once erased or expired: the data key and ciphertext are gone, or about to be. */
	sealed: SealedContact | null;
	masked: MaskedContact | null;
	createdBy: string;
	createdAt: number;
	updatedAt: number;
	/** When it was erased; for an expired record not yet erased by the retention job, when it expired. */
	erasedAt: number | null;
	expiresAt: number | null;
	/** The assignment's MAC failed (src/integrity/): the record grants nothing to anyone. */
	assignmentForged?: true;
}

/** One record's envelope as the re-wrap job reads it. */
export interface SealedRow {
	id: string;
	sealed: SealedContact;
}

/** A record re-sealed under the primary key, with its phone index under the primary's index key. */
export interface Resealed {
	id: string;
	/** The envelope read, which must still be the stored one for the write to land. */
	previous: SealedContact;
	sealed: SealedContact;
	phoneIndex: string;
}

export interface ErasedBatch {
	ids: string[];
	/** The audit entry that records the batch. */
	seq: number | null;
}

export interface Reassignment {
	depot?: string;
	/** null unassigns; undefined leaves the courier as it is. */
	courier?: { subject: string; issuer: string } | null;
}

/** A statement to run in the same transaction as an insert (the idempotency claim). */
export type Companion = D1PreparedStatement;

export type InsertOutcome = "inserted" | "companion_conflict" | "duplicate_record";

/**
 * Where records live. Routes and services see only this interface, so a router that spreads
 * records over several D1 databases (by the time prefix of the id, by region) can replace the
 * single-database implementation without touching them. Every write carries the audit event that
 * records it, written in the same transaction as the change.
 */
export interface RecordStore {
	insert(records: NewRecord[], companions: Companion[], events: AuditEvent[]): Promise<InsertOutcome>;
	get(id: string): Promise<StoredRecord | null>;
	/**
	 * The record, whether it is a honeytoken, and every leg of its shipment, in one statement: the
	 * reveal ask and redeem check the leg with no extra round trip (DESIGN "Reveals follow the work").
	 */
	getForAsk(id: string): Promise<{ record: StoredRecord | null; honeytoken: boolean; legs: Leg[] }>;
	findByPhoneIndex(candidates: string[], limit: number): Promise<StoredRecord[]>;
	/**
	 * The live records of a shipment and every leg of it, in one statement (the legs ride in a column,
	 * as in getForAsk): a terminal's lookup shows each parcel's work with no extra round trip.
	 */
	findByShipment(shipmentId: string): Promise<{ records: StoredRecord[]; legs: Leg[] }>;
	reassign(id: string, change: Reassignment, event: AuditEvent): Promise<StoredRecord | null>;
	erase(id: string, event: AuditEvent): Promise<"erased" | "already_erased" | "not_found">;
	/** Ids of records not yet erased (expired ones included) with one of these phone index values. */
	unerasedIdsByPhoneIndex(candidates: string[], limit: number): Promise<string[]>;
	/** Ids of records not yet erased (expired ones included) of a shipment. */
	unerasedIdsByShipment(shipmentId: string): Promise<string[]>;
	/**
	 * Crypto-shreds the records among `ids` that are not erased yet, and writes the event built for
	 * them in the same transaction. Returns the ids erased and the entry's seq.
	 */
	eraseMany(ids: string[], event: (erased: string[]) => AuditEvent): Promise<ErasedBatch>;
	/** Ids of live records whose expiry has passed, oldest expiry first; honeytokens are never among them. */
	expiredIds(now: number, limit: number): Promise<string[]>;
	/** Live honeytoken records whose expiry has passed (they read as erased, like any expired record), oldest first. */
	expiredHoneytokens(now: number, limit: number): Promise<(StoredRecord & { sealed: SealedContact })[]>;
	/**
	 * Erases `previousId` and writes `replacement` in its place, with `companions` and the event, in
	 * one transaction; nothing if `previousId` was erased meanwhile. True when it was replaced.
	 */
	replace(previousId: string, replacement: NewRecord, companions: Companion[], event: AuditEvent): Promise<boolean>;
	/** Couriers still carrying the pre-0006 issuer '' get `employeeIssuer` written in; returns how many. */
	recordCourierIssuer(employeeIssuer: string, limit: number): Promise<number>;
	/** Gives records without an expiry (written by a version before retention) `created_at + defaultMs`. */
	assignMissingExpiry(defaultMs: number): Promise<number>;
	/**
	 * Live records sealed under one of `keyIds`, in id order after `after`, for re-wrapping. Expired
	 * ones are left to the retention job: no plaintext is made of data that should already be gone.
	 */
	sealedUnder(keyIds: string[], after: string, limit: number): Promise<SealedRow[]>;
	/**
	 * Writes re-sealed envelopes, each only if the record still holds the envelope read (an erasure
	 * or another re-wrap in between wins), with the event in the same transaction. Returns the ids written.
	 */
	replaceSealed(batch: Resealed[], event: (ids: string[]) => AuditEvent): Promise<string[]>;
	/** Records not yet erased, per key id (expired ones included: their keys are needed until erased). */
	countByKeyId(): Promise<Record<string, number>>;
	/**
	 * Live records sealed under one of `keyIds` whose masks are older than MASK_VERSION, in id order
	 * after `after`, for the re-mask job. Expired ones are left to the retention job, as for re-wrapping.
	 */
	staleMasks(keyIds: string[], after: string, limit: number): Promise<SealedRow[]>;
	/**
	 * Writes recomputed masks at MASK_VERSION, each only if the record still holds the envelope read
	 * (an erasure or a re-wrap in between wins; the next run reads it again). Returns the ids written.
	 */
	replaceMasks(batch: Remasked[]): Promise<string[]>;
}

/** A record as stored: the one declaration of its columns (the row MAC's content Picks its assignment from it). */
export interface RecordRow {
	id: string;
	shipment_id: string;
	party: Party;
	depot: string;
	courier: string | null;
	courier_issuer: string | null;
	key_id: string | null;
	wrapped_key: string | null;
	name_ct: string | null;
	phone_ct: string | null;
	address_ct: string | null;
	masked_name: string | null;
	masked_phone: string | null;
	masked_address: string | null;
	created_by: string;
	created_at: number;
	updated_at: number;
	erased_at: number | null;
	expires_at: number | null;
	mac: string | null;
	mac_key: string | null;
}

const COLUMNS =
	"id, shipment_id, party, depot, courier, courier_issuer, key_id, wrapped_key, name_ct, phone_ct, address_ct, masked_name, masked_phone, masked_address, created_by, created_at, updated_at, erased_at, expires_at, mac, mac_key";

/** The columns, and whether `honeytokens` lists the record: its MAC covers that bit. */
const READ = `${COLUMNS}, EXISTS (SELECT 1 FROM honeytokens WHERE record_id = records.id) AS honeytoken`;

/** SQL: the record is neither erased nor expired at the given parameter (ms). */
const liveAt = (nowParam: string) => `erased_at IS NULL AND (expires_at IS NULL OR expires_at > ${nowParam})`;

/** Crypto-shredding: the wrapped data key, every ciphertext, the blind index and masks go at once. */
const SHRED = `key_id = NULL, wrapped_key = NULL, name_ct = NULL, phone_ct = NULL, address_ct = NULL, phone_index = NULL,
	masked_name = NULL, masked_phone = NULL, masked_address = NULL`;

/** Records per INSERT … SELECT FROM json_each(?): one bound parameter however many rows. */
const ROWS_PER_STATEMENT = 100;

/**
 * A row as callers see it at `now`. An expired record the retention job has not reached yet reads
 * exactly as an erased one (no envelope, no masks), so no route or reveal can tell the difference.
 */
function fromRow(row: RecordRow, now: number, storedIssuer: (issuer: string | null) => string): StoredRecord {
	const expired = row.erased_at === null && row.expires_at !== null && row.expires_at <= now;
	const live = row.erased_at === null && !expired && row.key_id !== null && row.wrapped_key !== null;
	return {
		id: row.id,
		shipmentId: row.shipment_id,
		party: row.party,
		depot: row.depot,
		courier: row.courier,
		courierIssuer: row.courier === null ? null : storedIssuer(row.courier_issuer),
		sealed: live
			? {
					keyId: row.key_id as string,
					wrappedKey: row.wrapped_key as string,
					ciphertext: { name: row.name_ct, phone: row.phone_ct, address: row.address_ct } as Record<ContactField, string>,
				}
			: null,
		masked: live ? ({ name: row.masked_name, phone: row.masked_phone, address: row.masked_address } as MaskedContact) : null,
		createdBy: row.created_by,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		erasedAt: expired ? row.expires_at : row.erased_at,
		expiresAt: row.expires_at,
	};
}

/** A live row's envelope as the re-wrap and re-mask jobs read it (their queries select live rows only). */
function sealedRow(row: Pick<RecordRow, "id" | "key_id" | "wrapped_key" | "name_ct" | "phone_ct" | "address_ct">): SealedRow {
	return {
		id: row.id,
		sealed: {
			keyId: row.key_id as string,
			wrappedKey: row.wrapped_key as string,
			ciphertext: { name: row.name_ct, phone: row.phone_ct, address: row.address_ct } as Record<ContactField, string>,
		},
	};
}

/** The columns one envelope and its blind index are written to. */
function envelopeColumns(sealed: SealedContact, phoneIndex: string) {
	return {
		key_id: sealed.keyId,
		wrapped_key: sealed.wrappedKey,
		name_ct: sealed.ciphertext.name,
		phone_ct: sealed.ciphertext.phone,
		address_ct: sealed.ciphertext.address,
		phone_index: phoneIndex,
	};
}

function toJsonRow(record: NewRecord, seal: { mac: string | null; mac_key: string | null }): Record<string, unknown> {
	return {
		...seal,
		id: record.id,
		shipment_id: record.shipmentId,
		party: record.party,
		depot: record.depot,
		courier: record.courier,
		courier_issuer: record.courier === null ? null : record.courierIssuer,
		...envelopeColumns(record.sealed, record.phoneIndex),
		masked_name: record.masked.name,
		masked_phone: record.masked.phone,
		masked_address: record.masked.address,
		created_by: record.createdBy,
		created_at: record.createdAt,
		expires_at: record.expiresAt,
	};
}

/**
 * Rows come as one JSON array, bound once (D1 allows 100 parameters per statement). json_each's
 * `value` column renders its object back to JSON text at every reference, 22 of them per row here,
 * so the rows are read once into a materialized CTE (plain, SQLite would flatten it back into the
 * SELECT); in SQLite 3.51 that takes a 1,000-row insert from about 24 ms to 9 ms.
 */
const INSERT_FROM_JSON = `WITH incoming AS MATERIALIZED (SELECT value AS item FROM json_each(?1))
INSERT INTO records (id, shipment_id, party, depot, courier, courier_issuer, key_id, wrapped_key, name_ct, phone_ct, address_ct, phone_index, masked_name, masked_phone, masked_address, created_by, created_at, updated_at, expires_at, mask_version, mac, mac_key)
SELECT item ->> '$.id', item ->> '$.shipment_id', item ->> '$.party', item ->> '$.depot', item ->> '$.courier', item ->> '$.courier_issuer', item ->> '$.key_id', item ->> '$.wrapped_key',
       item ->> '$.name_ct', item ->> '$.phone_ct', item ->> '$.address_ct', item ->> '$.phone_index', item ->> '$.masked_name', item ->> '$.masked_phone',
       item ->> '$.masked_address', item ->> '$.created_by', item ->> '$.created_at', item ->> '$.created_at', item ->> '$.expires_at', ${MASK_VERSION},
       item ->> '$.mac', item ->> '$.mac_key'
FROM incoming`;

export class D1RecordStore implements RecordStore {
	constructor(
		private readonly db: D1Database,
		private readonly audit: AuditLog,
		/** What a stored courier issuer means ('' is the employee issuer: see IssuerDirectory.stored). */
		private readonly storedIssuer: (issuer: string | null) => string,
		/** What "now" is for expiry: an expired record reads as erased. */
		private readonly clock: () => number = Date.now,
		/** MACs of assignments (src/integrity/): written with every assignment, checked on every read that grants. */
		private readonly trust: RowTrust | null = null,
	) {}

	/** The MAC of a record's assignment as it will be stored. */
	private async seal(row: AssignmentColumns & { honeytoken: boolean }): Promise<{ mac: string | null; mac_key: string | null }> {
		return this.trust ? this.trust.seal("records", recordContent(row)) : { mac: null, mac_key: null };
	}

	private sealNew(record: NewRecord) {
		return this.seal({
			id: record.id,
			shipment_id: record.shipmentId,
			party: record.party,
			depot: record.depot,
			courier: record.courier,
			courier_issuer: record.courierIssuer,
			honeytoken: record.honeytoken === true,
		});
	}

	/**
	 * A row as it may be used: an assignment whose MAC fails reads as assigned to nobody (no depot,
	 * no courier, flagged), and the honeytoken bit is what the MAC says. Over columns already read:
	 * an HMAC, no round trip.
	 */
	private async trusted(row: RecordRow & { honeytoken: number }, now: (honeytoken: boolean) => number): Promise<{ record: StoredRecord; honeytoken: boolean }> {
		const listed = row.honeytoken === 1;
		if (!this.trust) return { record: fromRow(row, now(listed), this.storedIssuer), honeytoken: listed };
		const courierIssuer = row.courier === null ? null : this.storedIssuer(row.courier_issuer);
		const trust = await this.trust.assignment({ ...row, courier_issuer: courierIssuer }, listed);
		const record = fromRow(row, now(trust.honeytoken), this.storedIssuer);
		if (!trust.forged) return { record, honeytoken: trust.honeytoken };
		return { record: { ...record, depot: "", courier: null, courierIssuer: null, assignmentForged: true }, honeytoken: trust.honeytoken };
	}

	async insert(records: NewRecord[], companions: Companion[], events: AuditEvent[]): Promise<InsertOutcome> {
		const statements = [...companions];
		const seals = await Promise.all(records.map((record) => this.sealNew(record)));
		for (let i = 0; i < records.length; i += ROWS_PER_STATEMENT) {
			const chunk = records
				.slice(i, i + ROWS_PER_STATEMENT)
				.map((record, j) => toJsonRow(record, seals[i + j] as { mac: string | null; mac_key: string | null }));
			statements.push(this.db.prepare(INSERT_FROM_JSON).bind(JSON.stringify(chunk)));
		}
		try {
			// One D1 batch is one SQL transaction: a failure anywhere writes nothing, audit included.
			if (events.length === 1) await this.audit.appendWith(events[0] as AuditEvent, statements);
			else await this.audit.appendAllWith(events, statements);
			return "inserted";
		} catch (error) {
			if (error instanceof UniqueConstraintError) return error.table === "records" ? "duplicate_record" : "companion_conflict";
			throw error;
		}
	}

	async get(id: string): Promise<StoredRecord | null> {
		const row = await this.db.prepare(`SELECT ${READ} FROM records WHERE id = ?1`).bind(id).first<RecordRow & { honeytoken: number }>();
		const now = this.clock();
		return row ? (await this.trusted(row, () => now)).record : null;
	}

	async getForAsk(id: string): Promise<{ record: StoredRecord | null; honeytoken: boolean; legs: Leg[] }> {
		// Legs by the PRIMARY KEY (shipment_id, n) prefix; json_group_array folds them into one column.
		const row = await this.db
			.prepare(
				`SELECT ${READ},
				   (SELECT json_group_array(${LEG_JSON_OBJECT}) FROM legs AS l WHERE l.shipment_id = records.shipment_id) AS legs
				 FROM records WHERE id = ?1`,
			)
			.bind(id)
			.first<RecordRow & { honeytoken: number; legs: string }>();
		if (!row) return { record: null, honeytoken: false, legs: [] };
		// A trap never expires for the ask: an expired honeytoken still suspends whoever asks for it,
		// even if the retention job has not moved its expiry forward yet.
		// A leg whose MAC fails (opened or moved with SQL) is left out, as if it were not there, and reported: one HMAC per leg, no round trip.
		const read = (JSON.parse(row.legs) as LegRow[]).map((leg) => ({
			...leg,
			courier_issuer: leg.courier === null ? null : this.storedIssuer(leg.courier_issuer),
		}));
		const admitted = this.trust ? await this.trust.legs(read.map((leg) => ({ ...leg, mac: leg.mac ?? null, mac_key: leg.mac_key ?? null }))) : read;
		const legs = admitted.map((leg) => legFromRow(leg, this.storedIssuer)).sort((a, b) => a.n - b.n);
		const now = this.clock();
		return { ...(await this.trusted(row, (honeytoken) => (honeytoken ? Number.NEGATIVE_INFINITY : now))), legs };
	}

	async findByPhoneIndex(candidates: string[], limit: number): Promise<StoredRecord[]> {
		const now = this.clock();
		const placeholders = candidates.map((_, i) => `?${i + 3}`).join(", ");
		const { results } = await this.db
			.prepare(`SELECT ${COLUMNS} FROM records WHERE phone_index IN (${placeholders}) AND ${liveAt("?2")} ORDER BY id LIMIT ?1`)
			.bind(limit, now, ...candidates)
			.all<RecordRow>();
		return results.map((row) => fromRow(row, now, this.storedIssuer));
	}

	async findByShipment(shipmentId: string): Promise<{ records: StoredRecord[]; legs: Leg[] }> {
		const now = this.clock();
		// Legs by the PRIMARY KEY (shipment_id, n) prefix, folded into one column of each row (a shipment has a row per party).
		const { results } = await this.db
			.prepare(
				`SELECT ${READ},
				   (SELECT json_group_array(${LEG_JSON_OBJECT}) FROM legs AS l WHERE l.shipment_id = records.shipment_id) AS legs
				 FROM records WHERE shipment_id = ?1 AND ${liveAt("?2")} ORDER BY party`,
			)
			.bind(shipmentId, now)
			.all<RecordRow & { honeytoken: number; legs: string }>();
		const legs = results[0] ? (JSON.parse(results[0].legs) as LegRow[]).map((leg) => legFromRow(leg, this.storedIssuer)).sort((a, b) => a.n - b.n) : [];
		const records = await Promise.all(results.map(async (row) => (await this.trusted(row, () => now)).record));
		return { records, legs };
	}

	/**
	 * The new assignment is MACed as it will be stored, so the row is read first and written only if
	 * it still holds what was read (compare-and-set; a concurrent change makes this read again). The
	 * honeytoken bit is carried over as the old MAC says. A depot or courier the change leaves out is
	 * carried over as read: ops repair a reported forged assignment by naming both.
	 */
	async reassign(id: string, change: Reassignment, event: AuditEvent): Promise<StoredRecord | null> {
		for (let attempt = 0; attempt < 3; attempt++) {
			const current = await this.db
				.prepare(`SELECT ${READ} FROM records WHERE id = ?1 AND ${liveAt("?2")}`)
				.bind(id, event.at)
				.first<RecordRow & { honeytoken: number }>();
			if (!current) return null;
			const listed = current.honeytoken === 1;
			const courierIssuer = current.courier === null ? null : this.storedIssuer(current.courier_issuer);
			const honeytoken = this.trust ? (await this.trust.assignment({ ...current, courier_issuer: courierIssuer }, listed)).honeytoken : listed;
			const next = {
				depot: change.depot ?? current.depot,
				courier: change.courier !== undefined ? (change.courier?.subject ?? null) : current.courier,
				courier_issuer: change.courier !== undefined ? (change.courier?.issuer ?? null) : current.courier_issuer,
			};
			const seal = await this.seal({ id, shipment_id: current.shipment_id, party: current.party, ...next, honeytoken });
			const update = this.db
				.prepare(
					`UPDATE records SET depot = ?2, courier = ?3, courier_issuer = ?4, updated_at = ?5, mac = ?6, mac_key = ?7
					 WHERE id = ?1 AND ${liveAt("?5")} AND depot = ?8 AND courier IS ?9 AND courier_issuer IS ?10 AND mac IS ?11 RETURNING ${COLUMNS}`,
				)
				.bind(
					id,
					next.depot,
					next.courier,
					next.courier_issuer,
					event.at,
					seal.mac,
					seal.mac_key,
					current.depot,
					current.courier,
					current.courier_issuer,
					current.mac,
				);
			const { results } = await this.audit.appendWith(event, [update], { onlyIfChanged: true });
			const row = results[0]?.results[0] as RecordRow | undefined;
			if (row) return fromRow(row, event.at, this.storedIssuer);
		}
		return null;
	}

	/** Crypto-shredding of one record (an expired one too: erasing it now is what its expiry promised). */
	async erase(id: string, event: AuditEvent): Promise<"erased" | "already_erased" | "not_found"> {
		const shred = this.db.prepare(`UPDATE records SET ${SHRED}, erased_at = ?2, updated_at = ?2 WHERE id = ?1 AND erased_at IS NULL`).bind(id, event.at);
		const { seq } = await this.audit.appendWith(event, [shred], { onlyIfChanged: true });
		if (seq !== null) return "erased";
		const exists = await this.db.prepare("SELECT 1 FROM records WHERE id = ?1").bind(id).first();
		return exists ? "already_erased" : "not_found";
	}

	async unerasedIdsByPhoneIndex(candidates: string[], limit: number): Promise<string[]> {
		const placeholders = candidates.map((_, i) => `?${i + 2}`).join(", ");
		const { results } = await this.db
			.prepare(`SELECT id FROM records WHERE phone_index IN (${placeholders}) AND erased_at IS NULL ORDER BY id LIMIT ?1`)
			.bind(limit, ...candidates)
			.all<{ id: string }>();
		return results.map((row) => row.id);
	}

	async unerasedIdsByShipment(shipmentId: string): Promise<string[]> {
		const { results } = await this.db
			.prepare("SELECT id FROM records WHERE shipment_id = ?1 AND erased_at IS NULL ORDER BY id")
			.bind(shipmentId)
			.all<{ id: string }>();
		return results.map((row) => row.id);
	}

	async eraseMany(ids: string[], event: (erased: string[]) => AuditEvent): Promise<ErasedBatch> {
		if (ids.length === 0) return { ids: [], seq: null };
		// The entry names the ids still unerased at this read; the update re-checks in its own
		// transaction, and the entry is written only if the update changed something.
		const { results } = await this.db
			.prepare("SELECT id FROM records WHERE id IN (SELECT value FROM json_each(?1)) AND erased_at IS NULL ORDER BY id")
			.bind(JSON.stringify(ids))
			.all<{ id: string }>();
		const pending = results.map((row) => row.id);
		if (pending.length === 0) return { ids: [], seq: null };
		const entry = event(pending);
		const shred = this.db
			.prepare(`UPDATE records SET ${SHRED}, erased_at = ?2, updated_at = ?2 WHERE id IN (SELECT value FROM json_each(?1)) AND erased_at IS NULL RETURNING id`)
			.bind(JSON.stringify(pending), entry.at);
		const { results: written, seq } = await this.audit.appendWith(entry, [shred], { onlyIfChanged: true });
		const erased = ((written[0]?.results ?? []) as { id: string }[]).map((row) => row.id).sort();
		if (erased.length !== pending.length) {
			// Erased by another call between the read and the write: the entry then names a record that
			// was erased anyway (by its own audited call), never one that was not.
			console.warn(JSON.stringify({ event: "erase_batch_raced", expected: pending.length, erased: erased.length, seq }));
		}
		return { ids: erased, seq };
	}

	async expiredIds(now: number, limit: number): Promise<string[]> {
		const { results } = await this.db
			.prepare(
				`SELECT id FROM records WHERE erased_at IS NULL AND expires_at <= ?1 AND id NOT IN (SELECT record_id FROM honeytokens)
				 ORDER BY expires_at, id LIMIT ?2`,
			)
			.bind(now, limit)
			.all<{ id: string }>();
		return results.map((row) => row.id);
	}

	async expiredHoneytokens(now: number, limit: number): Promise<(StoredRecord & { sealed: SealedContact })[]> {
		const { results } = await this.db
			.prepare(
				`SELECT ${COLUMNS} FROM records WHERE erased_at IS NULL AND expires_at <= ?1 AND id IN (SELECT record_id FROM honeytokens)
				 ORDER BY expires_at, id LIMIT ?2`,
			)
			.bind(now, limit)
			.all<RecordRow>();
		// Read as live whatever their expiry: the renewal needs the envelope.
		return results.map((row) => fromRow(row, Number.NEGATIVE_INFINITY, this.storedIssuer)).filter((record) => record.sealed !== null) as (StoredRecord & {
			sealed: SealedContact;
		})[];
	}

	async replace(previousId: string, replacement: NewRecord, companions: Companion[], event: AuditEvent): Promise<boolean> {
		const shred = this.db
			.prepare(`UPDATE records SET ${SHRED}, erased_at = ?2, updated_at = ?2 WHERE id = ?1 AND erased_at IS NULL`)
			.bind(previousId, event.at);
		// Written only if this transaction erased the previous record (erased_at is this event's time).
		const insert = this.db
			.prepare(`${INSERT_FROM_JSON} WHERE EXISTS (SELECT 1 FROM records WHERE id = ?2 AND erased_at = ?3)`)
			.bind(JSON.stringify([toJsonRow(replacement, await this.sealNew(replacement))]), previousId, event.at);
		const { seq } = await this.audit.appendWith(event, [shred, insert, ...companions], { onlyIfChanged: true });
		return seq !== null;
	}

	async recordCourierIssuer(employeeIssuer: string, limit: number): Promise<number> {
		const result = await this.db
			.prepare("UPDATE records SET courier_issuer = ?1 WHERE id IN (SELECT id FROM records WHERE courier_issuer = '' LIMIT ?2)")
			.bind(employeeIssuer, limit)
			.run();
		return result.meta.changes;
	}

	async sealedUnder(keyIds: string[], after: string, limit: number): Promise<SealedRow[]> {
		if (keyIds.length === 0) return [];
		const { results } = await this.db
			.prepare(
				`SELECT id, key_id, wrapped_key, name_ct, phone_ct, address_ct FROM records
				 WHERE key_id IN (SELECT value FROM json_each(?1)) AND ${liveAt("?4")} AND id > ?3 ORDER BY id LIMIT ?2`,
			)
			.bind(JSON.stringify(keyIds), limit, after, this.clock())
			.all<Pick<RecordRow, "id" | "key_id" | "wrapped_key" | "name_ct" | "phone_ct" | "address_ct">>();
		return results.map(sealedRow);
	}

	async replaceSealed(batch: Resealed[], event: (ids: string[]) => AuditEvent): Promise<string[]> {
		if (batch.length === 0) return [];
		const rows = batch.map((record) => ({
			id: record.id,
			old_key_id: record.previous.keyId,
			old_wrapped_key: record.previous.wrappedKey,
			...envelopeColumns(record.sealed, record.phoneIndex),
		}));
		// Compare-and-set on the envelope read: an erasure in between leaves wrapped_key NULL and the
		// row unmatched, so a re-wrap can never bring erased data back.
		const update = this.db
			.prepare(
				`WITH incoming AS MATERIALIZED (SELECT value AS item FROM json_each(?1))
				 UPDATE records SET key_id = r.item ->> '$.key_id', wrapped_key = r.item ->> '$.wrapped_key', name_ct = r.item ->> '$.name_ct',
				   phone_ct = r.item ->> '$.phone_ct', address_ct = r.item ->> '$.address_ct', phone_index = r.item ->> '$.phone_index'
				 FROM incoming AS r
				 WHERE records.id = r.item ->> '$.id' AND records.key_id = r.item ->> '$.old_key_id'
				   AND records.wrapped_key = r.item ->> '$.old_wrapped_key' AND records.erased_at IS NULL
				 RETURNING records.id`,
			)
			.bind(JSON.stringify(rows));
		const entry = event(batch.map((record) => record.id));
		const { results } = await this.audit.appendWith(entry, [update], { onlyIfChanged: true });
		return ((results[0]?.results ?? []) as { id: string }[]).map((row) => row.id).sort();
	}

	async assignMissingExpiry(defaultMs: number): Promise<number> {
		const result = await this.db
			.prepare("UPDATE records SET expires_at = created_at + ?1 WHERE expires_at IS NULL AND erased_at IS NULL")
			.bind(defaultMs)
			.run();
		return result.meta.changes;
	}

	async countByKeyId(): Promise<Record<string, number>> {
		const { results } = await this.db
			.prepare("SELECT key_id, COUNT(*) AS records FROM records WHERE key_id IS NOT NULL AND erased_at IS NULL GROUP BY key_id ORDER BY key_id")
			.all<{ key_id: string; records: number }>();
		return Object.fromEntries(results.map((row) => [row.key_id, row.records]));
	}

	async staleMasks(keyIds: string[], after: string, limit: number): Promise<SealedRow[]> {
		if (keyIds.length === 0) return [];
		// Held to the partial index (only stale live rows) by INDEXED BY, which fails the statement if the
		// index cannot serve it (a MASK_VERSION without its migration) rather than reading every record.
		const { results } = await this.db
			.prepare(
				`SELECT id, key_id, wrapped_key, name_ct, phone_ct, address_ct FROM records INDEXED BY records_mask_stale
				 WHERE mask_version < ${MASK_VERSION} AND ${liveAt("?4")} AND id > ?3 AND key_id IN (SELECT value FROM json_each(?1)) ORDER BY id LIMIT ?2`,
			)
			.bind(JSON.stringify(keyIds), limit, after, this.clock())
			.all<Pick<RecordRow, "id" | "key_id" | "wrapped_key" | "name_ct" | "phone_ct" | "address_ct">>();
		return results.map(sealedRow);
	}

	async replaceMasks(batch: Remasked[]): Promise<string[]> {
		if (batch.length === 0) return [];
		const rows = batch.map((record) => ({
			id: record.id,
			old_wrapped_key: record.previous.wrappedKey,
			masked_name: record.masked.name,
			masked_phone: record.masked.phone,
			masked_address: record.masked.address,
		}));
		// Compare-and-set on the wrapped key read: the masks land only on the plaintext they came from,
		// and never on an erased record (its wrapped_key is NULL).
		const { results } = await this.db
			.prepare(
				`WITH incoming AS MATERIALIZED (SELECT value AS item FROM json_each(?1))
				 UPDATE records SET masked_name = r.item ->> '$.masked_name', masked_phone = r.item ->> '$.masked_phone',
				   masked_address = r.item ->> '$.masked_address', mask_version = ${MASK_VERSION}
				 FROM incoming AS r
				 WHERE records.id = r.item ->> '$.id' AND records.wrapped_key = r.item ->> '$.old_wrapped_key' AND records.erased_at IS NULL
				 RETURNING records.id`,
			)
			.bind(JSON.stringify(rows))
			.all<{ id: string }>();
		return results.map((row) => row.id).sort();
	}
}

/** A record's masks recomputed from its plaintext by the re-mask job. */
export interface Remasked {
	id: string;
	/** The envelope read, which must still be the stored one for the write to land. */
	previous: SealedContact;
	masked: MaskedContact;
}
