import type { RevealGrant } from "../crypto/reveal-token";

/** The single-use marks of reveal tokens. */
export class RedemptionStore {
	constructor(private readonly db: D1Database) {}

	/**
	 * The statement that marks a token used; its primary key makes a second mark fail. It marks
	 * nothing if the record was erased meanwhile, so an erase that lands first always wins.
	 */
	mark(grant: RevealGrant, now: number): D1PreparedStatement {
		return this.db
			.prepare(
				`INSERT INTO reveal_redemptions (jti, subject, record_id, redeemed_at, expires_at)
				 SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM records WHERE id = ?3 AND erased_at IS NULL)`,
			)
			.bind(grant.jti, grant.subject, grant.recordId, now, grant.expiresAt);
	}

	/** Marks of expired tokens can go: an expired token fails verification before the mark matters. */
	async purgeExpired(now: number): Promise<number> {
		return (await this.db.prepare("DELETE FROM reveal_redemptions WHERE expires_at <= ?1").bind(now).run()).meta.changes;
	}
}

export function isAlreadyRedeemed(error: unknown): boolean {
	return error instanceof Error && error.message.includes("UNIQUE constraint failed: reveal_redemptions.jti");
}
