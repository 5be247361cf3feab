/**
 * Calls (privacy-number bindings) as the audit log recorded them: every call the limiter decided is
 * a `call.granted` or `call.denied` entry naming its employee (role, depot). Only employees make
 * calls (DESIGN "Calls instead of numbers"), so the partial index over employees' entries
 * (`audit_log_employee_at`, migration 0005) finds them by time, as the insider detectors do; the
 * query repeats its term `actor_role IS NOT NULL`, which is how SQLite knows it may use it.
 */
import { classified } from "../storage/d1-errors";
import { notForged } from "./forged-entries";

const HOUR_MS = 3_600_000;

/** Calls per depot and hour in [?1, ?2), of depot ?3 when `depot`, but the forged seqs of ?4. */
export const callsPerHourSql = (depot: boolean) => `SELECT actor_depot AS depot, (at / ${HOUR_MS}) * ${HOUR_MS} AS hour,
				        sum(kind = 'call.granted') AS granted, sum(kind = 'call.denied') AS denied
				 FROM audit_log INDEXED BY audit_log_employee_at
				 WHERE actor_role IS NOT NULL AND at >= ?1 AND at < ?2 AND kind IN ('call.granted', 'call.denied') ${depot ? "AND actor_depot = ?3" : "AND ?3 IS NULL"} AND ${notForged("?4")}
				 GROUP BY actor_depot, hour ORDER BY hour, actor_depot`;

/** The entries of calls: the limiter's decisions and the bindings that failed. */
const CALLS = "kind IN ('call.granted', 'call.denied', 'call.failed')";

/**
 * Calls decided in [?1, ?2), and bindings that failed, of depot ?3 when `depot`, but the forged
 * seqs of ?5, oldest first, at most ?4: through the partial indexes of migration 0021, named (INDEXED BY fails the query if the
 * index cannot serve it), whose `kind IN (...)` term the query repeats. No other entry is read.
 */
export const callsBetweenSql = (depot: boolean) => `SELECT seq, at, kind, actor_issuer AS issuer, actor AS subject, actor_role AS role, actor_depot AS depot,
				        record_id AS recordId, details ->> '$.reason' AS reason, details ->> '$.call_id' AS callId,
				        coalesce(details ->> '$.reused', 0) AS reused, coalesce(details ->> '$.leg_refusal', 0) AS legRefusal, details ->> '$.action' AS action
				 FROM audit_log ${depot ? "INDEXED BY audit_log_calls_depot_at" : "INDEXED BY audit_log_calls_at"}
				 WHERE ${CALLS} AND at >= ?1 AND at < ?2 ${depot ? "AND actor_depot = ?3" : "AND ?3 IS NULL"} AND actor_role IS NOT NULL AND ${notForged("?5")}
				 ORDER BY at, seq LIMIT ?4`;

/** A call as the limiter decided it (`call.granted`, `call.denied`), or a binding the provider could not make (`call.failed`). */
export interface RecordedCall {
	seq: number;
	at: number;
	kind: "call.granted" | "call.denied" | "call.failed";
	issuer: string;
	subject: string;
	role: string;
	depot: string | null;
	recordId: string | null;
	/** Why it was refused, as recorded; null otherwise. */
	reason: string | null;
	callId: string | null;
	/** A double tap answered with the live binding: granted, never counted. */
	reused: boolean;
	/** Refused by the leg gate for a call in scope (`leg_refusal` in its entry): never a probe. */
	legRefusal: boolean;
	/** What a `call.failed` failed at: `BindAxb` (the call was given back) or `UnbindSubscription`. */
	action: string | null;
}

export interface CallHourCount {
	depot: string | null;
	/** The hour's start, ms since the epoch. */
	hour: number;
	granted: number;
	denied: number;
}

export class RecordedCalls {
	constructor(
		private readonly db: D1Database,
		/** Entries the witness judged forged as they were sealed (src/audit/forged-entries.ts): neither counted nor replayed. */
		private readonly forgedSeqs: readonly number[],
	) {}

	/**
	 * Calls per depot and hour in [from, to), summed in SQL: one row per depot-hour with calls. The
	 * rows read are employees' entries of the range (asks, redeems, calls, lookup summaries), named
	 * by INDEXED BY so the planner never walks `audit_log_kind` over every call ever recorded.
	 */
	async perHour(from: number, to: number, depot: string | undefined): Promise<CallHourCount[]> {
		const { results } = await classified(
			this.db
				.prepare(callsPerHourSql(depot !== undefined))
				.bind(from, to, depot ?? null, JSON.stringify(this.forgedSeqs))
				.all<CallHourCount>(),
		);
		return results;
	}

	/** The calls of [from, to), oldest first, at most `limit` (one more tells the caller there were more). */
	async between(from: number, to: number, depot: string | undefined, limit: number): Promise<RecordedCall[]> {
		const { results } = await classified(
			this.db
				.prepare(callsBetweenSql(depot !== undefined))
				.bind(from, to, depot ?? null, limit, JSON.stringify(this.forgedSeqs))
				.all<Omit<RecordedCall, "reused" | "legRefusal"> & { reused: number; legRefusal: number }>(),
		);
		return results.map((row) => ({ ...row, reused: row.reused === 1, legRefusal: row.legRefusal === 1, issuer: row.issuer ?? "" }));
	}
}
