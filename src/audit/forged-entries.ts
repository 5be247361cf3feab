import type { Env } from "../env";
import { auditWitnessFor } from "./witness-client";

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
