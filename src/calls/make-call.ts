/**
 * `POST /v1/calls`: a privacy-number (AXB) binding between the employee's own phone and the
 * customer's, behind a virtual number X (DESIGN "Calls instead of numbers"). Judged like a reveal
 * of `phone`, counted under limits of its own; the customer's number leaves the vault only
 * towards the telephony provider, and nothing answered, logged or audited holds it.
 */
import { actorOf } from "../audit/actor";
import type { AuditEvent } from "../audit/entry";
import type { EmployeePrincipal } from "../auth/principal";
import { openContact } from "../crypto/envelope";
import type { Keyring } from "../crypto/keyring";
import { ProblemError } from "../http/problem";
import type { EffectivePolicy } from "../limits/policy";
import type { CallOutcome } from "../limits/principal-limiter";
import type { RecordStore } from "../records/store";
import { judgeAsk } from "../reveals/ask-class";
import { refusalsProblem } from "../reveals/refusals-problem";
import { type CountedRefusal, refusalBeforeLimiter, refusedBeforeLimiter } from "../reveals/refused-before-limiter";
import type { Purpose, ScopeRefusal } from "../reveals/scope";
import { type LegRefusal, openLegFor } from "../shipments/leg-gate";
import type { LegPolicy } from "../shipments/leg-policy";
import { type CallAsk, type CallDecision, type CallDraft, callFailedEvent } from "./call-decision";
import { CALL_MIN_SECONDS, callExpiry, callLimitName, callPolicy, callRateLimitHeaders, onLeg, reusable } from "./call-policy";
import type { CallStore } from "./call-store";
import { telephonyProblem } from "./telephony-problem";
import { TelephonyError, type TelephonyProvider } from "./telephony-provider";

export interface CallDeps {
	records: RecordStore;
	calls: CallStore;
	keyring: Promise<Keyring>;
	/** The configured provider; throws the 503 naming TELEPHONY when it is missing or malformed. */
	provider: () => TelephonyProvider;
	/** The principal's limits (the refusal budget is theirs; the call rules replace the reveal rules). */
	policy: Promise<EffectivePolicy>;
	legPolicy: Promise<LegPolicy>;
	/** The principal's limiter object: decides the call and commits its entries (fails closed with 503). */
	limiter: (ask: CallAsk, policy: EffectivePolicy, draft: CallDraft) => Promise<CallOutcome>;
	/** A counted call that did not become a binding: given back (`release`) and audited. */
	failed: (recordId: string, countedAt: number, release: boolean, event: AuditEvent) => Promise<void>;
	/** A refusal decided before the limiter (no such record), as for reveals. */
	refuse: (reason: string, recordId: string, policy: EffectivePolicy, event: AuditEvent) => Promise<CountedRefusal>;
}

export interface CallRequest {
	recordId: string;
	purpose: Purpose;
	caseId?: string | undefined;
}

export interface CallMade {
	callId: string;
	virtualNumber: string;
	expiresAt: number;
	headers: Record<string, string>;
	/** A double tap: the binding already live for this record and leg. */
	reused: boolean;
}

/** `call_` and 20 random bytes in hex: the provider keeps it as OutId, so it holds nothing else. */
export function newCallId(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(20));
	return `call_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export const CALL_ID_PATTERN = /^call_[0-9a-f]{40}$/;

/** How long to wait for a binding whose end did not go through: the minute cron tries the unbind again. */
const CALL_ENDING_RETRY_SECONDS = 60;

export async function makeCall(deps: CallDeps, principal: EmployeePrincipal, request: CallRequest, now: number): Promise<CallMade> {
	const phoneA = principal.phoneNumber;
	if (!phoneA) {
		throw new ProblemError("phone-number-required", {
			detail: "Your token carries no phone number (the `phone_number` claim, E.164), so there is no phone to connect you on; no call was set up.",
		});
	}
	// The provider's configuration before anything is counted: a vault without telephony answers 503 naming TELEPHONY.
	const provider = deps.provider();
	const actor = actorOf(principal);
	const [{ record, honeytoken, legs }, live, base, legPolicy] = await Promise.all([
		deps.records.getForAsk(request.recordId),
		deps.calls.live(principal.issuer, principal.subject, request.recordId, now),
		deps.policy,
		deps.legPolicy,
	]);
	const policy = callPolicy(base);
	const early = refusalBeforeLimiter(record, honeytoken);
	if (early !== null || !record) {
		const reason = early ?? "record_not_found";
		const denied: AuditEvent = { kind: "call.denied", at: now, actor, recordId: request.recordId, details: { purpose: request.purpose, reason } };
		throw refusedBeforeLimiter(reason, await deps.refuse(reason, request.recordId, policy, denied), callRateLimitHeaders);
	}
	// Judged as a reveal of the phone is (src/reveals/ask-class.ts): a record never held is probing and
	// counts toward suspension; work that moved away or ended recently is stale and never does.
	const judged = judgeAsk({ principal, record, legs, purpose: request.purpose, fields: ["phone"], caseId: request.caseId, policy: legPolicy, now });
	const leg = openLegFor({ principal, record, legs, purpose: request.purpose, now });
	// To the second, down: the provider takes whole seconds, and a binding never outlives its leg.
	const expiresAt = Math.floor(callExpiry(leg, now) / 1000) * 1000;
	// A call needs the leg open whatever a report-only trial says: a binding lives on the leg.
	// A customer_service call without its case is refused as the leg rules refuse, counted nowhere.
	const caseMissing = judged.reason === "case_required";
	const askClass = caseMissing ? "in_scope" : judged.class;
	let legRefusal: LegRefusal | null = caseMissing ? "case_required" : askClass === "in_scope" ? judged.legWouldRefuse : null;
	// A leg ending within the provider's minimum is as good as closed: refresh, not retry.
	if (askClass === "in_scope" && legRefusal === null && expiresAt - now < CALL_MIN_SECONDS * 1000) legRefusal = "stale";
	const existing = live.find((call) => reusable(call, leg, now)) ?? null;
	// Ended by its caller or by ops, but not yet let go by the provider: handed out to nobody, and a
	// new one waits until the minute cron has ended it (one live binding per leg). Nothing is counted.
	if (askClass === "in_scope" && legRefusal === null && live.some((call) => call.endRequested && onLeg(call, leg, now))) {
		throw new ProblemError("call-ending", {
			detail: "Your earlier call on this parcel is still being ended at the phone provider; try again in a minute.",
			headers: { "Retry-After": String(CALL_ENDING_RETRY_SECONDS) },
		});
	}
	const draft: CallDraft = {
		callId: existing?.id ?? newCallId(),
		recordId: record.id,
		purpose: request.purpose,
		leg: leg ? { shipmentId: leg.shipmentId, n: leg.n, kind: leg.kind } : null,
		caseId: request.caseId ?? null,
		expiresAt: Math.min(existing?.expiresAt ?? expiresAt, expiresAt),
		scopeReason: judged.class === "purpose_mismatch" && !caseMissing ? (judged.reason as ScopeRefusal) : null,
	};
	const ask: CallAsk = {
		recordId: record.id,
		class: askClass,
		honeytoken,
		legRefusal,
		reuse: existing !== null,
		legOpenedAt: leg?.openedAt ?? null,
	};
	const outcome = await deps.limiter(ask, policy, draft);
	const headers = callRateLimitHeaders(outcome.decision.usage);
	if (!outcome.decision.granted) {
		if (outcome.audit === "summarized" && outcome.decision.refusal !== "suspended") throw refusalsProblem(outcome.refusalsRetryAfterSeconds, headers);
		throw refusalProblem(outcome.decision, draft.scopeReason, headers);
	}
	// A leg whose end became known since (delivered, in its grace) ends the binding then (the minute cron unbinds it).
	if (existing)
		return { callId: existing.id, virtualNumber: existing.virtualNumber, expiresAt: Math.min(existing.expiresAt, expiresAt), headers, reused: true };

	// Counted: from here on a failure gives the count back and is audited, and never falls back to the number.
	const giveBack = (release: boolean, failure: Parameters<typeof callFailedEvent>[2]) =>
		deps.failed(record.id, outcome.at, release, callFailedEvent(actor, draft, failure, Date.now())).catch(() => undefined);
	let phoneB: string;
	try {
		if (!record.sealed) throw new Error("record has no envelope");
		const opened = await openContact(await deps.keyring, record.id, record.sealed, ["phone"]);
		phoneB = opened.phone as string;
	} catch (error) {
		await giveBack(true, { provider: provider.provider, action: "open_record", failure: "key_unavailable" });
		throw error;
	}
	let binding: Awaited<ReturnType<TelephonyProvider["bind"]>>;
	try {
		binding = await provider.bind({ phoneA, phoneB, expiresAt: draft.expiresAt, outId: draft.callId });
	} catch (error) {
		if (!(error instanceof TelephonyError)) {
			await giveBack(true, { provider: provider.provider, action: "BindAxb", failure: "error" });
			throw error;
		}
		await giveBack(true, error);
		throw telephonyProblem(error, headers);
	}
	try {
		await deps.calls.insert({
			id: draft.callId,
			record_id: record.id,
			shipment_id: record.shipmentId,
			purpose: request.purpose,
			leg_n: leg?.n ?? null,
			leg_opened_at: leg?.openedAt ?? null,
			issuer: principal.issuer,
			subject: principal.subject,
			provider: provider.provider,
			binding_id: binding.bindingId,
			virtual_number: binding.virtualNumber,
			created_at: now,
			expires_at: binding.expiresAt,
		});
	} catch (error) {
		// Not recorded, so it would never be ended: end it now. A racing tap's binding, if that is what
		// is there, is the one this employee gets.
		await provider.unbind(binding).catch(() => undefined);
		await giveBack(true, { provider: provider.provider, action: "record_binding", failure: "superseded_or_storage" });
		const winner = (await deps.calls.live(principal.issuer, principal.subject, record.id, now).catch(() => [])).find((call) => reusable(call, leg, now));
		if (winner) return { callId: winner.id, virtualNumber: winner.virtualNumber, expiresAt: winner.expiresAt, headers, reused: true };
		throw error;
	}
	return { callId: draft.callId, virtualNumber: binding.virtualNumber, expiresAt: binding.expiresAt, headers, reused: false };
}

function refusalProblem(decision: CallDecision, scopeReason: string | null, headers: Record<string, string>): ProblemError {
	switch (decision.refusal) {
		case "suspended":
		case "honeytoken":
		case "out_of_scope_probing":
			return new ProblemError("suspended", { detail: "Calls and reveals are suspended for you; ask your supervisor or ops.", headers });
		case "out_of_scope":
			return new ProblemError("out-of-scope", { detail: "This record is not assigned to you or your depot.", headers });
		case "purpose_mismatch":
			return new ProblemError("purpose-not-allowed", {
				detail: "The purpose does not allow calling this party of the parcel.",
				extensions: { reason: scopeReason },
				headers,
			});
		case "no_open_leg":
		case "stale":
		case "case_required":
			return new ProblemError("no-open-leg", {
				detail:
					decision.refusal === "case_required"
						? "A customer_service call needs the case id (case_id)."
						: decision.refusal === "stale"
							? "This parcel's work has ended or moved to someone else; refresh your list."
							: "You hold no open delivery, pickup or return leg of this parcel.",
				extensions: { reason: decision.refusal },
				headers,
			});
		default: {
			const retry = String(decision.retryAfterSeconds ?? 60);
			const limit = callLimitName(String(decision.refusal));
			return new ProblemError("quota-exceeded", {
				detail: `Your ${limit} limit is reached; try again in ${retry} s.`,
				extensions: { limit },
				headers: { ...headers, "Retry-After": retry },
			});
		}
	}
}
