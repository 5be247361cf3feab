interface MarkRow extends Record<string, SqlStorageValue> {
	jti: string;
}

/** Marks outlive their token's expiry by this much, so no clock skew between requests reopens one. */
const PURGE_GRACE_MS = 5 * 60 * 1000;

/** How often the limiter's flush purges: the table then holds at most a few minutes of marks past their grace. */
export const MARK_PURGE_INTERVAL_MS = 5 * 60 * 1000;

/**
 * The single-use marks of a principal's reveal tokens, in that principal's limiter object: a token
 * redeems only for the principal it names, so its one object is the one place that can mark it,
 * in the same transaction as the suspension check and the `reveal.redeemed` entry.
 */
export class RedemptionMarks {
	constructor(private readonly sql: SqlStorage) {
		sql.exec("CREATE TABLE IF NOT EXISTS redemption_marks (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID");
	}

	/** Marks `jti` used; false if it already was. One statement: the insert says whether it inserted. */
	mark(jti: string, expiresAt: number): boolean {
		return (
			this.sql
				.exec<MarkRow>("INSERT INTO redemption_marks (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING RETURNING jti", jti, expiresAt)
				.toArray().length > 0
		);
	}

	/**
	 * Drops the marks of tokens long expired: such a token fails its `exp` check before it could be
	 * marked again. Off the redeem (the limiter's flush calls it), so a redeem does not scan the table.
	 */
	purgeExpired(now: number): void {
		this.sql.exec("DELETE FROM redemption_marks WHERE expires_at < ?", now - PURGE_GRACE_MS);
	}

	/** Lifts a mark whose redeem revealed nothing, so the token can be redeemed again while it lives. */
	release(jti: string): void {
		this.sql.exec("DELETE FROM redemption_marks WHERE jti = ?", jti);
	}
}
