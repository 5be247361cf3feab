import type { Env } from "../env";
import { ProblemError } from "../http/problem";
import { unavailable } from "../http/unavailable";
import type { AuditWitness } from "./witness";

/**
 * The witness of the database `DB`: one object per database, named after it, so a shard router
 * that adds databases gives each chain its own witness (`audit-log:<binding>`).
 */
export const WITNESS_NAME = "audit-log:DB";

/**
 * Null when the deployment has no AUDIT_WITNESS binding. That is not a reason to refuse requests
 * (no request waits for the witness; an append tells it after the response, and a Durable
 * Object's flush goes on when it cannot be told): sealing waits instead, as when the witness is unreachable,
 * and verification says it could not compare. Reads that need its word (which sealed entries are
 * forged: GET /v1/audit, leak attribution) answer 503 instead.
 */
export function auditWitnessFor(env: Env): DurableObjectStub<AuditWitness> | null {
	if (!env.AUDIT_WITNESS) return null;
	return env.AUDIT_WITNESS.get(env.AUDIT_WITNESS.idFromName(WITNESS_NAME));
}

/** A read that needs the witness's word on forged entries, when it did not answer: 503, logged. */
export function forgedEntriesUnread(cause: unknown): ProblemError {
	return unavailable("forged_entries_unread", "The audit witness, which says which entries were forged, is unavailable. Retry shortly.", cause);
}

/** The witness, for a read that needs its word (which entries are forged, the checkpoints it plans): a missing binding answers 503. */
export function requiredWitness(env: Env): DurableObjectStub<AuditWitness> {
	const witness = auditWitnessFor(env);
	if (!witness)
		throw new ProblemError("configuration-unavailable", { detail: "The AUDIT_WITNESS binding is missing.", extensions: { variable: "AUDIT_WITNESS" } });
	return witness;
}
