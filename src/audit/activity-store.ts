import { notForged } from "./forged-entries";

/** An employee as the audit log last saw them: the role and depot their token carried. */
export interface EmployeeActivity {
	issuer: string;
	subject: string;
	role: string;
	depot: string | null;
	last_seen_at: number;
}

/**
 * Employees with an entry since ?1, with the role and depot of their latest one (SQLite takes the
 * bare columns from the row holding MAX(at)); those whose latest entry is at depot ?2 when given (an
 * employee who moved is listed where they are now); at most ?3; the forged seqs of ?4 left out. An
 * employee is the pair (issuer, subject). The inner range reads index audit_log_employee_at.
 */
export const EMPLOYEES_SINCE_SQL = `SELECT * FROM (
  SELECT actor_issuer AS issuer, actor AS subject, actor_role AS role, actor_depot AS depot, MAX(at) AS last_seen_at FROM audit_log
  WHERE actor_role IS NOT NULL AND at >= ?1 AND ${notForged("?4")} GROUP BY actor_issuer, actor
) WHERE ?2 IS NULL OR depot = ?2 ORDER BY last_seen_at DESC LIMIT ?3`;

/**
 * Who has been acting, read from the audit log: every reveal ask, granted or not, is an entry
 * naming its employee, so the log is the one place that knows employees the vault never stored.
 */
export class ActivityStore {
	constructor(
		private readonly db: D1Database,
		/**
		 * Entries the witness judged forged as they were sealed (src/audit/forged-entries.ts): an
		 * entry written with SQL lists no one, moves no one's depot and suspends no one here.
		 */
		private readonly forgedSeqs: readonly number[],
	) {}

	private forged(): string {
		return JSON.stringify(this.forgedSeqs);
	}

	/** Employees with an entry since `since`, most recently seen first; role and depot of that entry. */
	async employeesSince(since: number, depot: string | undefined, limit: number): Promise<EmployeeActivity[]> {
		const { results } = await this.db
			.prepare(EMPLOYEES_SINCE_SQL)
			.bind(since, depot ?? null, limit, this.forged())
			.all<EmployeeActivity>();
		return results;
	}

	/** The latest entry since `since` of each of these employees that has one. */
	async latestAmong(principals: readonly { issuer: string; subject: string }[], since: number): Promise<EmployeeActivity[]> {
		if (principals.length === 0) return [];
		const { results } = await this.db
			.prepare(
				`SELECT actor_issuer AS issuer, actor AS subject, actor_role AS role, actor_depot AS depot, MAX(at) AS last_seen_at FROM audit_log
				 WHERE actor_role IS NOT NULL AND at >= ?2 AND (actor_issuer, actor) IN (SELECT value ->> '$.issuer', value ->> '$.subject' FROM json_each(?1))
				   AND ${notForged("?3")}
				 GROUP BY actor_issuer, actor`,
			)
			.bind(JSON.stringify(principals.map(({ issuer, subject }) => ({ issuer, subject }))), since, this.forged())
			.all<EmployeeActivity>();
		return results;
	}

	/** The role and depot of a principal's latest entry, if it has one (index audit_log_actor). */
	async latestOf(principal: { issuer: string; subject: string }): Promise<{ role: string | null; depot: string | null } | null> {
		return this.db
			.prepare(
				`SELECT actor_role AS role, actor_depot AS depot FROM audit_log WHERE actor = ?1 AND actor_issuer = ?2 AND ${notForged("?3")} ORDER BY seq DESC LIMIT 1`,
			)
			.bind(principal.subject, principal.issuer, this.forged())
			.first<{ role: string | null; depot: string | null }>();
	}

	/**
	 * A principal's suspensions and reinstatements, newest first: those detection decided (the
	 * principal's own entries, `by: detection`) and those ops made (an ops entry naming the pair in
	 * `details`). Reads index audit_log_kind over these two kinds only, which are rare: at most the
	 * number of such entries in the log, stopping at `limit` matches.
	 */
	async statusHistory(principal: { issuer: string; subject: string }, limit: number): Promise<StatusChange[]> {
		const { results } = await this.db
			.prepare(
				`SELECT seq, at, kind, actor, details ->> '$.reason' AS reason, details ->> '$.by' AS detail_by FROM audit_log
				 WHERE kind IN ('principal.suspended', 'principal.reinstated')
				   AND ((actor = ?1 AND actor_issuer = ?2 AND details ->> '$.by' = 'detection') OR (details ->> '$.subject' = ?1 AND details ->> '$.issuer' = ?2))
				   AND ${notForged("?4")}
				 ORDER BY seq DESC LIMIT ?3`,
			)
			.bind(principal.subject, principal.issuer, limit, this.forged())
			.all<{ seq: number; at: number; kind: string; actor: string | null; reason: string | null; detail_by: string | null }>();
		return results.map((row) => ({
			seq: row.seq,
			at: row.at,
			status: row.kind === "principal.suspended" ? "suspended" : "reinstated",
			reason: row.reason,
			by: row.detail_by === "detection" && row.actor === principal.subject ? "detection" : (row.actor ?? "unknown"),
		}));
	}
}

/** One suspension or reinstatement, as the audit log recorded it. */
export interface StatusChange {
	seq: number;
	at: number;
	status: "suspended" | "reinstated";
	reason: string | null;
	/** `detection`, or the ops `sub` who made the change. */
	by: string;
}
