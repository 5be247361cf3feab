import type { Principal } from "../auth/principal";
import { statusContent, statusKey } from "../integrity/row-contents";
import type { RowTrust } from "../integrity/row-trust";
import type { PrincipalStatus } from "./principal-status";

export interface PrincipalStatusRow {
	issuer: string;
	subject: string;
	kind: string;
	role: string | null;
	depot: string | null;
	status: PrincipalStatus;
	reason: string | null;
	changed_by: string;
	changed_at: number;
}

type StoredStatusRow = PrincipalStatusRow & { mac: string | null; mac_key: string | null };

/** Who a status row is about: the pair (issuer, subject), and the kind of principal. */
export type StatusSubject = Pick<Principal, "kind" | "issuer" | "subject"> & { role?: string | null; depot?: string | null };

/**
 * A listing of principals whose status changed; their limiter object is the authority. Rows are
 * keyed by (issuer, subject); a row from before migration 0006 has the issuer '' until the cron
 * writes the employee issuer in, and reads here show it as that issuer (`stored`).
 */
export class PrincipalStatusStore {
	constructor(
		private readonly db: D1Database,
		private readonly stored: (issuer: string) => string = (issuer) => issuer,
		/** MACs of status rows (src/integrity/): a row whose MAC fails is not listed, and is reported. */
		private readonly trust: RowTrust | null = null,
	) {}

	async record(principal: StatusSubject, status: PrincipalStatus, reason: string | null, by: string, now: number): Promise<D1PreparedStatement> {
		const seal = this.trust
			? await this.trust.seal("principal_status", statusContent({ issuer: principal.issuer, subject: principal.subject, status }))
			: { mac: null, mac_key: null };
		return this.db
			.prepare(
				`INSERT INTO principal_status (issuer, subject, kind, role, depot, status, reason, changed_by, changed_at, mac, mac_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
				 ON CONFLICT (issuer, subject) DO UPDATE SET role = COALESCE(excluded.role, role), depot = COALESCE(excluded.depot, depot), status = excluded.status,
				   reason = excluded.reason, changed_by = excluded.changed_by, changed_at = excluded.changed_at, mac = excluded.mac, mac_key = excluded.mac_key`,
			)
			.bind(
				principal.issuer,
				principal.subject,
				principal.kind,
				principal.role ?? null,
				principal.depot ?? null,
				status,
				reason,
				by,
				now,
				seal.mac,
				seal.mac_key,
			);
	}

	/** The status rows of these principals, whatever their status or depot. */
	async ofPrincipals(principals: readonly { issuer: string; subject: string }[]): Promise<PrincipalStatusRow[]> {
		if (principals.length === 0) return [];
		const rows = await this.db
			.prepare(
				`SELECT * FROM principal_status WHERE (issuer, subject) IN (
				   SELECT value ->> '$.issuer', value ->> '$.subject' FROM json_each(?1)) OR (issuer = '' AND subject IN (SELECT value ->> '$.subject' FROM json_each(?1)))`,
			)
			.bind(JSON.stringify(principals.map(({ issuer, subject }) => ({ issuer, subject }))))
			.all<StoredStatusRow>();
		const wanted = new Set(principals.map(({ issuer, subject }) => `${issuer}\n${subject}`));
		return (await this.admitted(rows.results)).filter((row) => wanted.has(`${row.issuer}\n${row.subject}`));
	}

	async list(status?: PrincipalStatus, depot?: string): Promise<PrincipalStatusRow[]> {
		const { results } = await this.db
			// A row that reads "active" may be a forgery listed as suspended (see admitted): asked for the suspended, read both.
			.prepare(
				"SELECT * FROM principal_status WHERE (?1 IS NULL OR status = ?1 OR ?1 = 'suspended') AND (?2 IS NULL OR depot = ?2) ORDER BY changed_at DESC LIMIT 500",
			)
			.bind(status ?? null, depot ?? null)
			.all<StoredStatusRow>();
		return (await this.admitted(results)).filter((row) => status === undefined || row.status === status);
	}

	/** Rows still carrying the issuer '' get the employee issuer's `iss` (migration 0006); returns how many. */
	async recordEmployeeIssuer(employeeIssuer: string): Promise<number> {
		// A row the principal got since under its real issuer is newer than the '' one it would collide with.
		const [updated] = await this.db.batch([
			this.db.prepare("UPDATE OR IGNORE principal_status SET issuer = ?1 WHERE issuer = ''").bind(employeeIssuer),
			this.db.prepare("DELETE FROM principal_status WHERE issuer = ''"),
		]);
		return updated?.meta.changes ?? 0;
	}

	/**
	 * The rows as they may be used. A row whose MAC fails (a reinstatement written straight into D1,
	 * say) is reported and listed as suspended whatever it says: the limiter object stays the
	 * authority on the status, and the listing errs toward the suspension rather than show a forged
	 * "active" to ops.
	 */
	private async admitted(rows: StoredStatusRow[]): Promise<PrincipalStatusRow[]> {
		const read = rows.map((row) => this.read(row));
		const trust = this.trust;
		if (!trust) return read;
		const admitted = await Promise.all(read.map((row, i) => trust.admits("principal_status", statusKey(row), statusContent(row), rows[i] as StoredStatusRow)));
		return read.map((row, i) => (admitted[i] ? row : { ...row, status: "suspended", reason: "row_mac_failed" }));
	}

	private read({ mac: _mac, mac_key: _key, ...row }: StoredStatusRow): PrincipalStatusRow {
		return { ...row, issuer: this.stored(row.issuer) };
	}
}
