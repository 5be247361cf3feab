/** A create response remembered under the caller's Idempotency-Key. */
export interface IdempotentResponse {
	requestHash: string;
	status: number;
	body: string;
}

/** Keys are kept this long; a retry after that is a new request (and hits record uniqueness). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export class IdempotencyStore {
	constructor(private readonly db: D1Database) {}

	async find(principal: string, key: string, now: number): Promise<IdempotentResponse | null> {
		const row = await this.db
			.prepare("SELECT request_hash, status, body FROM idempotency_keys WHERE principal = ?1 AND key = ?2 AND expires_at > ?3")
			.bind(principal, key, now)
			.first<{ request_hash: string; status: number; body: string }>();
		return row ? { requestHash: row.request_hash, status: row.status, body: row.body } : null;
	}

	/**
	 * The statements that claim the key; they run in the same batch as the records they answer for,
	 * so either both land or neither does. A live claim by a concurrent request makes the INSERT
	 * fail with a uniqueness error (and the whole batch with it); an expired claim is cleared first.
	 */
	claim(principal: string, key: string, response: IdempotentResponse, now: number): D1PreparedStatement[] {
		return [
			this.db.prepare("DELETE FROM idempotency_keys WHERE principal = ?1 AND key = ?2 AND expires_at <= ?3").bind(principal, key, now),
			this.db
				.prepare("INSERT INTO idempotency_keys (principal, key, request_hash, status, body, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
				.bind(principal, key, response.requestHash, response.status, response.body, now, now + IDEMPOTENCY_TTL_MS),
		];
	}

	async purgeExpired(now: number): Promise<number> {
		const result = await this.db.prepare("DELETE FROM idempotency_keys WHERE expires_at <= ?1").bind(now).run();
		return result.meta.changes;
	}
}
