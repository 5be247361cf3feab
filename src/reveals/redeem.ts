import { actorOf } from "../audit/actor";
import type { AuditEvent } from "../audit/entry";
import type { Principal } from "../auth/principal";
import { type Contact, type ContactField, openContact } from "../crypto/envelope";
import { UnknownKeyIdError } from "../crypto/errors";
import type { Keyring } from "../crypto/keyring";
import { type RevealGrant, RevealTokenRejectedError, verifyRevealToken } from "../crypto/reveal-token";
import type { VerificationKey } from "../crypto/signing-key";
import { ProblemError } from "../http/problem";
import type { RedeemOutcome, RefusalAudit } from "../limits/principal-limiter";
import type { RecordStore, StoredRecord } from "../records/store";
import type { LegPolicy } from "../shipments/leg-policy";
import type { Leg } from "../shipments/legs";
import { judgeAsk } from "./ask-class";
import type { RedeemDraft } from "./decision-events";
import { refusalsProblem } from "./refusals-problem";
import { type Purpose, revealScope } from "./scope";

export interface RedeemDeps {
	records: RecordStore;
	/** The current signing key and the previous keys still honoured (`publishedKeys`). */
	verificationKeys: readonly VerificationKey[];
	keyring: Keyring;
	/** The principal's leg policy: a token asked while its leg was open redeems only while it still is. */
	legPolicy: () => Promise<LegPolicy>;
	/** The principal's limiter: suspension check, single-use mark and `reveal.redeemed` entry in one transaction (fails closed with 503). */
	redeem: (draft: RedeemDraft) => Promise<RedeemOutcome>;
	/** Records that a marked token revealed nothing after all; `release` lifts the mark. */
	void: (draft: RedeemDraft, reason: string, release: boolean) => Promise<void>;
	/** A refusal decided before the limiter: counted against the refusal budget, its entry committed there. */
	refuse: (reason: string, recordId: string | null, event: AuditEvent) => Promise<{ audit: RefusalAudit; retryAfterSeconds: number | null }>;
}

export interface Revealed {
	recordId: string;
	purpose: Purpose;
	fields: Partial<Contact>;
}

const invalid = () => new ProblemError("reveal-token-invalid", { detail: "The reveal token is not valid for you; ask for a new one." });

/**
 * Redeems a reveal token with one round trip: after the token verifies, the principal's limiter
 * (suspension, single-use mark and the `reveal.redeemed` entry, committed together) and the D1
 * read of the record with its shipment's legs (one query) run at once; the fields are decrypted only when both say yes. Plaintext
 * never leaves before its audit entry is durable in the limiter object. If the record turns out
 * gone, no longer the principal's, or its leg has closed since the ask, the mark stays and a `reveal.voided` entry says nothing was
 * revealed; if its key is missing, the mark is lifted so the token redeems once the key is back.
 */
export async function redeemReveal(deps: RedeemDeps, principal: Principal, token: string, now: number): Promise<Revealed> {
	const actor = actorOf(principal);
	// Every refusal spends the refusal budget; past it the answer is 429 and the limiter sums the
	// refusal into its per-minute entry.
	const refuse = async (reason: string, grant: RevealGrant | null) => {
		const event: AuditEvent = {
			kind: "reveal.refused",
			at: now,
			actor,
			recordId: grant?.recordId ?? null,
			details: grant ? { reason, jti: grant.jti, purpose: grant.purpose, fields: grant.fields } : { reason },
		};
		const counted = await deps.refuse(reason, grant?.recordId ?? null, event);
		if (counted.audit === "summarized") throw refusalsProblem(counted.retryAfterSeconds);
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
	const draft: RedeemDraft = { jti: grant.jti, recordId: grant.recordId, purpose: grant.purpose, fields: grant.fields, expiresAt: grant.expiresAt };
	const [markedOrFailed, readOrFailed] = await Promise.allSettled([
		deps.redeem(draft),
		Promise.all([deps.records.getForAsk(grant.recordId), deps.legPolicy()]),
	]);
	if (markedOrFailed.status === "rejected") throw markedOrFailed.reason;
	const marked = markedOrFailed.value;
	if (readOrFailed.status === "rejected") {
		// D1 failed beside a mark that landed: lift it, so the token redeems once D1 is back.
		if (marked.outcome === "redeemed") await deps.void(draft, "storage_unavailable", true);
		throw readOrFailed.reason;
	}
	const [{ record, legs }, legPolicy] = readOrFailed.value;
	if (marked.outcome !== "redeemed") {
		if (marked.audit === "summarized" && marked.outcome !== "suspended") throw refusalsProblem(marked.retryAfterSeconds);
		if (marked.outcome === "suspended")
			throw new ProblemError("suspended", {
				detail: "Reveals are suspended for you; this token no longer redeems. Ask your supervisor or ops to reinstate you.",
			});
		throw new ProblemError("reveal-token-used", { detail: "This reveal token was already redeemed; ask again (POST /v1/reveals) for a new one." });
	}
	const refusal = recordRefusal(principal, record, legs, legPolicy, grant, now);
	if (refusal) {
		await deps.void(draft, refusal.reason, refusal.release);
		throw refusal.problem;
	}
	const live = record as StoredRecord & { sealed: NonNullable<StoredRecord["sealed"]> };
	return { recordId: live.id, purpose: grant.purpose as Purpose, fields: await openContact(deps.keyring, live.id, live.sealed, grant.fields) };

	function recordRefusal(principal: Principal, record: StoredRecord | null, legs: readonly Leg[], legPolicy: LegPolicy, grant: RevealGrant, now: number) {
		// Read beside the mark: erased, expired at this instant, or reassigned since the ask.
		if (!record?.sealed || (record.expiresAt !== null && record.expiresAt <= now)) {
			return {
				reason: "record_gone",
				release: false,
				problem: new ProblemError("record-erased", { detail: "The record was erased or has expired and can never be revealed; refresh your list." }),
			};
		}
		// Still in reach and still live work, judged as the ask was: a record reassigned since, or a
		// delivered, re-routed or cancelled parcel, reveals nothing more whatever tokens are outstanding.
		const judged = judgeAsk({
			principal,
			record,
			legs,
			purpose: grant.purpose as Purpose,
			fields: grant.fields as ContactField[],
			policy: legPolicy,
			now,
			stage: "redeem",
		});
		// Reassigned to someone else since the ask: no longer theirs, whatever work they still hold.
		const reassigned = record.courier !== null && revealScope(principal, record, grant.purpose as Purpose, grant.fields).allowed === false;
		if (!reassigned && (judged.class === "stale" || judged.class === "no_open_leg")) {
			return {
				reason: judged.class,
				release: false,
				problem:
					judged.class === "stale"
						? new ProblemError("stale-work", {
								detail: "The work this token was asked for has closed or moved to someone else; refresh your list.",
								extensions: { reason: "stale", refresh: true },
							})
						: new ProblemError("no-active-leg", {
								detail: "No open leg of yours covers this record any more; refresh your list.",
								extensions: { reason: "no_open_leg" },
							}),
			};
		}
		if (judged.class !== "in_scope") {
			return {
				reason: judged.reason ?? judged.class,
				release: false,
				problem: new ProblemError("out-of-scope", {
					detail: "This record is no longer assigned to you or your depot; refresh your list, or ask your supervisor to reassign it.",
				}),
			};
		}
		// A key removed from the ring while still in use: the token redeems once the key is restored.
		// The error handler names the key id and alerts.
		if (!deps.keyring.hasKey(record.sealed.keyId)) return { reason: "key_unavailable", release: true, problem: new UnknownKeyIdError(record.sealed.keyId) };
		return null;
	}
}
