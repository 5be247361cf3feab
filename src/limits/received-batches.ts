interface SourceRow extends Record<string, SqlStorageValue> {
	source: string;
}

/**
 * How long the ledger remembers a limiter it has not heard from. A limiter retries a batch whose
 * answer it lost at its next flush, and those retries (its timer's, then the platform's of its
 * alarm) end within minutes;
 * only a batch whose retries all failed and whose employee then revealed nothing for this long
 * could be counted twice, and it would add its few reveals once to a day's tally.
 */
export const RECEIVED_BATCH_RETENTION_MS = 30 * 86_400_000;

/** How often the ledger forgets silent limiters: inside a relay's own transaction, at most this often. */
export const RECEIVED_BATCH_PRUNE_INTERVAL_MS = 3_600_000;

/**
 * The last batch number a depot's ledger counted from each limiter, so a batch retried after a
 * lost answer counts once. A row per limiter, written when its batch counts: the map it replaces
 * was rewritten whole on every relay and kept every employee the depot ever had.
 */
export class ReceivedBatches {
	constructor(private readonly sql: SqlStorage) {
		sql.exec("CREATE TABLE IF NOT EXISTS received_batches (source TEXT PRIMARY KEY, batch INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID");
	}

	/**
	 * Takes `batch` from `source` if it is newer than the last one counted from there (batch numbers
	 * only grow); false for a batch counted already. One statement: the upsert says whether it wrote.
	 */
	take(source: string, batch: number, now: number): boolean {
		return (
			this.sql
				.exec<SourceRow>(
					`INSERT INTO received_batches (source, batch, at) VALUES (?1, ?2, ?3)
					 ON CONFLICT (source) DO UPDATE SET batch = excluded.batch, at = excluded.at WHERE excluded.batch > received_batches.batch
					 RETURNING source`,
					source,
					batch,
					now,
				)
				.toArray().length > 0
		);
	}

	/** The map a ledger kept before this table, taken in as of `now`; call inside a transaction. */
	adopt(received: Readonly<Record<string, number>>, now: number): void {
		for (const [source, batch] of Object.entries(received)) this.take(source, batch, now);
	}

	/** Forgets the limiters last counted before `cutoff`. */
	forgetSilentSince(cutoff: number): void {
		this.sql.exec("DELETE FROM received_batches WHERE at < ?", cutoff);
	}
}
