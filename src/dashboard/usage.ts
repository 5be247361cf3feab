import type { RecordedAsk } from "../audit/recorded-asks";
import { type LimiterState, PROBE_WINDOW_MS, standing } from "../limits/decide";
import { DAY_SECONDS, type LimitKind, type PolicyRow, resolvePolicy } from "../limits/policy";

/** A limit used at least this much (as a share of it) flags its employee as near quota. */
export const NEAR_QUOTA = 0.8;

/** What detection knows of an employee beyond their asks: unresolved alerts about them, and a suspension. */
export interface EmployeeFlags {
	alertKinds: readonly string[];
	suspended: boolean;
}

export interface EmployeeUsage {
	issuer: string;
	subject: string;
	role: string | null;
	depot: string | null;
	/** The enforced limit with the largest share used; null for an employee with no role on record. */
	tightest: { kind: LimitKind; limit: number; used: number; remaining: number; share: number } | null;
	grants: number;
	refused: number;
	outOfScopeLastHour: number;
	nearQuota: boolean;
	flags: string[];
}

export interface DepotUsage {
	depot: string;
	reveals: number;
	budget: number;
	share: number;
}

const keyOf = (who: { issuer: string; subject: string }) => `${who.issuer}\n${who.subject}`;
/** Refusals the scope rules decided for a record not the asker's: what the probing rule counts. */
const OUT_OF_SCOPE = new Set(["not_assigned", "out_of_scope", "out_of_scope_probing"]);

/**
 * Each employee's standing against their enforced limits at `now`, judged by `standing` (the same
 * function the limiter answers with) over their grants of the last 24 hours as the audit log
 * recorded them, resolved with their role and depot of their latest ask. Sorted by the share of
 * their tightest limit, highest first, so a clerk at 20 of 20 leads. Employees with flags and no
 * asks (a suspension, an alert) are listed too. Pure.
 */
export function employeeUsage(
	asks: readonly RecordedAsk[],
	policies: readonly PolicyRow[],
	flags: ReadonlyMap<string, EmployeeFlags & { issuer: string; subject: string; role: string | null; depot: string | null }>,
	now: number,
): EmployeeUsage[] {
	const since = now - DAY_SECONDS * 1000;
	const people = new Map<
		string,
		{ issuer: string; subject: string; role: string | null; depot: string | null; state: LimiterState; refused: number; probes: number }
	>();
	for (const ask of asks) {
		if (ask.at <= since || ask.role === null) continue;
		const key = keyOf(ask);
		const person = people.get(key) ?? {
			issuer: ask.issuer,
			subject: ask.subject,
			role: ask.role,
			depot: ask.depot,
			state: { grants: [], probes: [], suspension: null, quotaAlertAt: null },
			refused: 0,
			probes: 0,
		};
		// The latest ask names the role and depot the employee acts as now.
		person.role = ask.role;
		person.depot = ask.depot;
		if (ask.granted && ask.recordId !== null) person.state.grants.push({ at: ask.at, recordId: ask.recordId });
		if (!ask.granted) person.refused += 1;
		if (!ask.granted && ask.reason !== null && OUT_OF_SCOPE.has(ask.reason) && ask.at > now - PROBE_WINDOW_MS) person.probes += 1;
		people.set(key, person);
	}
	for (const [key, flagged] of flags) {
		if (!people.has(key)) {
			people.set(key, { ...flagged, state: { grants: [], probes: [], suspension: null, quotaAlertAt: null }, refused: 0, probes: 0 });
		}
	}
	const rows = [...people.entries()].map(([key, person]): EmployeeUsage => {
		const flagged = flags.get(key);
		const role = person.role ?? flagged?.role ?? null;
		const depot = person.depot ?? flagged?.depot ?? null;
		const policy = resolvePolicy(policies, {
			kind: "employee",
			issuer: person.issuer,
			subject: person.subject,
			role: role ?? undefined,
			depot: depot ?? undefined,
		});
		const tightest = standing(person.state, policy, now)
			.map((rule) => ({ kind: rule.rule.kind, limit: rule.rule.limit, used: rule.used, remaining: rule.remaining, share: rule.used / rule.rule.limit }))
			.sort((a, b) => b.share - a.share)[0];
		const nearQuota = (tightest?.share ?? 0) >= NEAR_QUOTA;
		const names = new Set<string>(flagged?.alertKinds ?? []);
		if (flagged?.suspended) names.add("suspended");
		if (person.probes > 0) names.add("out_of_scope_asks");
		if (nearQuota) names.add("near_quota");
		return {
			issuer: person.issuer,
			subject: person.subject,
			role,
			depot,
			tightest: tightest ?? null,
			grants: person.state.grants.length,
			refused: person.refused,
			outOfScopeLastHour: person.probes,
			nearQuota,
			flags: [...names].sort(),
		};
	});
	return rows.sort((a, b) => (b.tightest?.share ?? 0) - (a.tightest?.share ?? 0) || b.flags.length - a.flags.length || b.grants - a.grants);
}

/** Each depot's reveals of the last 24 hours against its daily budget (the depot or default layer's). Pure. */
export function depotUsage(asks: readonly RecordedAsk[], policies: readonly PolicyRow[], now: number): DepotUsage[] {
	const since = now - DAY_SECONDS * 1000;
	const reveals = new Map<string, number>();
	for (const ask of asks) if (ask.granted && ask.depot !== null && ask.at > since) reveals.set(ask.depot, (reveals.get(ask.depot) ?? 0) + 1);
	return [...reveals.entries()]
		.map(([depot, count]) => {
			const budget = resolvePolicy(policies, { kind: "employee", issuer: "", subject: "", depot }).depotDailyBudget;
			return { depot, reveals: count, budget, share: count / budget };
		})
		.sort((a, b) => b.share - a.share || (a.depot < b.depot ? -1 : 1));
}
