/**
 * Calls (privacy-number bindings) as the audit log recorded them: every call the limiter decided is
 * a `call.granted` or `call.denied` entry naming its employee (role, depot). Only employees make
 * calls (DESIGN "Calls instead of numbers"), so the partial index over employees' entries
 * (`audit_log_employee_at`, migration 0005) finds them by time, as the insider detectors do; the
 * query repeats its term `actor_role IS NOT NULL`, which is how SQLite knows it may use it.
 */
import { classified } from "../storage/d1-errors";

const HOUR_MS = 3_600_000;

/** Calls per depot and hour in [?1, ?2), of depot ?3 when `depot`. */
export const callsPerHourSql = (depot: boolean) => `SELECT actor_depot AS depot, (at / ${HOUR_MS}) * ${HOUR_MS} AS hour,
				        sum(kind = 'call.granted') AS granted, sum(kind = 'call.denied') AS denied
				 FROM audit_log INDEXED BY audit_log_employee_at
				 WHERE actor_role IS NOT NULL AND at >= ?1 AND at < ?2 AND kind IN ('call.granted', 'call.denied') ${depot ? "AND actor_depot = ?3" : "AND ?3 IS NULL"}
				 GROUP BY actor_depot, hour ORDER BY hour, actor_depot`;

export interface CallHourCount {
	depot: string | null;
	/** The hour's start, ms since the epoch. */
	hour: number;
	granted: number;
	denied: number;
}

export class RecordedCalls {
	constructor(private readonly db: D1Database) {}

	/**
	 * Calls per depot and hour in [from, to), summed in SQL: one row per depot-hour with calls. The
	 * rows read are employees' entries of the range (asks, redeems, calls, lookup summaries), named
	 * by INDEXED BY so the planner never walks `audit_log_kind` over every call ever recorded.
	 */
	async perHour(from: number, to: number, depot: string | undefined): Promise<CallHourCount[]> {
		const { results } = await classified(
			this.db
				.prepare(callsPerHourSql(depot !== undefined))
				.bind(from, to, depot ?? null)
				.all<CallHourCount>(),
		);
		return results;
	}
}
