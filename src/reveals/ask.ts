import { actorOf } from "../audit/actor";
import type { AuditEvent } from "../audit/entry";
import type { AuditLog } from "../audit/log";
import type { Principal } from "../auth/principal";
import type { ContactField } from "../crypto/envelope";
import { signRevealToken } from "../crypto/reveal-token";
import type { SigningKey } from "../crypto/signing-key";
import { ProblemError } from "../http/problem";
import type { RecordStore } from "../records/store";
import { type Purpose, revealScope } from "./scope";

export interface AskDeps {
	records: RecordStore;
	audit: AuditLog;
	signingKey: SigningKey;
	ttlSeconds: number;
}

export interface RevealAsk {
	recordId: string;
	fields: ContactField[];
	purpose: Purpose;
}

/**
 * Decides an ask and, if granted, issues a reveal token. Every decision is in the audit log
 * before the caller hears it; nothing is decrypted here.
 */
export async function askReveal(deps: AskDeps, principal: Principal, ask: RevealAsk, now: number): Promise<{ token: string; expiresAt: number }> {
	const event = (kind: AuditEvent["kind"], details: AuditEvent["details"]): AuditEvent => ({
		kind,
		at: now,
		actor: actorOf(principal),
		recordId: ask.recordId,
		details: { purpose: ask.purpose, fields: ask.fields, ...details },
	});
	const record = await deps.records.get(ask.recordId);
	if (!record || record.erasedAt !== null) {
		await deps.audit.append(event("reveal.denied", { reason: "record_not_found" }));
		throw new ProblemError("not-found", { detail: "No record with this id." });
	}
	const decision = revealScope(principal, record, ask.purpose, ask.fields);
	if (!decision.allowed) {
		await deps.audit.append(event("reveal.denied", { reason: decision.reason }));
		throw decision.reason === "not_assigned"
			? new ProblemError("out-of-scope", { detail: "This record is not assigned to you or your depot." })
			: new ProblemError("purpose-not-allowed", {
					detail: `The purpose ${ask.purpose} does not allow revealing these fields of this record.`,
					extensions: { reason: decision.reason },
				});
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
	await deps.audit.append(event("reveal.granted", { jti: grant.jti, expires_at: grant.expiresAt }));
	return { token, expiresAt: grant.expiresAt };
}
