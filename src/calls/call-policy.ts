/**
 * How long a binding may live, and how calls are counted (DESIGN "Calls instead of numbers": calls
 * have limits of their own, apart from reveals, resolved from the policy layers like them). Pure:
 * the limiter object judges a call with these rules through the same `decide` that judges reveals.
 */
import type { RuleUsage } from "../limits/decide";
import type { EffectivePolicy } from "../limits/policy";
import type { Leg } from "../shipments/legs";

/** The longest a binding lives, whatever the leg (the policy maximum, 2 hours). */
export const CALL_MAX_SECONDS = 2 * 60 * 60;

/**
 * The shortest binding worth making: Alibaba's BindAxb refuses an Expiration less than a minute
 * ahead, and a call needs time to be dialled. A leg ending sooner than this is treated as closing.
 */
export const CALL_MIN_SECONDS = 120;

/**
 * The principal's policy with its call rules (`calls`, resolved from the layers: src/limits/policy.ts)
 * as its enforced rules: `decide` then counts calls exactly as it counts reveals. The refusal budget
 * and detection thresholds stay the principal's own.
 */
export function callPolicy(base: EffectivePolicy): EffectivePolicy {
	return { ...base, enforced: base.calls, shadow: [] };
}

/** A call rule's name where clients read it (RateLimit fields, a 429's `limit`): `call_burst`, `call_daily`, `call_distinct`. */
export const callLimitName = (kind: string) => `call_${kind}`;

/** A call's refusal as its entry and the what-if name it: a call limit as `call_burst`, …; any other refusal as itself. */
export const callRefusalName = (refusal: string) => (refusal === "burst" || refusal === "daily" || refusal === "distinct" ? callLimitName(refusal) : refusal);

/** RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers-11 §3, §4) of the call rules, named apart from the reveal rules. */
export function callRateLimitHeaders(usage: readonly RuleUsage[]): Record<string, string> {
	if (usage.length === 0) return {};
	return {
		"RateLimit-Policy": usage.map(({ rule }) => `"${callLimitName(rule.kind)}";q=${rule.limit};w=${rule.windowSeconds}`).join(", "),
		RateLimit: usage.map(({ rule, remaining, resetSeconds }) => `"${callLimitName(rule.kind)}";r=${remaining};t=${resetSeconds}`).join(", "),
	};
}

/** When a binding for this leg must be gone: the leg's end when it is known (delivered, in its grace), and never past the maximum. */
export function callExpiry(leg: Pick<Leg, "closeAfter"> | null, now: number, maxSeconds: number = CALL_MAX_SECONDS): number {
	const cap = now + maxSeconds * 1000;
	return leg?.closeAfter != null ? Math.min(cap, leg.closeAfter) : cap;
}

/** The key of a call's leg in `calls` (`leg_key`): the same leg is its number and when it opened; a case call has none. */
export const callLegKey = (legN: number | null, legOpenedAt: number | null) => (legN === null ? "case" : `${legN}:${legOpenedAt}`);

/** A live binding as the double-tap check sees it. */
export interface LiveCall {
	id: string;
	legN: number | null;
	legOpenedAt: number | null;
	expiresAt: number;
	/** Its end was asked for (the caller hung up, or ops ended it) and the unbind has not gone through yet: the minute cron retries it. */
	endRequested: boolean;
}

/** Whether a live binding is on this ask's leg (none, for a case) and not expired, whether or not its end was asked for. */
export function onLeg(live: LiveCall | null, leg: Pick<Leg, "n" | "openedAt"> | null, now: number): boolean {
	if (!live || live.expiresAt <= now) return false;
	return leg === null ? live.legN === null : live.legN === leg.n && live.legOpenedAt === leg.openedAt;
}

/**
 * Whether a live binding serves this ask: on its leg, and nobody asked for its end. A double tap is
 * not a second call; a binding ended by its caller or by ops is never handed out again, even while
 * the provider has not let it go.
 */
export function reusable(live: LiveCall | null, leg: Pick<Leg, "n" | "openedAt"> | null, now: number): boolean {
	return onLeg(live, leg, now) && live?.endRequested === false;
}
