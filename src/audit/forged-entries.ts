import type { Env } from "../env";
import { auditWitnessFor } from "./witness-client";

/** Findings read back at most: more than any run of forged entries a verification has not alerted on. */
const FORGED_ENTRIES_READ = 10_000;

/**
 * Seqs of the audit entries the witness judged forged as they were sealed (their MAC failed: written
 * or changed with SQL), at most FORGED_ENTRIES_READ: what a count over the log leaves out, so that
 * entries inserted against someone count for nothing once sealed. None without a witness.
 */
export async function entriesFoundForged(env: Env): Promise<number[]> {
	const witness = auditWitnessFor(env);
	if (!witness) return [];
	return witness.forgedEntrySeqs(FORGED_ENTRIES_READ);
}
