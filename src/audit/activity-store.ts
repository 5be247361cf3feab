/** An employee as the audit log last saw them: the role and depot their token carried. */
export interface EmployeeActivity {
	subject: string;
	role: string;
	depot: string | null;
	last_seen_at: number;
}

/** Employees with an entry since ?1, optionally at depot ?2, at most ?3 (index audit_log_employee_at). */
export const EMPLOYEES_SINCE_SQL = `SELECT actor AS subject, actor_role AS role, actor_depot AS depot, MAX(at) AS last_seen_at FROM audit_log
 WHERE actor_role IS NOT NULL AND at >= ?1 AND (?2 IS NULL OR actor_depot = ?2)
 GROUP BY actor ORDER BY last_seen_at DESC LIMIT ?3`;

/**
 * Who has been acting, read from the audit log: every reveal ask, granted or not, is an entry
 * naming its employee, so the log is the one place that knows employees the vault never stored.
 */
export class ActivityStore {
	constructor(private readonly db: D1Database) {}

	/** Employees with an entry since `since`, most recently seen first; role and depot of that entry. */
	async employeesSince(since: number, depot: string | undefined, limit: number): Promise<EmployeeActivity[]> {
		const { results } = await this.db
			.prepare(EMPLOYEES_SINCE_SQL)
			.bind(since, depot ?? null, limit)
			.all<EmployeeActivity>();
		return results;
	}

	/** The role and depot of a principal's latest entry, if it has one (index audit_log_actor). */
	async latestOf(subject: string): Promise<{ role: string | null; depot: string | null } | null> {
		return this.db
			.prepare("SELECT actor_role AS role, actor_depot AS depot FROM audit_log WHERE actor = ?1 ORDER BY seq DESC LIMIT 1")
			.bind(subject)
			.first<{ role: string | null; depot: string | null }>();
	}
}
