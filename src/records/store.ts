import type { AuditEvent } from "../audit/entry";
import type { AuditLog } from "../audit/log";
import type { ContactField, SealedContact } from "../crypto/envelope";
import type { MaskedContact } from "./masking";

export type Party = "sender" | "recipient";

/** A record as it is written: sealed contact, blind index and masked view, never plaintext. */
export interface NewRecord {
	id: string;
	shipmentId: string;
	party: Party;
	depot: string;
	courier: string | null;
	sealed: SealedContact;
	phoneIndex: string;
	masked: MaskedContact;
	createdBy: string;
	createdAt: number;
}

export interface StoredRecord {
	id: string;
	shipmentId: string;
	party: Party;
	depot: string;
	courier: string | null;
	/** Null once erased: the data key and ciphertext are gone. */
	sealed: SealedContact | null;
	masked: MaskedContact | null;
	createdBy: string;
	createdAt: number;
	updatedAt: number;
	erasedAt: number | null;
}

export interface Reassignment {
	depot?: string;
	/** null unassigns; undefined leaves the courier as it is. */
	courier?: string | null;
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
	/** The record and whether it is a planted honeytoken, in one read (the reveal ask's path). */
	getWithHoneytokenFlag(id: string): Promise<{ record: StoredRecord | null; honeytoken: boolean }>;
	findByPhoneIndex(candidates: string[], limit: number): Promise<StoredRecord[]>;
	findByShipment(shipmentId: string): Promise<StoredRecord[]>;
	reassign(id: string, change: Reassignment, event: AuditEvent): Promise<StoredRecord | null>;
	erase(id: string, event: AuditEvent): Promise<"erased" | "already_erased" | "not_found">;
}

interface RecordRow {
	id: string;
	shipment_id: string;
	party: Party;
	depot: string;
	courier: string | null;
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
}

const COLUMNS =
	"id, shipment_id, party, depot, courier, key_id, wrapped_key, name_ct, phone_ct, address_ct, masked_name, masked_phone, masked_address, created_by, created_at, updated_at, erased_at";

/** Records per INSERT … SELECT FROM json_each(?): one bound parameter however many rows. */
const ROWS_PER_STATEMENT = 100;

function fromRow(row: RecordRow): StoredRecord {
	const live = row.erased_at === null && row.key_id !== null && row.wrapped_key !== null;
	return {
		id: row.id,
		shipmentId: row.shipment_id,
		party: row.party,
		depot: row.depot,
		courier: row.courier,
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
		erasedAt: row.erased_at,
	};
}

function toJsonRow(record: NewRecord): Record<string, unknown> {
	return {
		id: record.id,
		shipment_id: record.shipmentId,
		party: record.party,
		depot: record.depot,
		courier: record.courier,
		key_id: record.sealed.keyId,
		wrapped_key: record.sealed.wrappedKey,
		name_ct: record.sealed.ciphertext.name,
		phone_ct: record.sealed.ciphertext.phone,
		address_ct: record.sealed.ciphertext.address,
		phone_index: record.phoneIndex,
		masked_name: record.masked.name,
		masked_phone: record.masked.phone,
		masked_address: record.masked.address,
		created_by: record.createdBy,
		created_at: record.createdAt,
	};
}

const INSERT_FROM_JSON = `INSERT INTO records (id, shipment_id, party, depot, courier, key_id, wrapped_key, name_ct, phone_ct, address_ct, phone_index, masked_name, masked_phone, masked_address, created_by, created_at, updated_at)
SELECT value ->> '$.id', value ->> '$.shipment_id', value ->> '$.party', value ->> '$.depot', value ->> '$.courier', value ->> '$.key_id', value ->> '$.wrapped_key',
       value ->> '$.name_ct', value ->> '$.phone_ct', value ->> '$.address_ct', value ->> '$.phone_index', value ->> '$.masked_name', value ->> '$.masked_phone',
       value ->> '$.masked_address', value ->> '$.created_by', value ->> '$.created_at', value ->> '$.created_at'
FROM json_each(?1)`;

export class D1RecordStore implements RecordStore {
	constructor(
		private readonly db: D1Database,
		private readonly audit: AuditLog,
	) {}

	async insert(records: NewRecord[], companions: Companion[], events: AuditEvent[]): Promise<InsertOutcome> {
		const statements = [...companions];
		for (let i = 0; i < records.length; i += ROWS_PER_STATEMENT) {
			const chunk = records.slice(i, i + ROWS_PER_STATEMENT).map(toJsonRow);
			statements.push(this.db.prepare(INSERT_FROM_JSON).bind(JSON.stringify(chunk)));
		}
		try {
			// One D1 batch is one SQL transaction: a failure anywhere writes nothing, audit included.
			if (events.length === 1) await this.audit.appendWith(events[0] as AuditEvent, statements);
			else await this.audit.appendAllWith(events, statements);
			return "inserted";
		} catch (error) {
			const message = error instanceof Error ? error.message : "";
			if (message.includes("UNIQUE constraint failed: records.")) return "duplicate_record";
			if (message.includes("UNIQUE constraint failed")) return "companion_conflict";
			throw error;
		}
	}

	async get(id: string): Promise<StoredRecord | null> {
		const row = await this.db.prepare(`SELECT ${COLUMNS} FROM records WHERE id = ?1`).bind(id).first<RecordRow>();
		return row ? fromRow(row) : null;
	}

	async getWithHoneytokenFlag(id: string): Promise<{ record: StoredRecord | null; honeytoken: boolean }> {
		const row = await this.db
			.prepare(`SELECT ${COLUMNS}, EXISTS (SELECT 1 FROM honeytokens WHERE record_id = ?1) AS honeytoken FROM records WHERE id = ?1`)
			.bind(id)
			.first<RecordRow & { honeytoken: number }>();
		return row ? { record: fromRow(row), honeytoken: row.honeytoken === 1 } : { record: null, honeytoken: false };
	}

	async findByPhoneIndex(candidates: string[], limit: number): Promise<StoredRecord[]> {
		const placeholders = candidates.map((_, i) => `?${i + 2}`).join(", ");
		const { results } = await this.db
			.prepare(`SELECT ${COLUMNS} FROM records WHERE phone_index IN (${placeholders}) ORDER BY id LIMIT ?1`)
			.bind(limit, ...candidates)
			.all<RecordRow>();
		return results.map(fromRow);
	}

	async findByShipment(shipmentId: string): Promise<StoredRecord[]> {
		const { results } = await this.db
			.prepare(`SELECT ${COLUMNS} FROM records WHERE shipment_id = ?1 AND erased_at IS NULL ORDER BY party`)
			.bind(shipmentId)
			.all<RecordRow>();
		return results.map(fromRow);
	}

	async reassign(id: string, change: Reassignment, event: AuditEvent): Promise<StoredRecord | null> {
		const update = this.db
			.prepare(
				`UPDATE records SET depot = COALESCE(?2, depot), courier = CASE WHEN ?3 THEN ?4 ELSE courier END, updated_at = ?5
				 WHERE id = ?1 AND erased_at IS NULL RETURNING ${COLUMNS}`,
			)
			.bind(id, change.depot ?? null, change.courier !== undefined ? 1 : 0, change.courier ?? null, event.at);
		const { results } = await this.audit.appendWith(event, [update], { onlyIfChanged: true });
		const row = results[0]?.results[0] as RecordRow | undefined;
		return row ? fromRow(row) : null;
	}

	/** Crypto-shredding: the wrapped data key, every ciphertext, the blind index and masks go at once. */
	async erase(id: string, event: AuditEvent): Promise<"erased" | "already_erased" | "not_found"> {
		const shred = this.db
			.prepare(
				`UPDATE records SET key_id = NULL, wrapped_key = NULL, name_ct = NULL, phone_ct = NULL, address_ct = NULL, phone_index = NULL,
				 masked_name = NULL, masked_phone = NULL, masked_address = NULL, erased_at = ?2, updated_at = ?2
				 WHERE id = ?1 AND erased_at IS NULL`,
			)
			.bind(id, event.at);
		const { seq } = await this.audit.appendWith(event, [shred], { onlyIfChanged: true });
		if (seq !== null) return "erased";
		const exists = await this.db.prepare("SELECT 1 FROM records WHERE id = ?1").bind(id).first();
		return exists ? "already_erased" : "not_found";
	}
}
