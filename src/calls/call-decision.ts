/**
 * A call's decision in the principal's limiter object, and the audit entries it commits. Pure.
 * A call is judged like a reveal of `phone` (DESIGN "Calls instead of numbers"): a honeytoken
 * suspends, a suspension refuses, asking about someone else's parcel is probing, a purpose that
 * does not cover the phone is refused; then the leg, then the call limits, counted through the
 * same `decide` as reveals but over the principal's calls, not their reveals.
 */
import type { AuditActor, AuditEvent } from "../audit/entry";
import { apply, type Decision, decide, type LimiterAsk, type LimiterState, standing } from "../limits/decide";
import type { EffectivePolicy } from "../limits/policy";
import type { Purpose, ScopeRefusal } from "../reveals/scope";
import type { LegRefusal } from "../shipments/leg-gate";
import { callLimitName, callRefusalName } from "./call-policy";

export interface CallAsk extends LimiterAsk {
	/** Why the leg does not allow the call, when it does not (decided by the worker from the legs it read). */
	legRefusal: LegRefusal | null;
	/** A live binding of the same person, record and leg exists: granted again without counting. */
	reuse: boolean;
	/** The opened_at of the leg the call rides on (null for a case): kept with the call, so a plaintext phone reveal can tell it was made on that leg. */
	legOpenedAt?: number | null;
}

export type CallRefusal = NonNullable<Decision["refusal"]> | LegRefusal;

export interface CallDecision extends Omit<Decision, "refusal"> {
	refusal: CallRefusal | null;
}

/** The calls a principal made in the last 24 hours, kept beside (not inside) the reveal state; each names the leg it rode on (src/calls/plaintext-phone.ts). */
export interface CallState {
	grants: (LimiterState["grants"][number] & { legOpenedAt?: number })[];
	quotaAlertAt: number | null;
}

export const EMPTY_CALLS: CallState = { grants: [], quotaAlertAt: null };

/** The state `decide` judges a call by: the calls as grants, the reveal state's probes and suspension (one person, one suspension). */
export function callView(reveals: LimiterState, calls: CallState): LimiterState {
	return { grants: calls.grants, probes: reveals.probes, suspension: reveals.suspension, quotaAlertAt: calls.quotaAlertAt };
}

/** `policy` carries the call rules (callPolicy). */
export function decideCall(state: LimiterState, ask: CallAsk, policy: EffectivePolicy, now: number): CallDecision {
	if (ask.honeytoken || state.suspension || ask.class !== "in_scope") return decide(state, ask, policy, now);
	const base = { shadowRefusals: [], alerts: [], usage: standing(state, policy, now), suspend: null, retryAfterSeconds: null };
	// Work that is not (or no longer) the asker's: refused, audited, never counted toward suspension.
	if (ask.legRefusal) return { ...base, granted: false, refusal: ask.legRefusal };
	if (ask.reuse) return { ...base, granted: true, refusal: null };
	const decision = decide(state, ask, policy, now);
	// A call quota reached is news under its own name.
	return {
		...decision,
		alerts: decision.alerts.map((alert) =>
			alert.kind === "daily_quota_reached" ? { ...alert, details: { ...alert.details, limit: callLimitName(String(alert.details.limit)) } } : alert,
		),
	};
}

/** The reveal state and call state after a call's decision: a new binding counted, probes and a suspension recorded. */
export function applyCall(
	reveals: LimiterState,
	calls: CallState,
	ask: CallAsk,
	decision: CallDecision,
	now: number,
): { reveals: LimiterState; calls: CallState } {
	// A reused binding and a leg refusal count nothing: as far as `apply` is concerned, nothing was granted or probed.
	const counted = decision.granted && !ask.reuse;
	const next = apply(
		callView(reveals, calls),
		ask,
		{ ...decision, granted: counted, refusal: ask.legRefusal ? null : (decision.refusal as Decision["refusal"]) },
		now,
	);
	// `apply` keeps the earlier grants as they were (with their legs) and appends this one: it names its leg.
	const grants: CallState["grants"] = next.grants;
	const added = grants.at(-1);
	if (counted && added && added.at === now && ask.legOpenedAt != null) grants[grants.length - 1] = { ...added, legOpenedAt: ask.legOpenedAt };
	return {
		reveals: { ...reveals, probes: next.probes, suspension: next.suspension },
		calls: { grants, quotaAlertAt: next.quotaAlertAt },
	};
}

/** The calls state once a counted call is given back (the provider failed, or a racing tap won): its grant is gone. */
export function releaseCall(calls: CallState, recordId: string, at: number): CallState {
	const index = calls.grants.findLastIndex((grant) => grant.recordId === recordId && grant.at === at);
	return index === -1 ? calls : { ...calls, grants: calls.grants.filter((_, i) => i !== index) };
}

/** What the worker knows of a call before the limiter decides. */
export interface CallDraft {
	callId: string;
	recordId: string;
	purpose: Purpose;
	/** The leg it rides on; null for customer_service. */
	leg: { shipmentId: string; n: number; kind: string } | null;
	caseId: string | null;
	expiresAt: number;
	scopeReason: ScopeRefusal | null;
}

/**
 * The audit entries of a call's decision: `call.granted` (naming the call before the binding
 * exists) or `call.denied`, with `principal.suspended` when it suspended. Never a phone number.
 */
export function callEvents(actor: AuditActor, draft: CallDraft, ask: CallAsk, decision: CallDecision, now: number): AuditEvent[] {
	const event = (kind: AuditEvent["kind"], details: AuditEvent["details"]): AuditEvent => ({
		kind,
		at: now,
		actor,
		recordId: draft.recordId,
		details: { purpose: draft.purpose, ...(draft.caseId ? { case_id: draft.caseId } : {}), ...details },
	});
	if (decision.granted) {
		return [
			event("call.granted", {
				call_id: draft.callId,
				expires_at: draft.expiresAt,
				...(draft.leg ? { shipment_id: draft.leg.shipmentId, leg: draft.leg.n, leg_kind: draft.leg.kind } : {}),
				...(ask.reuse ? { reused: true } : {}),
			}),
		];
	}
	const refusal = decision.refusal;
	const reason = refusal === "out_of_scope" || refusal === "purpose_mismatch" ? (draft.scopeReason ?? refusal) : callRefusalName(String(refusal));
	// Refused by the leg gate for an ask in scope (never a probe), told apart from an ask whose class was no work of theirs
	// (a probe) that records the same reason: the what-if replays each as the limiter judged it.
	const byLegGate = ask.legRefusal !== null && refusal === ask.legRefusal;
	const events = [
		event("call.denied", {
			reason,
			...(byLegGate ? { leg_refusal: true } : {}),
			...(decision.retryAfterSeconds ? { retry_after_seconds: decision.retryAfterSeconds } : {}),
		}),
	];
	if (decision.suspend) {
		events.push({ kind: "principal.suspended", at: now, actor, recordId: draft.recordId, details: { reason: decision.suspend.reason, by: "detection" } });
	}
	return events;
}

/** A counted call the provider could not bind: given back, and said so (provider and its code, never a number). */
export function callFailedEvent(
	actor: AuditActor,
	draft: Pick<CallDraft, "callId" | "recordId" | "purpose">,
	failure: { provider: string; failure: string; providerCode?: string | undefined; action: string },
	now: number,
): AuditEvent {
	return {
		kind: "call.failed",
		at: now,
		actor,
		recordId: draft.recordId,
		details: {
			call_id: draft.callId,
			purpose: draft.purpose,
			provider: failure.provider,
			action: failure.action,
			failure: failure.failure,
			...(failure.providerCode ? { provider_code: failure.providerCode } : {}),
		},
	};
}
