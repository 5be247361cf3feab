import { verifyCheckpoint } from "../crypto/checkpoint-token";
import type { SigningKey } from "../crypto/signing-key";
import type { CheckpointStore } from "./checkpoints";
import type { AuditLog } from "./log";
import { CHAIN_START, type ChainBreak, verifyEntries } from "./verify-chain";

export interface CheckpointProblem {
	seq: number;
	reason: "bad_signature" | "entry_missing" | "hash_differs";
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

/**
 * Walks the whole chain from the genesis and checks every signed checkpoint against it. A chain
 * that verifies but disagrees with a checkpoint was rewritten wholesale after that checkpoint.
 */
export async function verifyAuditLog(log: AuditLog, checkpoints: CheckpointStore, keys: readonly SigningKey[]): Promise<VerifyReport> {
	// Seal whatever was appended but not yet linked, so the walk covers every entry written so far.
	await log.seal();
	let cursor = CHAIN_START;
	let checked = 0;
	let firstBreak: ChainBreak | null = null;
	for (;;) {
		const page = await log.range(cursor.nextSeq, PAGE);
		if (page.length === 0) break;
		const outcome = await verifyEntries(page, cursor);
		if ("broken" in outcome) {
			firstBreak = outcome.broken;
			checked += page.filter((entry) => entry.seq < outcome.broken.seq).length;
			break;
		}
		checked += page.length;
		cursor = outcome.cursor;
	}
	// Rows past a gap are still there: a deletion shows as missing_entry, not as the end of the log.
	if (!firstBreak) {
		const stray = await log.range(cursor.nextSeq + 1, 1);
		if (stray[0]) firstBreak = { seq: cursor.nextSeq, reason: "missing_entry", detail: `expected entry ${cursor.nextSeq}, found ${stray[0].seq}` };
	}

	const problems: CheckpointProblem[] = [];
	const stored = await checkpoints.list(0, Number.MAX_SAFE_INTEGER);
	for (const checkpoint of stored) {
		const vouched = await verifyCheckpoint(keys, checkpoint.signature);
		if (!vouched || vouched.seq !== checkpoint.seq || vouched.hash !== checkpoint.hash) {
			problems.push({ seq: checkpoint.seq, reason: "bad_signature" });
			continue;
		}
		const entry = await log.entry(vouched.seq);
		if (!entry) problems.push({ seq: vouched.seq, reason: "entry_missing" });
		else if (entry.hash !== vouched.hash) problems.push({ seq: vouched.seq, reason: "hash_differs" });
	}
	const head = await log.head();
	return {
		ok: firstBreak === null && problems.length === 0,
		entries_checked: checked,
		head,
		first_break: firstBreak,
		checkpoints_checked: stored.length,
		checkpoint_problems: problems,
	};
}
