import type { AlertIntent, RuleUsage } from "./decide";
import { type ActivityKind, DAY_SECONDS, type ResolvedRules, type Rule } from "./policy";

/**
 * What a principal's limiter knows of its lookups and refusals (DESIGN "Principals and scopes":
 * every lookup is counted, and refused asks are not free). Times are ms since the epoch, ascending.
 */
export interface ActivityState {
	/** Granted lookups inside the longest lookup burst window; never more than MAX_TIMES. */
	lookups: number[];
	/** Granted lookups per minute of the last 24 hours, as [minute start, count]. */
	lookupMinutes: [number, number][];
	/** Employee shipment lookups that found nothing in the employee's scope, last hour. */
	misses: number[];
	/** Refusals that were audited one by one, last hour; past the budget they are summed instead. */
	refusals: number[];
	/** When each kind of activity alert was last raised, so one is raised per window, not per refusal. */
	alertedAt: Partial<Record<ActivityAlert, number>>;
}

export type ActivityAlert = "lookup_limit_reached" | "lookup_misses_exceeded" | "refusal_budget_exhausted";

export const EMPTY_ACTIVITY: ActivityState = { lookups: [], lookupMinutes: [], misses: [], refusals: [], alertedAt: {} };

const MINUTE_MS = 60_000;
/** A bound on the timestamps kept per list, whatever a report-only layer's window asks for. */
const MAX_TIMES = 10_000;

export interface LookupAsk {
	/** An employee's shipment lookup that found nothing in their scope. */
	miss: boolean;
}

export interface LookupDecision {
	granted: boolean;
	refusal: "lookup_burst" | "lookup_daily" | "misses" | null;
	retryAfterSeconds: number | null;
	/** Enforced lookup rules after this decision, for the RateLimit headers. */
	usage: RuleUsage[];
	/** Report-only rules that would have refused it. */
	shadowRefusals: { kind: string; layer: string; target: string; limit: number }[];
	alerts: AlertIntent[];
}

function since(times: readonly number[], now: number, windowSeconds: number): number[] {
	return times.filter((at) => at > now - windowSeconds * 1000);
}

/** How a rule stands at `now`: used, and when room appears if there is none. */
function lookupVerdict(rule: Rule<ActivityKind>, state: ActivityState, now: number): { used: number; retryAt: number | null } {
	const windowMs = rule.windowSeconds * 1000;
	if (rule.kind === "lookup_daily") {
		const minutes = state.lookupMinutes.filter(([start]) => start > now - windowMs);
		const used = minutes.reduce((sum, [, count]) => sum + count, 0);
		if (used < rule.limit) return { used, retryAt: null };
		// Room appears when enough whole minutes have left the window.
		let freed = 0;
		for (const [start, count] of minutes) {
			freed += count;
			if (used - freed < rule.limit) return { used, retryAt: start + MINUTE_MS + windowMs };
		}
		return { used, retryAt: now + windowMs };
	}
	const times = since(rule.kind === "misses" ? state.misses : state.lookups, now, rule.windowSeconds);
	if (times.length < rule.limit) return { used: times.length, retryAt: null };
	return { used: times.length, retryAt: (times[times.length - rule.limit] as number) + windowMs };
}

const secondsUntil = (at: number, now: number) => Math.max(1, Math.ceil((at - now) / 1000));

function alertDue(state: ActivityState, kind: ActivityAlert, now: number, windowSeconds: number): boolean {
	const last = state.alertedAt[kind];
	return last === undefined || last <= now - windowSeconds * 1000;
}

/**
 * Decides a lookup (a shipment scan, a service's phone lookup): a pure function of state, rules and
 * time, like `decide` for reveals. Once the miss budget is spent every lookup is refused until it
 * frees, so a clerk enumerating waybill numbers stops finding anything, and ops hear of it once.
 */
export function decideLookup(state: ActivityState, ask: LookupAsk, rules: ResolvedRules<ActivityKind>, now: number): LookupDecision {
	const lookupRules = (list: readonly Rule<ActivityKind>[]) =>
		list.filter((rule) => rule.kind === "lookup_burst" || rule.kind === "lookup_daily" || rule.kind === "misses");
	const enforced = lookupRules(rules.enforced).map((rule) => ({ rule, verdict: lookupVerdict(rule, state, now) }));
	const shadowRefusals = lookupRules(rules.shadow)
		.filter((rule) => lookupVerdict(rule, state, now).retryAt !== null)
		.map((rule) => ({ kind: rule.kind, layer: rule.layer, target: rule.target, limit: rule.limit }));
	const refusing = enforced.filter(({ verdict }) => verdict.retryAt !== null);
	const alerts: AlertIntent[] = [];
	if (refusing.length > 0) {
		const misses = refusing.find(({ rule }) => rule.kind === "misses");
		const first = misses ?? refusing[0];
		const retryAt = Math.max(...refusing.map(({ verdict }) => verdict.retryAt as number));
		const kind: ActivityAlert = misses ? "lookup_misses_exceeded" : "lookup_limit_reached";
		const window = first?.rule.windowSeconds ?? DAY_SECONDS;
		if (alertDue(state, kind, now, window)) {
			alerts.push({ severity: misses ? "critical" : "warning", kind, details: { limit: first?.rule.kind ?? "lookup_burst", allowed: first?.rule.limit ?? 0 } });
		}
		return {
			granted: false,
			refusal: (first?.rule.kind as LookupDecision["refusal"]) ?? "lookup_burst",
			retryAfterSeconds: secondsUntil(retryAt, now),
			usage: enforced.map(({ rule, verdict }) => ({
				rule,
				remaining: verdict.retryAt !== null ? 0 : Math.max(0, rule.limit - verdict.used),
				resetSeconds: verdict.retryAt !== null ? secondsUntil(verdict.retryAt, now) : rule.windowSeconds,
			})),
			shadowRefusals,
			alerts,
		};
	}
	const usage = enforced.map(({ rule, verdict }) => {
		const counts = rule.kind !== "misses" || ask.miss;
		return { rule, remaining: Math.max(0, rule.limit - verdict.used - (counts ? 1 : 0)), resetSeconds: rule.windowSeconds };
	});
	return { granted: true, refusal: null, retryAfterSeconds: null, usage, shadowRefusals, alerts };
}

/** The state after a lookup decision: a granted lookup counted, a miss remembered, alerts dated. */
export function applyLookup(state: ActivityState, ask: LookupAsk, decision: LookupDecision, rules: ResolvedRules<ActivityKind>, now: number): ActivityState {
	const longest = Math.max(60, ...[...rules.enforced, ...rules.shadow].filter((rule) => rule.kind === "lookup_burst").map((rule) => rule.windowSeconds));
	const lookups = since(state.lookups, now, longest);
	const lookupMinutes = state.lookupMinutes.filter(([start]) => start > now - DAY_SECONDS * 1000).map(([start, count]) => [start, count] as [number, number]);
	const misses = since(state.misses, now, 3600);
	if (decision.granted) {
		lookups.push(now);
		const minute = now - (now % MINUTE_MS);
		const last = lookupMinutes.at(-1);
		if (last && last[0] === minute) last[1] += 1;
		else lookupMinutes.push([minute, 1]);
		if (ask.miss) misses.push(now);
	}
	return {
		...state,
		lookups: lookups.slice(-MAX_TIMES),
		lookupMinutes,
		misses: misses.slice(-MAX_TIMES),
		alertedAt: dated(state.alertedAt, decision.alerts, now),
	};
}

function dated(alertedAt: ActivityState["alertedAt"], alerts: readonly AlertIntent[], now: number): ActivityState["alertedAt"] {
	const next = { ...alertedAt };
	for (const alert of alerts) next[alert.kind as ActivityAlert] = now;
	return next;
}

export interface RefusalCount {
	/** True while the refusal budget lasts: the refusal is audited on its own. Past it, summed per minute. */
	withinBudget: boolean;
	/** When the budget has room again; null while it has room. */
	retryAfterSeconds: number | null;
	alerts: AlertIntent[];
	next: ActivityState;
}

/**
 * Counts one refusal against the principal's refusal budget (DESIGN: refused asks are counted
 * too). Within the budget it is audited like any decision; past it the caller answers 429 and
 * the refusal only adds to a per-minute summary entry, so no client can flood the audit chain or
 * the single database writer with refusals. Pure.
 */
export function countRefusal(state: ActivityState, rules: ResolvedRules<ActivityKind>, now: number): RefusalCount {
	const rule = rules.enforced.find((candidate) => candidate.kind === "refusals");
	const refusals = since(state.refusals, now, rule?.windowSeconds ?? 3600);
	if (!rule || refusals.length < rule.limit) {
		return { withinBudget: true, retryAfterSeconds: null, alerts: [], next: { ...state, refusals: [...refusals, now].slice(-MAX_TIMES) } };
	}
	const retryAt = (refusals[refusals.length - rule.limit] as number) + rule.windowSeconds * 1000;
	const alerts: AlertIntent[] = alertDue(state, "refusal_budget_exhausted", now, rule.windowSeconds)
		? [{ severity: "warning", kind: "refusal_budget_exhausted", details: { allowed: rule.limit, window_seconds: rule.windowSeconds } }]
		: [];
	return {
		withinBudget: false,
		retryAfterSeconds: secondsUntil(retryAt, now),
		alerts,
		next: { ...state, refusals, alertedAt: dated(state.alertedAt, alerts, now) },
	};
}
