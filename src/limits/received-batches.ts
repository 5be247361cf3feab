/**
 * How long the ledger remembers a limiter it has not heard from. A limiter resends a batch whose
 * answer it lost, or that it had not yet taken off when its instance was lost, at its next flush:
 * its timer's within seconds, its alarm's until one goes through, and its alarm takes off what a
 * flush handed on. Only a batch left told and not taken off by an instance lost with no alarm
 * behind it, whose employee then revealed nothing for this long, could be counted twice, and it
 * would add its few reveals once to a day's tally.
 */
export const RECEIVED_BATCH_RETENTION_MS = 30 * 86_400_000;

/** How often the ledger forgets silent limiters: inside a relay's own transaction, at most this often. */
export const RECEIVED_BATCH_PRUNE_INTERVAL_MS = 3_600_000;

interface ReceivedRow extends Record<string, SqlStorageValue> {
	batch: number;
	reveals: number;
}

/** A row's `reveals` when it was written before the column: that batch counted whole, however it is resent. */
const COUNTED_WHOLE = -1;

/**
 * The last batch each limiter told a depot's ledger, and how many reveals of it were counted, so a
 * batch resent after a lost answer counts once. A limiter may also resend a batch it has added to:
 * it takes a told batch off in its next transaction rather than in a commit of its own (one durable
 * write fewer per flush), so an instance lost in between leaves the batch open, and the grants it
 * decides next join it. Those count; what was counted already does not. A row per limiter, written
 * when its batch counts: the map it replaces was rewritten whole on every relay and kept every
 * employee the depot ever had.
 */
export class ReceivedBatches {
	constructor(private readonly sql: SqlStorage) {
		sql.exec(
			`CREATE TABLE IF NOT EXISTS received_batches (source TEXT PRIMARY KEY, batch INTEGER NOT NULL, at INTEGER NOT NULL, reveals INTEGER NOT NULL DEFAULT ${COUNTED_WHOLE}) WITHOUT ROWID`,
		);
		// A table written before its batches' sizes were kept: their batches stay counted whole.
		const hasReveals = sql.exec<{ n: number }>("SELECT count(*) AS n FROM pragma_table_info('received_batches') WHERE name = 'reveals'").one().n;
		if (hasReveals === 0) sql.exec(`ALTER TABLE received_batches ADD COLUMN reveals INTEGER NOT NULL DEFAULT ${COUNTED_WHOLE}`);
	}

	/**
	 * Takes `reveals` of `batch` from `source`, and returns how many of them were not counted yet:
	 * all of a batch newer than the last one from there (batch numbers only grow), the increase of
	 * the same batch resent larger (a batch only grows until its limiter takes it off), none otherwise.
	 * Call inside a transaction.
	 */
	take(source: string, batch: number, reveals: number, now: number): number {
		const last = this.sql.exec<ReceivedRow>("SELECT batch, reveals FROM received_batches WHERE source = ?", source).toArray()[0];
		const counted = last === undefined || batch > last.batch ? 0 : batch === last.batch && last.reveals !== COUNTED_WHOLE ? last.reveals : reveals;
		const fresh = Math.max(0, reveals - counted);
		if (fresh === 0) return 0;
		this.sql.exec(
			`INSERT INTO received_batches (source, batch, at, reveals) VALUES (?1, ?2, ?3, ?4)
			 ON CONFLICT (source) DO UPDATE SET batch = excluded.batch, at = excluded.at, reveals = excluded.reveals`,
			source,
			batch,
			now,
			reveals,
		);
		return fresh;
	}

	/** The map a ledger kept before this table, taken in as of `now`; call inside a transaction. */
	adopt(received: Readonly<Record<string, number>>, now: number): void {
		for (const [source, batch] of Object.entries(received)) {
			this.sql.exec(
				`INSERT INTO received_batches (source, batch, at, reveals) VALUES (?1, ?2, ?3, ?4)
				 ON CONFLICT (source) DO UPDATE SET batch = excluded.batch, at = excluded.at, reveals = excluded.reveals WHERE excluded.batch > received_batches.batch`,
				source,
				batch,
				now,
				COUNTED_WHOLE,
			);
		}
	}

	/** Forgets the limiters last counted before `cutoff`. */
	forgetSilentSince(cutoff: number): void {
		this.sql.exec("DELETE FROM received_batches WHERE at < ?", cutoff);
	}
}
