import type { Env } from "../env";
import { ProblemError } from "../http/problem";
import { auditWitnessFor, forgedEntriesUnread } from "./witness-client";

/** Forged entries read to leave out; past this many the log is fit neither to be evidence (503) nor to be counted. */
export const FORGED_ENTRIES_READ = 10_000;

/** Thrown when the witness holds more forged entries than a count can leave out. */
export class TooManyForgedEntriesError extends Error {
	override name = "TooManyForgedEntriesError";
}

/**
 * Seqs of every audit entry the witness judged forged as it was sealed (its MAC failed: written or
 * changed with SQL): what a count over the log leaves out, so that entries inserted against someone
 * count for nothing once sealed. None without a witness. The list is read whole, and past
 * FORGED_ENTRIES_READ of them (all time) this throws rather than count some: seeding that many
 * first, each raising its critical alert, must not make the next ones count. Leak attribution
 * refuses at the same bound.
 */
export async function entriesFoundForged(env: Env): Promise<number[]> {
	const witness = auditWitnessFor(env);
	if (!witness) return [];
	const seqs = await witness.forgedEntrySeqs(FORGED_ENTRIES_READ);
	if (seqs.length >= FORGED_ENTRIES_READ) throw new TooManyForgedEntriesError(`the witness holds ${FORGED_ENTRIES_READ} or more forged audit entries`);
	return seqs;
}

/**
 * For an ops read that counts or lists entries (the dashboard, the what-if, the employees view):
 * the same list, a witness that cannot be reached or holds too many answered 503 rather than
 * counting forged entries as anyone's.
 */
export async function forgedEntriesForRead(env: Env): Promise<number[]> {
	try {
		return await entriesFoundForged(env);
	} catch (cause) {
		if (cause instanceof TooManyForgedEntriesError) {
			throw new ProblemError("dependency-unavailable", {
				detail: "The audit log holds too many forged entries to leave out of the counts; GET /v1/audit/verify lists them.",
				cause,
			});
		}
		throw forgedEntriesUnread(cause);
	}
}

/** A term leaving out the entries of a JSON array of seqs bound as `param` (`?4`…): usually empty. */
export const notForged = (param: string, column = "seq") => `${column} NOT IN (SELECT value FROM json_each(${param}))`;
