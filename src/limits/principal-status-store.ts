import type { Principal } from "../auth/principal";

export interface PrincipalStatusRow {
	subject: string;
	kind: string;
	role: string | null;
	depot: string | null;
	status: "active" | "suspended";
	reason: string | null;
	changed_by: string;
	changed_at: number;
}

/** A listing of principals whose status changed; their limiter object is the authority. */
export class PrincipalStatusStore {
	constructor(private readonly db: D1Database) {}

	record(
		subject: string,
		principal: Pick<Principal, "kind"> & { role?: string | null; depot?: string | null },
		status: "active" | "suspended",
		reason: string | null,
		by: string,
		now: number,
	): D1PreparedStatement {
		return this.db
			.prepare(
				`INSERT INTO principal_status (subject, kind, role, depot, status, reason, changed_by, changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
				 ON CONFLICT (subject) DO UPDATE SET role = COALESCE(excluded.role, role), depot = COALESCE(excluded.depot, depot), status = excluded.status,
				   reason = excluded.reason, changed_by = excluded.changed_by, changed_at = excluded.changed_at`,
			)
			.bind(subject, principal.kind, principal.role ?? null, principal.depot ?? null, status, reason, by, now);
	}

	/** The status rows of these subjects, whatever their status or depot. */
	async ofSubjects(subjects: readonly string[]): Promise<PrincipalStatusRow[]> {
		if (subjects.length === 0) return [];
		return (
			await this.db
				.prepare("SELECT * FROM principal_status WHERE subject IN (SELECT value FROM json_each(?1))")
				.bind(JSON.stringify(subjects))
				.all<PrincipalStatusRow>()
		).results;
	}

	async list(status?: "active" | "suspended", depot?: string): Promise<PrincipalStatusRow[]> {
		return (
			await this.db
				.prepare("SELECT * FROM principal_status WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR depot = ?2) ORDER BY changed_at DESC LIMIT 500")
				.bind(status ?? null, depot ?? null)
				.all<PrincipalStatusRow>()
		).results;
	}
}
