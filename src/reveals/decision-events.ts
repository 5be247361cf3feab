import type { AuditActor, AuditEvent } from "../audit/entry";
import type { ContactField } from "../crypto/envelope";
import type { Decision } from "../limits/decide";
import type { LegRefusal } from "../shipments/leg-gate";
import type { Purpose, ScopeRefusal } from "./scope";

/** What the worker knows of an ask before the limiter decides: the token it would issue, and why scope refused. */
export interface AskDraft {
	recordId: string;
	purpose: Purpose;
	fields: readonly ContactField[];
	/** Why the scope rules or the leg gate refused, when they did (the limiter sees only the class). */
	scopeReason: ScopeRefusal | LegRefusal | null;
	/** A customer_service ask's case, recorded with its decision. */
	caseId?: string;
	/** What a report-only leg requirement would have refused: recorded with the grant. */
	legWouldRefuse?: LegRefusal;
	/** The reveal token's id and expiry, named in the grant's entry before the token is signed. */
	jti: string;
	expiresAt: number;
}

/**
 * The audit entries of one ask's decision: `reveal.granted` (with the token's id and expiry) or
 * `reveal.denied` (with the reason, and `principal.suspended` when it suspended), and any
 * report-only refusals. Pure: the limiter object writes them in the decision's own transaction.
 */
export function askEvents(actor: AuditActor, draft: AskDraft, decision: Decision, now: number): AuditEvent[] {
	const event = (kind: AuditEvent["kind"], details: AuditEvent["details"]): AuditEvent => ({
		kind,
		at: now,
		actor,
		recordId: draft.recordId,
		details: { purpose: draft.purpose, fields: [...draft.fields], ...(draft.caseId !== undefined ? { case_id: draft.caseId } : {}), ...details },
	});
	const shadow: AuditEvent["details"] = decision.shadowRefusals.length > 0 ? { report_only_refusals: decision.shadowRefusals } : {};
	if (decision.granted) {
		const legs: AuditEvent["details"] = draft.legWouldRefuse ? { leg_would_refuse: draft.legWouldRefuse } : {};
		return [event("reveal.granted", { jti: draft.jti, expires_at: draft.expiresAt, ...shadow, ...legs })];
	}
	const reason = decision.refusal === "out_of_scope" || decision.refusal === "purpose_mismatch" ? (draft.scopeReason ?? decision.refusal) : decision.refusal;
	const events = [event("reveal.denied", { reason, ...(decision.retryAfterSeconds ? { retry_after_seconds: decision.retryAfterSeconds } : {}), ...shadow })];
	if (decision.suspend) {
		events.push({ kind: "principal.suspended", at: now, actor, recordId: draft.recordId, details: { reason: decision.suspend.reason, by: "detection" } });
	}
	return events;
}

/** What the worker knows of a redeem before the limiter marks it: the verified token's claims. */
export interface RedeemDraft {
	jti: string;
	recordId: string;
	purpose: string;
	fields: readonly string[];
	/** The token's expiry: its single-use mark must outlive it. */
	expiresAt: number;
}

export function redeemEvent(
	actor: AuditActor,
	draft: RedeemDraft,
	kind: "reveal.redeemed" | "reveal.refused" | "reveal.voided",
	now: number,
	reason?: string,
): AuditEvent {
	return {
		kind,
		at: now,
		actor,
		recordId: draft.recordId,
		details: { jti: draft.jti, purpose: draft.purpose, fields: [...draft.fields], ...(reason ? { reason } : {}) },
	};
}
