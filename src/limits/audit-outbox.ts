import type { AuditEvent } from "../audit/entry";

/**
 * How long after a commit an object flushes its outbox to D1 (at once when it holds many, or an
 * alert or a suspension waits). Each flush is a D1 write transaction, a call to the depot's
 * ledger and an alarm: a principal who asks again within the delay shares one flush with it.
 */
export const OUTBOX_FLUSH_DELAY_MS = 2_000;

interface OutboxRow extends Record<string, SqlStorageValue> {
	entry_id: string;
	event: string;
}

/**
 * Audit entries a principal's limiter object has committed in its own storage and not yet written
 * to the D1 audit log: the object writes them in the same transaction as the state they record, and
 * its alarm flushes them, in order, with their ids (so a retried flush writes none twice). If D1 is
 * down they wait here; nothing is lost. The one store of the object's SQL tables.
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
	oldest(limit: number): { entryId: string; event: AuditEvent }[] {
		return this.sql
			.exec<OutboxRow>("SELECT entry_id, event FROM audit_outbox ORDER BY ord LIMIT ?", limit)
			.toArray()
			.map((row) => ({ entryId: row.entry_id, event: JSON.parse(row.event) as AuditEvent }));
	}

	/** The flush landed: these entries are in D1. */
	remove(entryIds: readonly string[]): void {
		if (entryIds.length === 0) return;
		this.sql.exec("DELETE FROM audit_outbox WHERE entry_id IN (SELECT value FROM json_each(?))", JSON.stringify(entryIds));
		this.count = null;
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
