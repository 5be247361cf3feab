import { checkCheckpoint } from "../crypto/checkpoint-token";
import type { VerificationKey } from "../crypto/signing-key";
import type { CheckpointStore } from "./checkpoints";
import type { AuditLog } from "./log";
import { CHAIN_START, type ChainBreak, verifyEntries } from "./verify-chain";

export interface CheckpointProblem {
	seq: number;
	/**
	 * `signed_after_retirement`: signed by a previous key but dated after that key stopped signing,
	 * which only a stale deployment or someone else holding the key can produce.
	 */
	reason: "bad_signature" | "signed_after_retirement" | "entry_missing" | "hash_differs" | "checkpoint_missing";
}

export interface VerifyReport {
	ok: boolean;
	entries_checked: number;
	head: { seq: number; hash: string };
	first_break: ChainBreak | null;
	checkpoints_checked: number;
	checkpoint_problems: CheckpointProblem[];
}

const PAGE = 500;

/** How long an entry may stay unsealed before verification calls it stuck rather than in flight. */
const SEAL_GRACE_MS = 60_000;

/**
 * Seals what is pending, then walks the chain from the genesis to the sealed head and checks every
 * signed checkpoint against it, and that one exists at every multiple of `interval`. Entries
 * appended while this runs lie past the head it walked to and are left for the next run.
 *
 * `keys` are the current signing key and every previous one: a checkpoint signed before a rollover
 * verifies for as long as its key stays configured.
 */
export async function verifyAuditLog(
	log: AuditLog,
	checkpoints: CheckpointStore,
	keys: readonly VerificationKey[],
	interval: number,
	now: number,
): Promise<VerifyReport> {
	const head = await log.seal();
	let cursor = CHAIN_START;
	let checked = 0;
	let firstBreak: ChainBreak | null = null;
	while (cursor.nextSeq <= head.seq) {
		const page = await log.range(cursor.nextSeq, PAGE, head.seq);
		const outcome = await verifyEntries(page, cursor);
		if ("broken" in outcome) {
			firstBreak = outcome.broken;
			checked += page.filter((entry) => entry.seq < outcome.broken.seq).length;
			break;
		}
		checked += page.length;
		cursor = outcome.cursor;
		if (page.length < PAGE) break;
	}
	if (!firstBreak && cursor.nextSeq <= head.seq) {
		firstBreak = { seq: cursor.nextSeq, reason: "missing_entry", detail: `expected entry ${cursor.nextSeq}, found none` };
	}
	// Past the sealed head: a deleted row stops sealing (a gap), and a row the sealer could not
	// link for long is stuck; a fresh unsealed row is just traffic.
	if (!firstBreak) {
		const [next] = await log.range(head.seq + 1, 1);
		if (next && next.seq !== head.seq + 1) {
			firstBreak = { seq: head.seq + 1, reason: "missing_entry", detail: `expected entry ${head.seq + 1}, found ${next.seq}` };
		} else if (next && next.at < now - SEAL_GRACE_MS) {
			firstBreak = { seq: next.seq, reason: "unsealed", detail: `entry ${next.seq} could not be sealed onto the chain` };
		}
	}

	const problems: CheckpointProblem[] = [];
	const stored = await checkpoints.list(0, Number.MAX_SAFE_INTEGER);
	const signedAt = new Set<number>();
	for (const checkpoint of stored) {
		const verdict = await checkCheckpoint(keys, checkpoint.signature);
		if (!verdict.ok) {
			problems.push({ seq: checkpoint.seq, reason: verdict.reason });
			continue;
		}
		const vouched = verdict.checkpoint;
		if (vouched.seq !== checkpoint.seq || vouched.hash !== checkpoint.hash) {
			problems.push({ seq: checkpoint.seq, reason: "bad_signature" });
			continue;
		}
		signedAt.add(vouched.seq);
		const entry = await log.entry(vouched.seq);
		if (!entry) problems.push({ seq: vouched.seq, reason: "entry_missing" });
		else if (entry.hash !== vouched.hash) problems.push({ seq: vouched.seq, reason: "hash_differs" });
	}
	// The sealer signs every multiple of the interval: one that is absent was deleted (or never signed).
	for (let seq = interval; seq <= head.seq; seq += interval) {
		if (!signedAt.has(seq)) problems.push({ seq, reason: "checkpoint_missing" });
	}
	return {
		ok: firstBreak === null && problems.length === 0,
		entries_checked: checked,
		head,
		first_break: firstBreak,
		checkpoints_checked: stored.length,
		checkpoint_problems: problems,
	};
}
