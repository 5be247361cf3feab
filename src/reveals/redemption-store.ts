import type { RevealGrant } from "../crypto/reveal-token";
import type { AssignmentCondition } from "../records/assignment";

/** Marks outlive their token's expiry by this much, so no clock skew between requests reopens one. */
const PURGE_GRACE_MS = 5 * 60 * 1000;

/** The single-use marks of reveal tokens. */
export class RedemptionStore {
	constructor(
		private readonly db: D1Database,
		/** The employee issuer, which a courier_issuer of '' (a row from before migration 0006) means. */
		private readonly employeeIssuer: () => string,
	) {}

	/**
	 * The statement that marks a token used; its primary key makes a second mark fail (a
	 * UniqueConstraintError on `reveal_redemptions` once classified). It marks nothing unless, at
	 * that instant, the record is live (neither erased nor expired at `now`) and still within
	 * `assignment` (depot, and the courier as issuer and subject for couriers; null for services),
	 * so an erase, an expiry or a reassignment that lands first wins.
	 */
	mark(grant: RevealGrant, now: number, assignment: AssignmentCondition | null): D1PreparedStatement {
		const courier = assignment?.courier ?? null;
		return this.db
			.prepare(
				`INSERT INTO reveal_redemptions (jti, subject, record_id, redeemed_at, expires_at)
				 SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (
				   SELECT 1 FROM records WHERE id = ?3 AND erased_at IS NULL AND (expires_at IS NULL OR expires_at > ?4)
				   AND (?6 IS NULL OR depot = ?6)
				   AND (?7 IS NULL OR (courier = ?7 AND (courier_issuer = ?8 OR (courier_issuer = '' AND ?8 = ?9)))))`,
			)
			.bind(
				grant.jti,
				grant.subject,
				grant.recordId,
				now,
				grant.expiresAt,
				assignment?.depot ?? null,
				courier?.subject ?? null,
				courier?.issuer ?? null,
				courier ? this.employeeIssuer() : null,
			);
	}

	/** Marks of expired tokens can go: an expired token fails verification before the mark matters. */
	async purgeExpired(now: number): Promise<number> {
		return (
			await this.db
				.prepare("DELETE FROM reveal_redemptions WHERE expires_at <= ?1")
				.bind(now - PURGE_GRACE_MS)
				.run()
		).meta.changes;
	}
}
