import { notForged } from "./forged-entries";

/**
 * Reveal asks as the audit log recorded them: every ask the limiter decided is a `reveal.granted`
 * or `reveal.denied` entry naming its principal (issuer, subject, role, depot), its record and, when
 * refused, its reason. The ops dashboard counts them and the policy simulation replays them.
 *
 * Every query here reads one of the partial indexes of migration 0013 (`audit_log_asks_at`,
 * `audit_log_asks_depot_at`) and repeats their term `kind IN ('reveal.granted', 'reveal.denied')`:
 * SQLite uses a partial index only for a query whose WHERE implies the index's. No other entry is read.
 */
const ASKS = "kind IN ('reveal.granted', 'reveal.denied')";
const HOUR_MS = 3_600_000;
/** With a depot, the term that lets SQLite take `audit_log_asks_depot_at` (an `?3 IS NULL OR` would keep it from it). */
const ofDepot = (depot: boolean) => (depot ? "AND actor_depot = ?3" : "AND ?3 IS NULL");
/**
 * Named, not left to the planner: without statistics SQLite prefers audit_log_kind's equality on
 * `kind` and would walk every ask ever recorded. INDEXED BY fails the query if the index cannot serve it.
 */
const askIndex = (depot: boolean) => (depot ? "INDEXED BY audit_log_asks_depot_at" : "INDEXED BY audit_log_asks_at");

/** Asks per depot and hour in [?1, ?2), of depot ?3 when `depot`, but the forged seqs of ?4. */
export const asksPerHourSql = (depot: boolean) => `SELECT actor_depot AS depot, (at / ${HOUR_MS}) * ${HOUR_MS} AS hour,
				        sum(kind = 'reveal.granted') AS granted, sum(kind = 'reveal.denied') AS denied
				 FROM audit_log ${askIndex(depot)} WHERE ${ASKS} AND at >= ?1 AND at < ?2 ${ofDepot(depot)} AND ${notForged("?4")}
				 GROUP BY actor_depot, hour ORDER BY hour, actor_depot`;

/** Asks in [?1, ?2), of depot ?3 when `depot`, but the forged seqs of ?5, oldest first, at most ?4. */
export const asksBetweenSql = (
	depot: boolean,
) => `SELECT seq, at, kind = 'reveal.granted' AS granted, actor_issuer AS issuer, actor AS subject, actor_role AS role, actor_depot AS depot,
				        record_id AS recordId, details ->> '$.reason' AS reason
				 FROM audit_log ${askIndex(depot)} WHERE ${ASKS} AND at >= ?1 AND at < ?2 ${ofDepot(depot)} AND actor IS NOT NULL AND ${notForged("?5")}
				 ORDER BY at, seq LIMIT ?4`;

export interface RecordedAsk {
	seq: number;
	at: number;
	granted: boolean;
	issuer: string;
	subject: string;
	role: string | null;
	depot: string | null;
	recordId: string | null;
	/** Why it was refused, as recorded (`reveal.denied` details.reason); null for a grant. */
	reason: string | null;
}

export interface HourCount {
	depot: string | null;
	/** The hour's start, ms since the epoch. */
	hour: number;
	granted: number;
	denied: number;
}

/** A suspension or reinstatement: by detection (the principal's own entry) or by ops (naming the principal). */
export interface RecordedStatusChange {
	seq: number;
	at: number;
	status: "suspended" | "reinstated";
	issuer: string;
	subject: string;
	by: "detection" | "ops";
}

export class RecordedAsks {
	constructor(
		private readonly db: D1Database,
		/** Entries the witness judged forged as they were sealed (src/audit/forged-entries.ts): neither counted nor replayed. */
		private readonly forgedSeqs: readonly number[],
	) {}

	private forged(): string {
		return JSON.stringify(this.forgedSeqs);
	}

	/**
	 * Asks per depot and hour in [from, to), summed in SQL: the answer has one row per depot-hour
	 * with asks, whatever their number; the rows read are the asks in the range (`audit_log_asks_at`,
	 * or `audit_log_asks_depot_at` for one depot).
	 */
	async perHour(from: number, to: number, depot: string | undefined): Promise<HourCount[]> {
		const { results } = await this.db
			.prepare(asksPerHourSql(depot !== undefined))
			.bind(from, to, depot ?? null, this.forged())
			.all<HourCount>();
		return results;
	}

	/**
	 * The asks in [from, to), oldest first, at most `limit` (one more tells the caller there were
	 * more): what they were for, by whom, and how the limiter answered.
	 */
	async between(from: number, to: number, depot: string | undefined, limit: number): Promise<RecordedAsk[]> {
		const { results } = await this.db
			.prepare(asksBetweenSql(depot !== undefined))
			.bind(from, to, depot ?? null, limit, this.forged())
			.all<Omit<RecordedAsk, "granted"> & { granted: number }>();
		return results.map((row) => ({ ...row, granted: row.granted === 1, issuer: row.issuer ?? "" }));
	}

	/**
	 * Suspensions and reinstatements in [from, to), oldest first. The read walks index audit_log_kind
	 * over these two kinds: every suspension and reinstatement ever recorded, which are rare (each is
	 * a person's suspension or an operator's decision), not the asks.
	 */
	async statusChanges(from: number, to: number): Promise<RecordedStatusChange[]> {
		const { results } = await this.db
			.prepare(
				`SELECT seq, at, kind, actor, actor_issuer, details ->> '$.by' AS detail_by, details ->> '$.subject' AS named_subject, details ->> '$.issuer' AS named_issuer
				 FROM audit_log WHERE kind IN ('principal.suspended', 'principal.reinstated') AND at >= ?1 AND at < ?2 AND ${notForged("?3")} ORDER BY at, seq`,
			)
			.bind(from, to, this.forged())
			.all<{
				seq: number;
				at: number;
				kind: string;
				actor: string | null;
				actor_issuer: string | null;
				detail_by: string | null;
				named_subject: string | null;
				named_issuer: string | null;
			}>();
		return results.flatMap((row): RecordedStatusChange[] => {
			const status = row.kind === "principal.suspended" ? "suspended" : "reinstated";
			// Ops name the principal in details; detection's entry is the principal's own.
			if (row.named_subject !== null) {
				return [{ seq: row.seq, at: row.at, status, issuer: row.named_issuer ?? "", subject: row.named_subject, by: "ops" }];
			}
			if (row.detail_by === "detection" && row.actor !== null) {
				return [{ seq: row.seq, at: row.at, status, issuer: row.actor_issuer ?? "", subject: row.actor, by: "detection" }];
			}
			return [];
		});
	}
}
