import type { AuditEvent } from "../audit/entry";
import type { AuditLog } from "../audit/log";

/**
 * How long after a commit an object hands its outbox on (at once when it holds many, or an alert
 * or a suspension waits): an employee's to the depot's ledger, which writes D1 for all the depot's
 * people, anyone else's to D1. A principal's limiter flushes by a timer, with a durable alarm
 * standing behind it (FLUSH_BACKSTOP_MS); a principal who asks again within the delay shares one
 * flush with it.
 */
export const OUTBOX_FLUSH_DELAY_MS = 2_000;

/** An entry committed in an outbox, with the id that keeps it from landing twice. */
export interface OutboxEntry {
	entryId: string;
	event: AuditEvent;
}

interface OutboxRow extends Record<string, SqlStorageValue> {
	entry_id: string;
	event: string;
}

/**
 * Audit entries an object holds in its own storage until they are handed on, in order, with their
 * ids (so a retried hand-off lands none twice). A principal's limiter commits them in the same
 * transaction as the state they record and its flush hands them on; a depot's ledger holds a
 * hand-off in memory until D1 has it, and its table keeps only what it stored before it did. If
 * the next hop is down they wait here; nothing is lost. The store of the `audit_outbox` table, the
 * same in both objects.
 */
export class AuditOutbox {
	/** How many entries wait, as last counted and kept since; null: count again. */
	private count: number | null = null;

	constructor(private readonly sql: SqlStorage) {
		sql.exec("CREATE TABLE IF NOT EXISTS audit_outbox (ord INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL UNIQUE, event TEXT NOT NULL)");
	}

	/** Queues an entry; call inside the transaction that commits what it records. */
	add(event: AuditEvent, entryId: string = crypto.randomUUID()): string {
		this.sql.exec("INSERT INTO audit_outbox (entry_id, event) VALUES (?, ?)", entryId, JSON.stringify(event));
		if (this.count !== null) this.count += 1;
		return entryId;
	}

	/** The oldest `limit` entries, in the order they were committed. */
	oldest(limit: number): OutboxEntry[] {
		return this.sql
			.exec<OutboxRow>("SELECT entry_id, event FROM audit_outbox ORDER BY ord LIMIT ?", limit)
			.toArray()
			.map((row) => ({ entryId: row.entry_id, event: JSON.parse(row.event) as AuditEvent }));
	}

	/** The flush landed: these entries are in D1 (or with the next hop, which holds them until D1 has them). */
	remove(entryIds: readonly string[]): void {
		if (entryIds.length === 0) return;
		// The rows deleted, as RETURNING yields them (`rowsWritten` counts the entry_id index's too): the kept count stays known.
		const removed = this.sql
			.exec("DELETE FROM audit_outbox WHERE entry_id IN (SELECT value FROM json_each(?)) RETURNING ord", JSON.stringify(entryIds))
			.toArray().length;
		if (this.count !== null) this.count -= removed;
	}

	/** Asked after every decision (is a flush due, and how soon): counted once, then kept by `add` and `remove`. */
	size(): number {
		this.count ??= this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM audit_outbox").one().n;
		return this.count;
	}

	/** A transaction rolled back: the kept count may be off; count again. */
	forget(): void {
		this.count = null;
	}
}

/** Entries written to D1 per statement batch. */
export const FLUSH_BATCH = 100;

/**
 * Writes an outbox to the D1 audit log, oldest first, a batch at a time, each batch taken off in
 * `commit` (the object's transaction) once D1 has it; returns how many went. A failure throws with
 * the rest still waiting, and a batch D1 took but the object did not take off is written once
 * (the log skips ids it holds).
 */
export async function drainToLog(outbox: AuditOutbox, log: AuditLog, source: string, commit: (body: () => void) => void, now = Date.now()): Promise<number> {
	let flushed = 0;
	for (;;) {
		const batch = outbox.oldest(FLUSH_BATCH);
		if (batch.length === 0) return flushed;
		await log.appendOutbox(batch, source, now);
		commit(() => outbox.remove(batch.map((entry) => entry.entryId)));
		flushed += batch.length;
	}
}
