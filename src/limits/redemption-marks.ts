interface MarkRow extends Record<string, SqlStorageValue> {
	jti: string;
}

/** Marks outlive their token's expiry by this much, so no clock skew between requests reopens one. */
const PURGE_GRACE_MS = 5 * 60 * 1000;

/**
 * The single-use marks of a principal's reveal tokens, in that principal's limiter object: a token
 * redeems only for the principal it names, so its one object is the one place that can mark it,
 * in the same transaction as the suspension check and the `reveal.redeemed` entry.
 */
export class RedemptionMarks {
	constructor(private readonly sql: SqlStorage) {
		sql.exec("CREATE TABLE IF NOT EXISTS redemption_marks (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID");
	}

	/** Marks `jti` used; false if it already was. Marks of tokens long expired are dropped on the way. */
	mark(jti: string, expiresAt: number, now: number): boolean {
		this.sql.exec("DELETE FROM redemption_marks WHERE expires_at < ?", now - PURGE_GRACE_MS);
		if (this.sql.exec<MarkRow>("SELECT jti FROM redemption_marks WHERE jti = ?", jti).toArray().length > 0) return false;
		this.sql.exec("INSERT INTO redemption_marks (jti, expires_at) VALUES (?, ?)", jti, expiresAt);
		return true;
	}

	/** Lifts a mark whose redeem revealed nothing, so the token can be redeemed again while it lives. */
	release(jti: string): void {
		this.sql.exec("DELETE FROM redemption_marks WHERE jti = ?", jti);
	}
}
