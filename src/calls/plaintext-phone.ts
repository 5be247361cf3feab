/**
 * The plaintext phone as the exception (DESIGN "Calls instead of numbers"): a courier calls the
 * customer through a privacy number, and a reveal of the phone itself for a delivery or pickup is
 * granted only after a call was made on the leg (the bridge was tried and did not serve), under a
 * tight daily limit of its own per role. Pure: the limiter object judges it in the ask it already
 * makes, with the call grants it already holds, so the reveal path gets no new round trip.
 */
import type { ContactField } from "../crypto/envelope";
import { type Decision, decide, type LimiterAsk, type LimiterState, type RuleUsage, standing } from "../limits/decide";
import { DAY_SECONDS, type EffectivePolicy } from "../limits/policy";
import type { Purpose } from "../reveals/scope";
import type { Leg } from "../shipments/legs";
import type { CallState } from "./call-decision";
import { callLegKey } from "./call-policy";

/** The purposes whose phone is reached by calling: customer_service has its case path, notify is a service's, return is left as it was. */
export const CALL_FIRST_PURPOSES: readonly Purpose[] = ["delivery", "pickup"];

/** Whether a reveal is the exception: a phone for a delivery or pickup. */
export const isPlaintextPhone = (purpose: Purpose, fields: readonly ContactField[]): boolean =>
	CALL_FIRST_PURPOSES.includes(purpose) && fields.includes("phone");

/**
 * What the worker adds to a reveal ask when it is a plaintext phone: the open leg it rides on, if
 * any, and, given the legs of the bindings the person made on the record (`boundLegs`, read from
 * `calls` beside the record), whether one of them is on that leg. The limiter counts a call when
 * it decides it, before the provider binds it: a call still being bound, or one the provider
 * refused and whose count could not be given back, opens nothing.
 */
export function plaintextPhoneAsk(
	purpose: Purpose,
	fields: readonly ContactField[],
	leg: Pick<Leg, "n" | "openedAt"> | null,
	boundLegs?: readonly string[],
): LimiterAsk["plaintextPhone"] | undefined {
	if (!isPlaintextPhone(purpose, fields)) return undefined;
	if (boundLegs === undefined) return { legOpenedAt: leg?.openedAt ?? null };
	// Without an open leg (a report-only leg policy) any binding on the record will do, as any call does.
	const bound = leg === null ? boundLegs.length > 0 : boundLegs.includes(callLegKey(leg.n, leg.openedAt));
	return { legOpenedAt: leg?.openedAt ?? null, bound };
}

/**
 * Whether the principal made a call on this record on this leg within the last 24 hours (the calls
 * the limiter keeps). A call names the leg it rode on (its opened_at); one counted before calls
 * named their leg is on this leg when it was made after the leg opened. Without an open leg (a
 * report-only leg policy) any call on the record will do. A call the provider could not bind was
 * given back (releaseCall), so it is no call here.
 */
export function calledOnLeg(calls: CallState, recordId: string, legOpenedAt: number | null, now: number): boolean {
	return calls.grants.some(
		(grant) =>
			grant.recordId === recordId &&
			grant.at > now - DAY_SECONDS * 1000 &&
			(legOpenedAt === null || (grant.legOpenedAt !== undefined ? grant.legOpenedAt === legOpenedAt : grant.at >= legOpenedAt)),
	);
}

/** The plaintext phone rule against the reveal grants: how many in the window, and when the oldest leaves it. */
function phoneUsage(state: LimiterState, policy: EffectivePolicy, now: number, counting: boolean): { usage: RuleUsage; refuses: boolean; retryAt: number } {
	const rule = policy.plaintextPhone;
	const windowMs = rule.windowSeconds * 1000;
	const times = state.grants.filter((grant) => grant.phone && grant.at > now - windowMs).map((grant) => grant.at);
	const refuses = times.length >= rule.limit;
	// With a limit of 0 nothing ever enters the window: it frees in a whole window, as Retry-After must say something true.
	const retryAt = refuses ? (rule.limit === 0 ? now + windowMs : (times[times.length - rule.limit] as number) + windowMs) : now;
	const used = times.length + (counting ? 1 : 0);
	const oldest = times[0] ?? (counting ? now : null);
	const resetSeconds = refuses
		? Math.max(1, Math.ceil((retryAt - now) / 1000))
		: oldest === null
			? rule.windowSeconds
			: Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
	return { usage: { rule, remaining: refuses ? 0 : Math.max(0, rule.limit - used), resetSeconds }, refuses, retryAt };
}

/**
 * A reveal's decision in the limiter object: `decide`, with the plaintext phone rules before it
 * for a phone of a delivery or pickup that is in scope. Honeytokens, suspensions, probing, stale
 * work and purpose refusals are `decide`'s, first, as for any reveal. Then:
 * - the plaintext phone limit reached: refused `plaintext_phone`, with Retry-After;
 * - no call on the open leg: refused `call_first`, a refusal the terminal acts on (call first),
 *   never counted toward suspension (it is the asker's own work);
 * - otherwise the reveal limits decide, and the plaintext phone rule rides in the RateLimit fields.
 */
export function decideReveal(state: LimiterState, calls: CallState, ask: LimiterAsk, policy: EffectivePolicy, now: number): Decision {
	if (!ask.plaintextPhone || ask.honeytoken || state.suspension || ask.class !== "in_scope") return decide(state, ask, policy, now);
	const before = phoneUsage(state, policy, now, false);
	// Refused before the reveal limits are weighed: nothing consumed, and the answer says where every rule stands.
	const refused = (refusal: "call_first" | "plaintext_phone", retryAfterSeconds: number | null): Decision => ({
		granted: false,
		refusal,
		retryAfterSeconds,
		shadowRefusals: [],
		suspend: null,
		alerts: [],
		usage: [...standing(state, policy, now), before.usage],
	});
	// The limit first: with none left (a clerk's is 0) "call first" would send the person on a call that cannot help.
	if (before.refuses) return refused("plaintext_phone", Math.max(1, Math.ceil((before.retryAt - now) / 1000)));
	// Counted by this object and bound at the provider, both: a binding row alone (written with SQL) is no call either.
	if (ask.plaintextPhone.bound === false || !calledOnLeg(calls, ask.recordId, ask.plaintextPhone.legOpenedAt, now)) return refused("call_first", null);
	const decision = decide(state, ask, policy, now);
	return { ...decision, usage: [...decision.usage, phoneUsage(state, policy, now, decision.granted).usage] };
}
