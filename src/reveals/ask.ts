import { actorOf } from "../audit/actor";
import type { AuditEvent } from "../audit/entry";
import type { Principal } from "../auth/principal";
import { isPlaintextPhone, plaintextPhoneAsk } from "../calls/plaintext-phone";
import type { ContactField } from "../crypto/envelope";
import { signRevealToken } from "../crypto/reveal-token";
import type { SigningKey } from "../crypto/signing-key";
import { ProblemError } from "../http/problem";
import type { Decision, LimiterAsk } from "../limits/decide";
import type { EffectivePolicy } from "../limits/policy";
import type { AskOutcome } from "../limits/principal-limiter";
import { rateLimitHeaders } from "../limits/rate-limit-headers";
import type { RecordStore } from "../records/store";
import { openLegFor } from "../shipments/leg-gate";
import { judgeAsk } from "./ask-class";
import type { AskDraft } from "./decision-events";
import { refusalsProblem } from "./refusals-problem";
import { type CountedRefusal, refusalBeforeLimiter, refusedBeforeLimiter } from "./refused-before-limiter";
import type { Purpose } from "./scope";

export interface AskDeps {
	records: RecordStore;
	signingKey: SigningKey;
	ttlSeconds: number;
	/** The asker's limits, read beside the record. */
	policy: Promise<EffectivePolicy>;
	/** The principal's limiter object: decides and commits the decision and its audit entries (fails closed with 503). */
	limiter: (ask: LimiterAsk, policy: EffectivePolicy, draft: AskDraft) => Promise<AskOutcome>;
	/**
	 * A refusal decided before the limiter (no such record): counted against the refusal budget, its
	 * entry committed there; `standing` is where the reveal rules stand, for the answer's RateLimit fields.
	 */
	refuse: (reason: string, recordId: string, policy: EffectivePolicy, event: AuditEvent) => Promise<CountedRefusal>;
	/** The legs (callLegKey) of the bindings the asker made on a record in the last 24 hours: read beside it for a plaintext phone only. */
	boundCallLegs: (recordId: string) => Promise<readonly string[]>;
}

export interface RevealAsk {
	recordId: string;
	fields: ContactField[];
	purpose: Purpose;
	/** The customer-service case a customer_service reveal is for (DESIGN: required for it, and recorded). */
	caseId?: string | undefined;
}

export interface Granted {
	token: string;
	expiresAt: number;
	headers: Record<string, string>;
}

/**
 * Decides an ask with one read and one call: the record, whether it is a honeytoken and its
 * shipment's legs from D1 in one query (the leg gate needs no round trip of its own), then the
 * principal's limiter object, which decides and commits in one transaction its counts,
 * the decision's audit entries (naming the token's id before the token exists), alerts and any
 * suspension. Only then is the token signed. Nothing is written to D1 on the ask's path: the
 * object flushes its outbox within seconds, and nothing is decrypted here.
 */
export async function askReveal(deps: AskDeps, principal: Principal, ask: RevealAsk, now: number): Promise<Granted> {
	const actor = actorOf(principal);
	// A plaintext phone also needs a binding made on the leg: read beside the record, never after it.
	const [{ record, honeytoken, legs }, policy, boundLegs] = await Promise.all([
		deps.records.getForAsk(ask.recordId),
		deps.policy,
		isPlaintextPhone(ask.purpose, ask.fields) ? deps.boundCallLegs(ask.recordId) : undefined,
	]);
	const early = refusalBeforeLimiter(record, honeytoken);
	if (early !== null || !record) {
		const reason = early ?? "record_not_found";
		const denied: AuditEvent = {
			kind: "reveal.denied",
			at: now,
			actor,
			recordId: ask.recordId,
			details: { purpose: ask.purpose, fields: ask.fields, reason },
		};
		throw refusedBeforeLimiter(reason, await deps.refuse(reason, ask.recordId, policy, denied), rateLimitHeaders);
	}
	const judged = judgeAsk({ principal, record, legs, purpose: ask.purpose, fields: ask.fields, caseId: ask.caseId, policy: policy.legs, now });
	const issuedAt = Math.floor(now / 1000) * 1000;
	const draft: AskDraft = {
		recordId: record.id,
		purpose: ask.purpose,
		fields: ask.fields,
		scopeReason: judged.reason,
		jti: crypto.randomUUID(),
		expiresAt: issuedAt + deps.ttlSeconds * 1000,
		...(ask.caseId !== undefined ? { caseId: ask.caseId } : {}),
		...(judged.legWouldRefuse ? { legWouldRefuse: judged.legWouldRefuse } : {}),
	};
	// A plaintext phone for delivery or pickup needs a call on the open leg first: the limiter judges it with the calls it holds.
	const plaintextPhone = plaintextPhoneAsk(ask.purpose, ask.fields, openLegFor({ principal, record, legs, purpose: ask.purpose, now }), boundLegs);
	const limiterAsk: LimiterAsk = {
		recordId: record.id,
		class: judged.class,
		honeytoken,
		...(ask.purpose === "customer_service" ? { case: true } : {}),
		...(plaintextPhone ? { plaintextPhone } : {}),
	};
	const { decision, audit, refusalsRetryAfterSeconds } = await deps.limiter(limiterAsk, policy, draft);
	const headers = rateLimitHeaders(decision.usage);
	if (!decision.granted) {
		// Past the refusal budget the limiter summed this refusal into its per-minute entry.
		if (audit === "summarized" && decision.refusal !== "suspended") throw refusalsProblem(refusalsRetryAfterSeconds, headers);
		throw refusalProblem(decision, draft.scopeReason, headers);
	}
	const token = await signRevealToken(deps.signingKey, {
		jti: draft.jti,
		subject: principal.subject,
		subjectIssuer: principal.issuer,
		recordId: record.id,
		fields: ask.fields,
		purpose: ask.purpose,
		issuedAt,
		expiresAt: draft.expiresAt,
	});
	return { token, expiresAt: draft.expiresAt, headers };
}

function refusalProblem(decision: Decision, scopeReason: string | null, headers: Record<string, string>): ProblemError {
	switch (decision.refusal) {
		case "suspended":
		case "honeytoken":
		case "out_of_scope_probing":
			return new ProblemError("suspended", { detail: "Reveals are suspended for you; ask your supervisor or ops.", headers });
		case "out_of_scope":
			return new ProblemError("out-of-scope", { detail: "This record is not assigned to you or your depot.", headers });
		case "no_open_leg":
			return new ProblemError("no-active-leg", {
				detail: "No open delivery, pickup or return of yours covers this record: a reveal needs live work. Refresh your list.",
				extensions: { reason: "no_open_leg" },
				headers,
			});
		case "stale":
			return new ProblemError("stale-work", {
				detail: "This parcel's work was closed or moved to someone else: refresh your list before asking again.",
				extensions: { reason: "stale", refresh: true },
				headers,
			});
		case "call_first":
			// The terminal acts on this type: it points at the Call button rather than offering a retry.
			return new ProblemError("call-first", {
				detail:
					"Call the customer through the Call button first: a plaintext phone is revealed only after a call on this delivery or pickup did not get through.",
				extensions: { reason: "call_first" },
				headers,
			});
		case "cases": {
			const retry = String(decision.retryAfterSeconds ?? 60);
			return new ProblemError("quota-exceeded", {
				detail: `Your customer-service reveal limit is reached; try again in ${retry} s.`,
				extensions: { limit: "cases" },
				headers: { ...headers, "Retry-After": retry },
			});
		}
		case "purpose_mismatch":
			return new ProblemError("purpose-not-allowed", {
				detail: "The purpose does not allow revealing these fields of this record.",
				extensions: { reason: scopeReason },
				headers,
			});
		default: {
			const retry = String(decision.retryAfterSeconds ?? 60);
			return new ProblemError("quota-exceeded", {
				detail:
					decision.refusal === "plaintext_phone"
						? `Your daily limit of plaintext phones is reached; call through the Call button, or try again in ${retry} s.`
						: `Your ${decision.refusal} reveal limit is reached; try again in ${retry} s.`,
				extensions: { limit: decision.refusal },
				headers: { ...headers, "Retry-After": retry },
			});
		}
	}
}
