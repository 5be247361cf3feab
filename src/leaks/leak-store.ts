import type { StoredCheckpoint } from "../audit/checkpoints";
import type { AuditEntry } from "../audit/entry";
import { classified } from "../storage/d1-errors";

/**
 * The reads an attribution makes, each bounded and each bound to one parameter however long the
 * list (D1 allows 100 bound parameters per statement; json_each takes a whole array as one).
 */

/** Blind-index values per statement: 1,000 × 43 characters, a 44 kB parameter. */
export const INDEX_VALUES_PER_STATEMENT = 1000;
/** Record ids per audit statement: each id reads its entries through `audit_log_record`. */
export const RECORD_IDS_PER_STATEMENT = 500;

export interface MatchedRow {
	id: string;
	depot: string;
	courier: string | null;
	courier_issuer: string | null;
	phone_index: string;
	honeytoken: number;
	honeytoken_depot: string | null;
	for_issuer: string | null;
	for_subject: string | null;
}

/** An audit entry as attribution reads it: what the figures need and the sealed hash it cites. */
export type CitedEntry = Omit<AuditEntry, "prev_hash" | "record_id"> & { record_id: string };

/** What one principal revealed in the period, whatever the list holds: the K of the score. */
export interface ActivityRow {
	subject: string;
	issuer: string | null;
	touched: number;
	/** JSON array of the depots their entries name (null for a service). */
	depots: string;
}

const chunks = <T>(values: readonly T[], size: number): T[][] => {
	const out: T[][] = [];
	for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
	return out;
};

export class LeakStore {
	constructor(private readonly db: D1Database) {}

	/** Live records whose blind index is among `indexValues`, with their honeytoken row if any: one batch. */
	async recordsByIndex(indexValues: readonly string[]): Promise<MatchedRow[]> {
		if (indexValues.length === 0) return [];
		const statement = this.db.prepare(
			`SELECT r.id, r.depot, r.courier, r.courier_issuer, r.phone_index, h.record_id IS NOT NULL AS honeytoken, h.depot AS honeytoken_depot,
			        h.for_issuer, h.for_subject
			 FROM records AS r LEFT JOIN honeytokens AS h ON h.record_id = r.id
			 WHERE r.phone_index IN (SELECT value FROM json_each(?1)) AND r.erased_at IS NULL`,
		);
		const results = await classified(this.db.batch(chunks(indexValues, INDEX_VALUES_PER_STATEMENT).map((chunk) => statement.bind(JSON.stringify(chunk)))));
		return results.flatMap((result) => result.results as MatchedRow[]);
	}

	/** The entries of `kinds` about these records in [from, to], ascending seq: one batch. */
	async entriesAbout(recordIds: readonly string[], kinds: readonly string[], from: number, to: number): Promise<CitedEntry[]> {
		if (recordIds.length === 0) return [];
		const statement = this.db.prepare(
			`SELECT seq, at, kind, actor, actor_issuer, actor_role, actor_depot, record_id, details, hash FROM audit_log
			 WHERE record_id IN (SELECT value FROM json_each(?1)) AND kind IN (SELECT value FROM json_each(?2)) AND at >= ?3 AND at <= ?4`,
		);
		const batch = chunks(recordIds, RECORD_IDS_PER_STATEMENT).map((chunk) => statement.bind(JSON.stringify(chunk), JSON.stringify(kinds), from, to));
		const results = await classified(this.db.batch(batch));
		return results.flatMap((result) => result.results as CitedEntry[]).sort((a, b) => a.seq - b.seq);
	}

	/**
	 * Distinct records each of these subjects revealed (redeemed) in [from, to], per issuer, with the
	 * depots named: sealed entries only (each judged by its MAC as it was sealed), the entries at
	 * `skipped` seqs (judged forged) left out.
	 */
	async activity(subjects: readonly string[], kind: string, from: number, to: number, skipped: readonly number[] = []): Promise<ActivityRow[]> {
		if (subjects.length === 0) return [];
		const { results } = await classified(
			this.db
				.prepare(
					`SELECT actor AS subject, actor_issuer AS issuer, count(DISTINCT record_id) AS touched, json_group_array(DISTINCT actor_depot) AS depots
					 FROM audit_log WHERE actor IN (SELECT value FROM json_each(?1)) AND kind = ?2 AND at >= ?3 AND at <= ?4
					   AND hash IS NOT NULL AND seq NOT IN (SELECT value FROM json_each(?5))
					 GROUP BY actor, actor_issuer`,
				)
				.bind(JSON.stringify([...new Set(subjects)]), kind, from, to, JSON.stringify(skipped))
				.all<ActivityRow>(),
		);
		return results;
	}

	/** Records that existed at some time in [from, to], per depot: the populations of the score. */
	async recordsPerDepot(from: number, to: number): Promise<Map<string, number>> {
		const { results } = await classified(
			this.db
				.prepare("SELECT depot, count(*) AS n FROM records WHERE created_at <= ?2 AND (erased_at IS NULL OR erased_at >= ?1) GROUP BY depot")
				.bind(from, to)
				.all<{ depot: string; n: number }>(),
		);
		return new Map(results.map((row) => [row.depot, row.n]));
	}

	/** For each seq, the first checkpoint at or after it (the one whose chain covers it), if any. */
	async coveringCheckpoints(seqs: readonly number[]): Promise<Map<number, StoredCheckpoint>> {
		if (seqs.length === 0) return new Map();
		const { results } = await classified(
			this.db
				.prepare(
					`SELECT w.value AS wanted, c.seq, c.hash, c.at, c.signature FROM json_each(?1) AS w
					 JOIN audit_checkpoints AS c ON c.seq = (SELECT min(seq) FROM audit_checkpoints WHERE seq >= w.value)`,
				)
				.bind(JSON.stringify([...new Set(seqs)]))
				.all<StoredCheckpoint & { wanted: number }>(),
		);
		return new Map(results.map(({ wanted, ...checkpoint }) => [wanted, checkpoint]));
	}
}
