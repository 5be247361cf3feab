import type { EmployeeActivity } from "../audit/activity-store";
import type { PrincipalStatus } from "./principal-status";
import type { PrincipalStatusRow } from "./principal-status-store";

/** A status row, or an active employee who has none; with when the log last saw them. */
export interface ListedPrincipal extends Omit<PrincipalStatusRow, "changed_by" | "changed_at"> {
	changed_by: string | null;
	changed_at: number | null;
	last_seen_at: number | null;
}

export interface ListFilter {
	status?: PrincipalStatus;
	depot?: string;
}

const keyOf = (principal: { issuer: string; subject: string }) => `${principal.issuer}\n${principal.subject}`;

/**
 * One list from the two places that know principals: status rows (whoever was suspended or
 * reinstated, ever) and the audit log's recent activity. A principal is the pair (issuer, subject).
 * Someone with no status row has never been suspended. The filter applies to the merged principal,
 * so a recently active employee counts as active only if no status row says otherwise: pass the
 * status rows of every active principal. Newest first by whichever happened last; the role and
 * depot are the latest seen.
 */
export function listPrincipals(statuses: readonly PrincipalStatusRow[], activity: readonly EmployeeActivity[], filter: ListFilter = {}): ListedPrincipal[] {
	const seen = new Map(activity.map((row) => [keyOf(row), row]));
	const listed = new Map<string, ListedPrincipal>();
	for (const row of statuses) {
		const recent = seen.get(keyOf(row));
		listed.set(keyOf(row), {
			issuer: row.issuer,
			subject: row.subject,
			kind: row.kind,
			role: recent?.role ?? row.role,
			depot: recent ? recent.depot : row.depot,
			status: row.status,
			reason: row.reason,
			changed_by: row.changed_by,
			changed_at: row.changed_at,
			last_seen_at: recent?.last_seen_at ?? null,
		});
	}
	for (const row of activity) {
		if (listed.has(keyOf(row))) continue;
		listed.set(keyOf(row), { ...row, kind: "employee", status: "active", reason: null, changed_by: null, changed_at: null });
	}
	const latest = (principal: ListedPrincipal) => Math.max(principal.last_seen_at ?? 0, principal.changed_at ?? 0);
	return [...listed.values()]
		.filter(
			(principal) => (filter.status === undefined || principal.status === filter.status) && (filter.depot === undefined || principal.depot === filter.depot),
		)
		.sort((a, b) => latest(b) - latest(a));
}
