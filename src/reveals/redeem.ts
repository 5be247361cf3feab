import { actorOf } from "../audit/actor";
import type { AuditEvent } from "../audit/entry";
import type { AuditLog } from "../audit/log";
import type { Principal } from "../auth/principal";
import { type Contact, openContact } from "../crypto/envelope";
import { UnknownKeyIdError } from "../crypto/errors";
import type { Keyring } from "../crypto/keyring";
import { type RevealGrant, RevealTokenRejectedError, verifyRevealToken } from "../crypto/reveal-token";
import type { VerificationKey } from "../crypto/signing-key";
import { ProblemError } from "../http/problem";
import type { RefusalAudit } from "../limits/principal-limiter";
import { assignmentCondition } from "../records/assignment";
import type { RecordStore } from "../records/store";
import { UniqueConstraintError } from "../storage/d1-errors";
import type { RedemptionStore } from "./redemption-store";
import { refusalsProblem } from "./refusals-problem";
import { type Purpose, revealScope } from "./scope";

export interface RedeemDeps {
	records: RecordStore;
	audit: AuditLog;
	redemptions: RedemptionStore;
	/** The current signing key and the previous keys still honoured (`publishedKeys`). */
	verificationKeys: readonly VerificationKey[];
	keyring: Keyring;
	/** Whether the principal's limiter holds them suspended (fails closed with 503). */
	suspended: () => Promise<boolean>;
	/** Counts a refusal against the principal's refusal budget (see PrincipalLimiter.refuse). */
	refuse: (reason: string, recordId: string | null) => Promise<{ audit: RefusalAudit; retryAfterSeconds: number | null }>;
}

export interface Revealed {
	recordId: string;
	purpose: Purpose;
	fields: Partial<Contact>;
}

const invalid = () => new ProblemError("reveal-token-invalid", { detail: "The reveal token is not valid for you; ask for a new one." });

/**
 * Redeems a reveal token. The order is the guarantee: verify, check the holder and the record's
 * scope again, then write the single-use mark and the audit entry in one transaction, and only
 * then decrypt. If that write fails, the answer is 503 and no plaintext exists outside D1.
 */
export async function redeemReveal(deps: RedeemDeps, principal: Principal, token: string, now: number): Promise<Revealed> {
	// Every refusal spends the refusal budget; past it the answer is 429 and the limiter sums the
	// refusal into its per-minute entry instead of this request writing one.
	const refuse = async (reason: string, grant: RevealGrant | null) => {
		const counted = await deps.refuse(reason, grant?.recordId ?? null);
		if (counted.audit === "summarized") throw refusalsProblem(counted.retryAfterSeconds);
		await deps.audit.append({
			kind: "reveal.refused",
			at: now,
			actor: actorOf(principal),
			recordId: grant?.recordId ?? null,
			details: grant ? { reason, jti: grant.jti, purpose: grant.purpose, fields: grant.fields } : { reason },
		});
	};

	let grant: RevealGrant;
	try {
		grant = await verifyRevealToken(deps.verificationKeys, token, new Date(now));
	} catch (error) {
		if (!(error instanceof RevealTokenRejectedError)) throw error;
		await refuse(error.reason, null);
		throw invalid();
	}
	if (grant.subject !== principal.subject || grant.subjectIssuer !== principal.issuer) {
		await refuse("not_token_holder", grant);
		throw invalid();
	}
	// A suspension voids every outstanding token of the suspended principal. (Both reads at once:
	// they are independent, and a redeem waits on each round trip.)
	const [suspended, record] = await Promise.all([deps.suspended(), deps.records.get(grant.recordId)]);
	if (suspended) {
		await refuse("suspended", grant);
		throw new ProblemError("suspended", {
			detail: "Reveals are suspended for you; this token no longer redeems. Ask your supervisor or ops to reinstate you.",
		});
	}
	if (!record?.sealed) {
		await refuse("record_gone", grant);
		throw new ProblemError("record-erased", { detail: "The record was erased and can never be revealed; refresh your list." });
	}
	// Reassigned since the ask (the parcel moved on): the token no longer speaks for this employee.
	const decision = revealScope(principal, record, grant.purpose as Purpose, grant.fields);
	if (!decision.allowed) {
		await refuse(decision.reason, grant);
		throw new ProblemError("out-of-scope", {
			detail: "This record is no longer assigned to you or your depot; refresh your list, or ask your supervisor to reassign it.",
		});
	}
	// A key removed from the ring while still in use: refuse before the single-use mark, so the
	// token still redeems once the key is restored. The error handler names the key id and alerts.
	if (!deps.keyring.hasKey(record.sealed.keyId)) {
		await refuse("key_unavailable", grant);
		throw new UnknownKeyIdError(record.sealed.keyId);
	}

	const redeemed: AuditEvent = {
		kind: "reveal.redeemed",
		at: now,
		actor: actorOf(principal),
		recordId: grant.recordId,
		details: { jti: grant.jti, purpose: grant.purpose, fields: grant.fields },
	};
	let written: boolean;
	try {
		const assignment = principal.kind === "employee" ? assignmentCondition(principal) : null;
		written = (await deps.audit.appendWith(redeemed, [deps.redemptions.mark(grant, now, assignment)], { onlyIfChanged: true })).seq !== null;
	} catch (error) {
		if (error instanceof UniqueConstraintError && error.table === "reveal_redemptions") {
			await refuse("already_redeemed", grant);
			throw new ProblemError("reveal-token-used", { detail: "This reveal token was already redeemed; ask again (POST /v1/reveals) for a new one." });
		}
		console.error(JSON.stringify({ event: "redeem_not_recorded", jti: grant.jti, name: (error as Error).name, message: (error as Error).message }));
		throw new ProblemError("dependency-unavailable", { detail: "The reveal could not be recorded, so nothing was revealed. Try again.", cause: error });
	}
	if (!written) {
		// Erased or reassigned between the checks above and the mark: nothing is revealed.
		await refuse("record_changed", grant);
		throw new ProblemError("out-of-scope", { detail: "The record was erased or reassigned while you redeemed; nothing was revealed. Refresh your list." });
	}
	// Checked again now that the mark is down: a suspension that landed while this redeem was in
	// flight (the same insider touching a honeytoken at the same moment) still wins.
	if (await deps.suspended()) {
		await refuse("suspended", grant);
		throw new ProblemError("suspended", {
			detail: "Reveals are suspended for you; this token no longer redeems. Ask your supervisor or ops to reinstate you.",
		});
	}
	return { recordId: record.id, purpose: grant.purpose as Purpose, fields: await openContact(deps.keyring, record.id, record.sealed, grant.fields) };
}
