import { actorOf } from "../audit/actor";
import type { AuditEvent } from "../audit/entry";
import type { AuditLog } from "../audit/log";
import type { Principal } from "../auth/principal";
import type { ContactField } from "../crypto/envelope";
import { signRevealToken } from "../crypto/reveal-token";
import type { SigningKey } from "../crypto/signing-key";
import type { AlertStore } from "../detection/alert-store";
import { ringAlertDue } from "../detection/ring";
import { ProblemError } from "../http/problem";
import type { AskClass, Decision, LimiterAsk, RuleUsage } from "../limits/decide";
import type { EffectivePolicy } from "../limits/policy";
import type { AskOutcome, Notice, RefusalAudit } from "../limits/principal-limiter";
import type { PrincipalStatusStore } from "../limits/principal-status-store";
import { rateLimitHeaders } from "../limits/rate-limit-headers";
import type { RecordStore } from "../records/store";
import { refusalsProblem } from "./refusals-problem";
import { type Purpose, revealScope } from "./scope";

export interface AskDeps {
	records: RecordStore;
	audit: AuditLog;
	signingKey: SigningKey;
	ttlSeconds: number;
	/** The asker's limits, read beside the record. */
	policy: Promise<EffectivePolicy>;
	/** The principal's limiter object: one atomic decision per ask (fails closed with 503), with its pending alerts. */
	limiter: (ask: LimiterAsk, policy: EffectivePolicy) => Promise<AskOutcome>;
	/** A refusal decided before the limiter (no such record): counted against the refusal budget. */
	refuse: (
		reason: string,
		recordId: string,
		policy: EffectivePolicy,
	) => Promise<{ audit: RefusalAudit; retryAfterSeconds: number | null; standing?: readonly RuleUsage[] }>;
	/** Tells the limiter its notices are stored; runs after the response. */
	acknowledge: (ids: string[]) => void;
	alerts: AlertStore;
	statuses: PrincipalStatusStore;
	webhookConfigured: boolean;
}

export interface RevealAsk {
	recordId: string;
	fields: ContactField[];
	purpose: Purpose;
}

export interface Granted {
	token: string;
	expiresAt: number;
	headers: Record<string, string>;
	/** Whether alerts were written that the webhook should hear about. */
	alerted: boolean;
}

/**
 * Decides an ask: scope rules, then the principal's limiter (which also suspends on a honeytoken
 * or on probing, counts the depot's reveals and refusals against their budget), then, if granted,
 * a reveal token. Every decision is in the audit log, with any alert and suspension it caused,
 * before the caller hears it, on an entry of its own or, past the refusal budget, in the
 * limiter's per-minute summary; nothing is decrypted here.
 */
export async function askReveal(deps: AskDeps, principal: Principal, ask: RevealAsk, now: number): Promise<Granted> {
	const actor = actorOf(principal);
	const event = (kind: AuditEvent["kind"], details: AuditEvent["details"]): AuditEvent => ({
		kind,
		at: now,
		actor,
		recordId: ask.recordId,
		details: { purpose: ask.purpose, fields: ask.fields, ...details },
	});
	const [{ record, honeytoken }, policy] = await Promise.all([deps.records.getWithHoneytokenFlag(ask.recordId), deps.policy]);
	// An erased trap (one renewed under a new id) still springs: a leaked list may name its old id.
	if (!record || (record.erasedAt !== null && !honeytoken)) {
		const counted = await deps.refuse("record_not_found", ask.recordId, policy);
		const standingHeaders = rateLimitHeaders(counted.standing ?? []);
		if (counted.audit === "summarized") throw refusalsProblem(counted.retryAfterSeconds, standingHeaders);
		await deps.audit.append(event("reveal.denied", { reason: "record_not_found" }));
		throw new ProblemError("not-found", { detail: "No record with this id. Scan the parcel again to refresh your list.", headers: standingHeaders });
	}
	const scope = revealScope(principal, record, ask.purpose, ask.fields);
	const askClass: AskClass = scope.allowed ? "in_scope" : scope.reason === "not_assigned" ? "out_of_scope" : "purpose_mismatch";
	const { decision, notices, audit, refusalsRetryAfterSeconds } = await deps.limiter({ recordId: record.id, class: askClass, honeytoken }, policy);
	const headers = rateLimitHeaders(decision.usage);
	const shadow: AuditEvent["details"] = decision.shadowRefusals.length > 0 ? { report_only_refusals: decision.shadowRefusals } : {};
	const depot = principal.kind === "employee" ? principal.depot : null;

	if (!decision.granted && audit === "summarized") {
		// Past the refusal budget: the limiter summed this refusal into its per-minute entry and will
		// write its alerts itself; nothing is written to D1 on this request.
		if (decision.refusal === "suspended") throw refusalProblem(decision, null, headers);
		throw refusalsProblem(refusalsRetryAfterSeconds, headers);
	}

	// Side effects of the decision land with its audit entry, in one transaction.
	// Every pending alert of this principal, not only this decision's: one whose write failed before
	// is written now (by id, so never twice).
	const statements = notices.map((notice) =>
		deps.alerts.insert(
			{ ...notice.alert, id: notice.id, subject: { issuer: principal.issuer, subject: principal.subject }, depot: notice.actor?.depot ?? depot },
			notice.at,
			deps.webhookConfigured,
		),
	);
	const events: AuditEvent[] = [];
	const suspension = decision.suspend?.reason ?? suspensionReason(notices);
	if (suspension) {
		statements.push(
			deps.statuses.record(
				{ kind: principal.kind, issuer: principal.issuer, subject: principal.subject, ...employeeFields(principal) },
				"suspended",
				suspension,
				"detection",
				now,
			),
		);
	}

	if (!decision.granted) {
		const reason =
			decision.refusal === "out_of_scope" || decision.refusal === "purpose_mismatch" ? (scope.allowed ? decision.refusal : scope.reason) : decision.refusal;
		events.push(event("reveal.denied", { reason, ...(decision.retryAfterSeconds ? { retry_after_seconds: decision.retryAfterSeconds } : {}), ...shadow }));
		if (decision.suspend)
			events.push({ kind: "principal.suspended", at: now, actor, recordId: record.id, details: { reason: decision.suspend.reason, by: "detection" } });
		await deps.audit.appendAllWith(events, statements);
		if (notices.length > 0) deps.acknowledge(notices.map((notice) => notice.id));
		await raiseRingAlertIfDue(deps, decision, depot, policy.ringThreshold, now);
		throw refusalProblem(decision, scope.allowed ? null : scope.reason, headers);
	}

	const issuedAt = Math.floor(now / 1000) * 1000;
	const grant = {
		jti: crypto.randomUUID(),
		subject: principal.subject,
		subjectIssuer: principal.issuer,
		recordId: record.id,
		fields: ask.fields,
		purpose: ask.purpose,
		issuedAt,
		expiresAt: issuedAt + deps.ttlSeconds * 1000,
	};
	const token = await signRevealToken(deps.signingKey, grant);
	await deps.audit.appendAllWith([event("reveal.granted", { jti: grant.jti, expires_at: grant.expiresAt, ...shadow })], statements);
	if (notices.length > 0) deps.acknowledge(notices.map((notice) => notice.id));
	await raiseRingAlertIfDue(deps, decision, depot, policy.ringThreshold, now);
	return { token, expiresAt: grant.expiresAt, headers, alerted: notices.length > 0 };
}

/** The suspension a pending notice reports, for a retry of a write that failed after the limiter committed. */
function suspensionReason(notices: Notice[]): string | null {
	const notice = notices.find((candidate) => candidate.suspends);
	if (!notice) return null;
	return notice.alert.kind === "honeytoken_touched" ? "honeytoken" : notice.alert.kind;
}

function employeeFields(principal: Principal): { role?: string; depot?: string } {
	return principal.kind === "employee" ? { role: principal.role, depot: principal.depot } : {};
}

/** Raises the depot's ring alert when this decision put one more of its employees at quota. */
async function raiseRingAlertIfDue(deps: AskDeps, decision: Decision, depot: string | null, threshold: number, now: number): Promise<void> {
	if (!depot || !decision.alerts.some((alert) => alert.kind === "daily_quota_reached")) return;
	const atQuota = await deps.alerts.employeesAtQuota(depot, now);
	if (!ringAlertDue(atQuota, threshold, await deps.alerts.raisedSince(depot, "depot_ring_suspected", now - 86_400_000))) return;
	const alert = { severity: "critical" as const, kind: "depot_ring_suspected", details: { employees_at_quota: atQuota, threshold }, subject: null, depot };
	await deps.audit.appendAllWith([], [deps.alerts.insert(alert, now, deps.webhookConfigured)]);
}

function refusalProblem(decision: Decision, scopeReason: string | null, headers: Record<string, string>): ProblemError {
	switch (decision.refusal) {
		case "suspended":
		case "honeytoken":
		case "out_of_scope_probing":
			return new ProblemError("suspended", { detail: "Reveals are suspended for you; ask your supervisor or ops.", headers });
		case "out_of_scope":
			return new ProblemError("out-of-scope", { detail: "This record is not assigned to you or your depot.", headers });
		case "purpose_mismatch":
			return new ProblemError("purpose-not-allowed", {
				detail: "The purpose does not allow revealing these fields of this record.",
				extensions: { reason: scopeReason },
				headers,
			});
		default: {
			const retry = String(decision.retryAfterSeconds ?? 60);
			return new ProblemError("quota-exceeded", {
				detail: `Your ${decision.refusal} reveal limit is reached; try again in ${retry} s.`,
				extensions: { limit: decision.refusal },
				headers: { ...headers, "Retry-After": retry },
			});
		}
	}
}
