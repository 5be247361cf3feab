/**
 * Privacy-number bindings the vault made (migration 0012): the only SQL about calls. No phone
 * number is written here but the virtual number X the provider handed out.
 */
import type { AuditEvent } from "../audit/entry";
import type { AuditLog } from "../audit/log";
import { LEG_JSON_OBJECT } from "../shipments/leg-store";
import { classified } from "../storage/d1-errors";
import { callLegKey, type LiveCall } from "./call-policy";

export type EndReason = "ended_by_caller" | "ended_by_ops" | "leg_closed" | "expired" | "caller_suspended" | "record_erased";

export interface CallRow {
	id: string;
	record_id: string;
	shipment_id: string;
	purpose: string;
	leg_n: number | null;
	leg_opened_at: number | null;
	issuer: string;
	subject: string;
	provider: string;
	binding_id: string;
	virtual_number: string;
	created_at: number;
	expires_at: number;
	ended_at: number | null;
	end_reason: EndReason | null;
	end_requested_at: number | null;
	end_requested_reason: EndReason | null;
	unbind_attempts: number;
}

export type NewCall = Omit<CallRow, "ended_at" | "end_reason" | "end_requested_at" | "end_requested_reason" | "unbind_attempts">;

/** A live binding that must end now, and why. */
export interface DueCall extends Pick<CallRow, "id" | "record_id" | "provider" | "binding_id" | "virtual_number" | "expires_at" | "unbind_attempts"> {
	reason: EndReason;
}

const COLUMNS =
	"id, record_id, shipment_id, purpose, leg_n, leg_opened_at, issuer, subject, provider, binding_id, virtual_number, created_at, expires_at, ended_at, end_reason, end_requested_at, end_requested_reason, unbind_attempts";

/** SQL: the call's maker is suspended (principal_status, keyed by the pair). */
const SUSPENDED = "EXISTS (SELECT 1 FROM principal_status AS ps WHERE ps.issuer = c.issuer AND ps.subject = c.subject AND ps.status = 'suspended')";
/** SQL: the record called about is erased (or crypto-shredded by retention). */
const ERASED = "EXISTS (SELECT 1 FROM records AS r WHERE r.id = c.record_id AND r.erased_at IS NOT NULL)";

export class CallStore {
	constructor(
		private readonly db: D1Database,
		private readonly audit: AuditLog,
	) {}

	/** The principal's live bindings for a record (one per leg at most), for the double-tap check; those asked to end included, marked. */
	async live(issuer: string, subject: string, recordId: string, now: number): Promise<(LiveCall & { virtualNumber: string })[]> {
		const { results } = await classified(
			this.db
				.prepare(
					"SELECT id, leg_n, leg_opened_at, expires_at, virtual_number, end_requested_at FROM calls WHERE issuer = ?1 AND subject = ?2 AND record_id = ?3 AND ended_at IS NULL AND expires_at > ?4",
				)
				.bind(issuer, subject, recordId, now)
				.all<Pick<CallRow, "id" | "leg_n" | "leg_opened_at" | "expires_at" | "virtual_number" | "end_requested_at">>(),
		);
		return results.map((row) => ({
			id: row.id,
			legN: row.leg_n,
			legOpenedAt: row.leg_opened_at,
			expiresAt: row.expires_at,
			endRequested: row.end_requested_at !== null,
			virtualNumber: row.virtual_number,
		}));
	}

	/**
	 * The legs (callLegKey) of the bindings a person made on a record since `since`, ended ones
	 * included: a binding was made on them. Index calls_by_caller_record (migration 0023).
	 */
	async boundLegs(issuer: string, subject: string, recordId: string, since: number): Promise<string[]> {
		const { results } = await classified(
			this.db
				.prepare("SELECT DISTINCT leg_key FROM calls WHERE issuer = ?1 AND subject = ?2 AND record_id = ?3 AND created_at > ?4")
				.bind(issuer, subject, recordId, since)
				.all<{ leg_key: string }>(),
		);
		return results.map((row) => row.leg_key);
	}

	/**
	 * Records a new binding. A binding of the same person, record and leg that has expired is marked
	 * ended first (the provider has dropped it); a live one makes this fail with a
	 * UniqueConstraintError on calls: a racing tap's binding is already there.
	 */
	async insert(call: NewCall): Promise<void> {
		const key = callLegKey(call.leg_n, call.leg_opened_at);
		await classified(
			this.db.batch([
				this.db
					.prepare(
						`UPDATE calls SET ended_at = expires_at, end_reason = 'expired'
						 WHERE issuer = ?1 AND subject = ?2 AND record_id = ?3 AND leg_key = ?4 AND ended_at IS NULL AND expires_at <= ?5`,
					)
					.bind(call.issuer, call.subject, call.record_id, key, call.created_at),
				this.db
					.prepare(
						`INSERT INTO calls (id, record_id, shipment_id, purpose, leg_n, leg_opened_at, leg_key, issuer, subject, provider, binding_id, virtual_number, created_at, expires_at)
						 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)`,
					)
					.bind(
						call.id,
						call.record_id,
						call.shipment_id,
						call.purpose,
						call.leg_n,
						call.leg_opened_at,
						key,
						call.issuer,
						call.subject,
						call.provider,
						call.binding_id,
						call.virtual_number,
						call.created_at,
						call.expires_at,
					),
			]),
		);
	}

	async get(id: string): Promise<CallRow | null> {
		return classified(this.db.prepare(`SELECT ${COLUMNS} FROM calls WHERE id = ?1`).bind(id).first<CallRow>());
	}

	/**
	 * Live bindings that must end at `now`: an unbind asked for and not done yet, past their expiry
	 * (the provider dropped them), made by someone since suspended (as principal_status lists it,
	 * within seconds of the limiter's decision), about a record since erased, or outliving their
	 * leg (closed, cancelled, moved to someone else). A leg is open while close_after IS NULL or close_after > now (migration 0008), and it
	 * is the same leg only with the same number and opening time. `shipmentIds` narrows the search
	 * to shipments whose events just changed. Those never tried come first, so a few unbinds that
	 * keep failing cannot hold the others back (each is gone at its expiry, at most 2 hours on).
	 */
	async due(now: number, limit: number, shipmentIds?: readonly string[]): Promise<DueCall[]> {
		const narrowed = shipmentIds ? "AND c.shipment_id IN (SELECT value FROM json_each(?3))" : "";
		const statement = this.db.prepare(
			`SELECT c.id, c.record_id, c.provider, c.binding_id, c.virtual_number, c.expires_at, c.unbind_attempts,
			   CASE WHEN c.end_requested_at IS NOT NULL THEN c.end_requested_reason WHEN c.expires_at <= ?1 THEN 'expired'
			        WHEN ${SUSPENDED} THEN 'caller_suspended' WHEN ${ERASED} THEN 'record_erased' ELSE 'leg_closed' END AS reason
			 FROM calls AS c
			 WHERE c.ended_at IS NULL ${narrowed}
			   AND (c.end_requested_at IS NOT NULL OR c.expires_at <= ?1 OR ${SUSPENDED} OR ${ERASED}
			        OR (c.leg_n IS NOT NULL AND NOT EXISTS (
			              SELECT 1 FROM legs AS l WHERE l.shipment_id = c.shipment_id AND l.n = c.leg_n AND l.opened_at = c.leg_opened_at
			                AND (l.close_after IS NULL OR l.close_after > ?1))))
			 ORDER BY c.unbind_attempts, c.expires_at LIMIT ?2`,
		);
		const bound = shipmentIds ? statement.bind(now, limit, JSON.stringify(shipmentIds)) : statement.bind(now, limit);
		const { results } = await classified(bound.all<DueCall>());
		return results;
	}

	/**
	 * Live bindings whose leg is open by the SQL of `due` (not ended, not asked to end, not expired),
	 * each with that leg as stored, MAC included: the leg's MAC is checked in the rule layer (SQL
	 * cannot compute an HMAC), and a binding whose leg fails it is due as `leg_closed`, so a leg
	 * reopened or kept open with SQL keeps no call binding. Live bindings are few (each ends within
	 * two hours), so reading their legs back is cheap; at most `limit`, the oldest first.
	 */
	async heldOpenByLegs(now: number, limit: number, shipmentIds?: readonly string[]): Promise<(DueCall & { leg: string })[]> {
		const narrowed = shipmentIds ? "AND c.shipment_id IN (SELECT value FROM json_each(?3))" : "";
		const statement = this.db.prepare(
			`SELECT c.id, c.record_id, c.provider, c.binding_id, c.virtual_number, c.expires_at, c.unbind_attempts, 'leg_closed' AS reason, ${LEG_JSON_OBJECT} AS leg
			 FROM calls AS c JOIN legs AS l ON l.shipment_id = c.shipment_id AND l.n = c.leg_n AND l.opened_at = c.leg_opened_at
			 WHERE c.ended_at IS NULL AND c.end_requested_at IS NULL AND c.expires_at > ?1 ${narrowed}
			   AND (l.close_after IS NULL OR l.close_after > ?1)
			 ORDER BY c.created_at LIMIT ?2`,
		);
		const bound = shipmentIds ? statement.bind(now, limit, JSON.stringify(shipmentIds)) : statement.bind(now, limit);
		const { results } = await classified(bound.all<DueCall & { leg: string }>());
		return results;
	}

	/** Marks bindings ended, with the entry that records it, in one transaction; only those still live. Returns the entry's seq. */
	async end(ended: readonly { id: string; reason: EndReason }[], at: number, event: AuditEvent): Promise<number | null> {
		if (ended.length === 0) return null;
		const update = this.db
			.prepare(
				`WITH incoming AS MATERIALIZED (SELECT value AS item FROM json_each(?1))
				 UPDATE calls SET ended_at = ?2, end_reason = e.item ->> '$.reason'
				 FROM incoming AS e WHERE calls.id = e.item ->> '$.id' AND calls.ended_at IS NULL`,
			)
			.bind(JSON.stringify(ended), at);
		const { seq } = await classified(this.audit.appendWith(event, [update], { onlyIfChanged: true }));
		return seq;
	}

	/**
	 * An unbind that did not go through: asked for now (kept for the minute cron to retry), and
	 * counted. With `event`, the failure is audited in the same transaction.
	 */
	async unbindFailed(ids: readonly string[], reason: EndReason | null, at: number, event?: AuditEvent): Promise<void> {
		if (ids.length === 0) return;
		const update = this.db
			.prepare(
				`UPDATE calls SET unbind_attempts = unbind_attempts + 1,
				   end_requested_at = CASE WHEN ?2 IS NULL THEN end_requested_at ELSE COALESCE(end_requested_at, ?3) END,
				   end_requested_reason = CASE WHEN ?2 IS NULL THEN end_requested_reason ELSE COALESCE(end_requested_reason, ?2) END
				 WHERE id IN (SELECT value FROM json_each(?1)) AND ended_at IS NULL`,
			)
			.bind(JSON.stringify(ids), reason, at);
		if (event) await classified(this.audit.appendWith(event, [update]));
		else await classified(update.run());
	}
}
