import type { ActivityAlert } from "./activity";
import { DAY_SECONDS, type EffectivePolicy, type LimitKind, type PlaintextPhoneKind, type Rule, type RuleKind } from "./policy";

/** Ten out-of-scope asks within an hour suspend (DESIGN "Immediate suspension"). */
export const PROBE_LIMIT = 10;
export const PROBE_WINDOW_MS = 60 * 60 * 1000;

/** Everything the limiter knows about one principal. Times are ms since the epoch, ascending. */
export interface LimiterState {
	/**
	 * Grants of the last 24 hours (the longest window any rule may have); `case` marks customer_service
	 * grants, for the case limit; `phone` a plaintext phone for delivery or pickup, for its own limit.
	 */
	grants: { at: number; recordId: string; case?: true; phone?: true }[];
	/** Out-of-scope asks of the last hour, and asks about records without work the asker ever held: they suspend on the tenth. */
	probes: number[];
	/**
	 * Stale asks of the last hour, counted apart from probes: about a leg that closed or moved away
	 * from the asker recently. Absent in state written before legs gated reveals.
	 */
	stale?: number[];
	suspension: Suspension | null;
	/** When a daily-quota alert was last raised, so one is raised per quota-day, not per refusal. */
	quotaAlertAt: number | null;
}

export interface Suspension {
	at: number;
	reason: "honeytoken" | "out_of_scope_probing" | "ops";
	by: string;
}

export const EMPTY_STATE: LimiterState = { grants: [], probes: [], stale: [], suspension: null, quotaAlertAt: null };

/**
 * How the vault judged the ask before the limiter: its scope rules, the leg gate and the
 * honeytoken list (DESIGN "Reveals follow the work").
 * - out_of_scope: not the asker's record, nor one they held work on recently: probing;
 * - no_open_leg: the asker's record, but no work of theirs on it, open or recent: probing too;
 * - stale: work the asker held closed or moved away within the stale window: their screen is
 *   behind, so refused but never counted toward suspension;
 * - purpose_mismatch: the purpose does not cover the party or fields (or names no case).
 */
export type AskClass = "in_scope" | "out_of_scope" | "no_open_leg" | "stale" | "purpose_mismatch";

export interface LimiterAsk {
	recordId: string;
	class: AskClass;
	honeytoken: boolean;
	/** A customer_service ask: counted against the case limit. */
	case?: boolean;
	/**
	 * A plaintext phone for delivery or pickup (src/calls/plaintext-phone.ts): it needs a call on the
	 * open leg opened at `legOpenedAt` (null: no leg is open, as under a report-only leg policy) and
	 * counts against the plaintext phone limit, and a binding on it (`bound`).
	 */
	plaintextPhone?: {
		legOpenedAt: number | null;
		/** Whether a binding of the person's on that leg is recorded (`calls`); absent where nothing was read (the policy simulation). */
		bound?: boolean;
	};
}

export type Refusal =
	| "suspended"
	| "honeytoken"
	| "out_of_scope_probing"
	| "out_of_scope"
	| "no_open_leg"
	| "stale"
	| "purpose_mismatch"
	| "cases"
	| "call_first"
	| PlaintextPhoneKind
	| LimitKind;

export interface RuleUsage {
	rule: Rule<RuleKind>;
	/** Grants left in the window after this decision. */
	remaining: number;
	/** Seconds until the window has room again (or until it is wholly fresh when it has room). */
	resetSeconds: number;
}

export interface AlertIntent {
	severity: "warning" | "critical";
	kind: "honeytoken_touched" | "out_of_scope_probing" | "daily_quota_reached" | ActivityAlert;
	details: Record<string, string | number | boolean | null>;
}

export interface Decision {
	granted: boolean;
	refusal: Refusal | null;
	/** Seconds until an ask could succeed, for 429 Retry-After. */
	retryAfterSeconds: number | null;
	/** Report-only rules that would have refused this ask (whether or not it was granted). */
	shadowRefusals: { kind: LimitKind; layer: string; target: string; limit: number }[];
	suspend: Suspension | null;
	alerts: AlertIntent[];
	/** Enforced rules after this decision, for the RateLimit headers. */
	usage: RuleUsage[];
}

function inWindow(times: readonly number[], now: number, windowMs: number): number[] {
	return times.filter((at) => at > now - windowMs);
}

/** What one rule says about granting `recordId` now: room left, or when room appears. */
function evaluate(rule: Rule, state: LimiterState, recordId: string, now: number): { refuses: boolean; retryAt: number; used: number } {
	const windowMs = rule.windowSeconds * 1000;
	if (rule.kind === "distinct") {
		// A record counts from its latest grant in the window; asking again for one already counted is free.
		const latest = new Map<string, number>();
		for (const grant of state.grants) if (grant.at > now - windowMs) latest.set(grant.recordId, grant.at);
		if (latest.has(recordId)) return { refuses: false, retryAt: now, used: latest.size };
		if (latest.size < rule.limit) return { refuses: false, retryAt: now, used: latest.size };
		const exits = [...latest.values()].sort((a, b) => a - b);
		return { refuses: true, retryAt: (exits[latest.size - rule.limit] as number) + windowMs, used: latest.size };
	}
	const times = inWindow(
		state.grants.map((grant) => grant.at),
		now,
		windowMs,
	);
	if (times.length < rule.limit) return { refuses: false, retryAt: now, used: times.length };
	// Room appears when enough of the oldest grants have left the window.
	return { refuses: true, retryAt: (times[times.length - rule.limit] as number) + windowMs, used: times.length };
}

/**
 * The limiter's decision: a pure function of state, ask, policy and time. Every rule, enforcing
 * or report-only, is evaluated before anything is decided, so a shadow rule can never hide an
 * enforcing one (nor the other way round). A refused ask consumes nothing; `apply` records only
 * grants and probes.
 */
export function decide(state: LimiterState, ask: LimiterAsk, policy: EffectivePolicy, now: number): Decision {
	// Every answer carries the principal's standing (RateLimit fields on refusals too): a refusal
	// decided before the rules are weighed consumes nothing, so it reports where the rules stand.
	// Only those refusals weigh it apart: a rule's evaluation reads every grant of the day, and an
	// ask that reaches the rules reports the standing their evaluation gives.
	const quiet = { shadowRefusals: [], alerts: [], suspend: null, retryAfterSeconds: null } satisfies Partial<Decision>;
	const refusedEarly = (refusal: Refusal, more: Partial<Decision> = {}): Decision => ({
		...quiet,
		usage: standing(state, policy, now),
		...more,
		granted: false,
		refusal,
	});
	// A honeytoken touched is news even from someone already suspended: it shows a leaked list in use.
	if (ask.honeytoken) {
		return refusedEarly("honeytoken", {
			suspend: state.suspension ? null : { at: now, reason: "honeytoken", by: "detection" },
			alerts: [{ severity: "critical", kind: "honeytoken_touched", details: { record_id: ask.recordId } }],
		});
	}
	if (state.suspension) return refusedEarly("suspended");
	if (ask.class === "out_of_scope" || ask.class === "no_open_leg") {
		const probes = inWindow(state.probes, now, PROBE_WINDOW_MS).length + 1;
		if (probes >= PROBE_LIMIT) {
			return refusedEarly("out_of_scope_probing", {
				suspend: { at: now, reason: "out_of_scope_probing", by: "detection" },
				alerts: [{ severity: "critical", kind: "out_of_scope_probing", details: { probes_last_hour: probes } }],
			});
		}
		return refusedEarly(ask.class);
	}
	if (ask.class === "stale") return refusedEarly("stale");
	if (ask.class === "purpose_mismatch") return refusedEarly("purpose_mismatch");
	const cases = ask.case ? caseVerdict(state, policy.legs.caseLimit, now) : null;
	if (cases?.refuses) return refusedEarly("cases", { retryAfterSeconds: Math.max(1, Math.ceil((cases.retryAt - now) / 1000)) });

	const enforced = policy.enforced.map((rule) => ({ rule, verdict: evaluate(rule, state, ask.recordId, now) }));
	const shadow = policy.shadow.map((rule) => ({ rule, verdict: evaluate(rule, state, ask.recordId, now) }));
	const shadowRefusals = shadow
		.filter(({ verdict }) => verdict.refuses)
		.map(({ rule }) => ({ kind: rule.kind, layer: rule.layer, target: rule.target, limit: rule.limit }));
	const refusing = enforced.filter(({ verdict }) => verdict.refuses);
	const alerts: AlertIntent[] = [];
	const quotaAlertDue = state.quotaAlertAt === null || state.quotaAlertAt <= now - DAY_SECONDS * 1000;

	if (refusing.length > 0) {
		// Wait for every refusing rule: the latest of their retry times.
		const retryAt = Math.max(...refusing.map(({ verdict }) => verdict.retryAt));
		const first = refusing.find(({ rule }) => rule.kind === "daily") ?? refusing.find(({ rule }) => rule.kind === "distinct") ?? refusing[0];
		if (quotaAlertDue && refusing.some(({ rule }) => rule.kind !== "burst")) {
			alerts.push({ severity: "warning", kind: "daily_quota_reached", details: { limit: (first?.rule.kind as string) ?? "daily" } });
		}
		return {
			...quiet,
			granted: false,
			refusal: first?.rule.kind ?? "burst",
			retryAfterSeconds: Math.max(1, Math.ceil((retryAt - now) / 1000)),
			shadowRefusals,
			alerts,
			// A refusing rule resets when it next has room: the same instant Retry-After names for it.
			usage: enforced.map(({ rule, verdict }) =>
				verdict.refuses
					? { rule, remaining: 0, resetSeconds: Math.max(1, Math.ceil((verdict.retryAt - now) / 1000)) }
					: usageOf(rule, verdict.used, false, state, now),
			),
		};
	}

	const usage = enforced.map(({ rule, verdict }) => {
		const counts = rule.kind !== "distinct" || !state.grants.some((g) => g.recordId === ask.recordId && g.at > now - rule.windowSeconds * 1000);
		return usageOf(rule, verdict.used + (counts ? 1 : 0), true, state, now);
	});
	if (quotaAlertDue && usage.some(({ rule, remaining }) => rule.kind !== "burst" && remaining === 0)) {
		alerts.push({
			severity: "warning",
			kind: "daily_quota_reached",
			details: { limit: usage.find((u) => u.rule.kind !== "burst" && u.remaining === 0)?.rule.kind ?? "daily" },
		});
	}
	return { ...quiet, granted: true, refusal: null, shadowRefusals, alerts, usage };
}

/** The case limit (customer_service grants per 24 hours, src/shipments/leg-policy.ts): room left, or when it frees. */
function caseVerdict(state: LimiterState, limit: number | null, now: number): { refuses: boolean; retryAt: number } {
	if (limit === null) return { refuses: false, retryAt: now };
	const times = state.grants.filter((grant) => grant.case && grant.at > now - DAY_SECONDS * 1000).map((grant) => grant.at);
	if (times.length < limit) return { refuses: false, retryAt: now };
	return { refuses: true, retryAt: limit === 0 ? now + DAY_SECONDS * 1000 : (times[times.length - limit] as number) + DAY_SECONDS * 1000 };
}

function usageOf(rule: Rule, used: number, includesNow: boolean, state: LimiterState, now: number): RuleUsage {
	const windowMs = rule.windowSeconds * 1000;
	const oldest = state.grants.find((grant) => grant.at > now - windowMs)?.at ?? (includesNow ? now : null);
	return {
		rule,
		remaining: Math.max(0, rule.limit - used),
		resetSeconds: oldest === null ? rule.windowSeconds : Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)),
	};
}

/** One enforced rule's standing outside any ask: how much of it is used, what is left, when it resets. */
export interface RuleStanding extends RuleUsage {
	rule: Rule<LimitKind>;
	used: number;
}

/** No grant is for this record: an ask for it is an ask for a new one. */
const UNSEEN_RECORD = "";

/**
 * Where each enforced rule stands at `now`, without an ask: what ops see next to an employee, and
 * what that employee's next ask for a new record meets. Judged by `evaluate`, as `decide` judges
 * an ask: a rule with no room resets when `decide`'s Retry-After would say.
 */
export function standing(state: LimiterState, policy: EffectivePolicy, now: number): RuleStanding[] {
	return policy.enforced.map((rule) => {
		const verdict = evaluate(rule, state, UNSEEN_RECORD, now);
		if (verdict.refuses) return { rule, used: verdict.used, remaining: 0, resetSeconds: Math.max(1, Math.ceil((verdict.retryAt - now) / 1000)) };
		return { ...usageOf(rule, verdict.used, false, state, now), rule, used: verdict.used };
	});
}

/** The state after a decision: grants, probes and stale asks recorded, old entries dropped, suspension set. */
export function apply(state: LimiterState, ask: LimiterAsk, decision: Decision, now: number): LimiterState {
	const grants = state.grants.filter((grant) => grant.at > now - DAY_SECONDS * 1000);
	const probes = inWindow(state.probes, now, PROBE_WINDOW_MS);
	const stale = inWindow(state.stale ?? [], now, PROBE_WINDOW_MS);
	if (decision.granted) {
		grants.push({ at: now, recordId: ask.recordId, ...(ask.case ? { case: true as const } : {}), ...(ask.plaintextPhone ? { phone: true as const } : {}) });
	}
	if (decision.refusal === "out_of_scope" || decision.refusal === "no_open_leg" || decision.refusal === "out_of_scope_probing") probes.push(now);
	if (decision.refusal === "stale") stale.push(now);
	return {
		grants,
		probes,
		stale,
		suspension: decision.suspend ?? state.suspension,
		quotaAlertAt: decision.alerts.some((alert) => alert.kind === "daily_quota_reached") ? now : state.quotaAlertAt,
	};
}
