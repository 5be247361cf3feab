import { type CheckpointLink, checkCheckpoint } from "../crypto/checkpoint-token";
import type { VerificationKey } from "../crypto/signing-key";
import type { CheckpointStore, StoredCheckpoint } from "./checkpoints";
import type { AuditLog } from "./log";
import { VERIFY_PAGE } from "./verify-budget";
import { type ChainBreak, verifyEntries } from "./verify-chain";
import type { VerifyProblem, WitnessRange } from "./witness";

export interface CheckpointProblem {
	seq: number;
	/**
	 * `signed_after_retirement`: signed by a previous key but dated after that key stopped signing,
	 * which only a stale deployment or someone else holding the key can produce. `link_differs`:
	 * the checkpoint names another checkpoint before it than the one D1 holds there.
	 */
	reason: "bad_signature" | "signed_after_retirement" | "entry_missing" | "hash_differs" | "checkpoint_missing" | "link_differs";
}

/** Where a slice starts: the next seq, the hash it must name as prev_hash, and the checkpoint before it. */
export interface SliceStart {
	nextSeq: number;
	prevHash: string;
	lastCheckpoint: CheckpointLink | null;
}

export interface SliceContext {
	log: AuditLog;
	checkpoints: CheckpointStore;
	keys: readonly VerificationKey[];
	interval: number;
	/** What the witness saw in a range; null when it cannot be asked (nothing is compared). */
	witnessRange: ((fromSeq: number, toSeq: number) => Promise<WitnessRange>) | null;
	/**
	 * Checkpoints below this seq predate linking: for them the only rule is one at every multiple
	 * of the interval. Null: no linked checkpoint is known; undefined: the rule is not applied.
	 */
	legacyBefore: number | null | undefined;
}

export interface SliceOutcome {
	/** Where the next slice starts: after the last entry verified. */
	next: SliceStart;
	checked: number;
	firstBreak: ChainBreak | null;
	checkpointsChecked: number;
	checkpointProblems: CheckpointProblem[];
	/** D1 against the witness (and the archive manifest the witness keeps). */
	witnessProblems: VerifyProblem[];
}

/**
 * Verifies the chain from `start` towards `toSeq`, at most `maxPages` pages of VERIFY_PAGE: each
 * entry's hash and link (verify-chain.ts); each checkpoint's signature, the entry it vouches for
 * and its link to the checkpoint before; and D1 against the witness: every head it saw sealed,
 * every checkpoint it saw stored, every segment it saw archived. D1 round trips: one for the
 * range's checkpoints and one per page.
 */
export async function verifySlice(context: SliceContext, start: SliceStart, toSeq: number, maxPages: number): Promise<SliceOutcome> {
	const end = Math.min(toSeq, start.nextSeq + maxPages * VERIFY_PAGE - 1);
	const outcome: SliceOutcome = { next: start, checked: 0, firstBreak: null, checkpointsChecked: 0, checkpointProblems: [], witnessProblems: [] };
	if (end < start.nextSeq) return outcome;

	const [stored, witnessed] = await Promise.all([
		context.checkpoints.list(start.nextSeq, end),
		context.witnessRange ? context.witnessRange(start.nextSeq, end) : Promise.resolve(null),
	]);
	// Hashes are kept only where something is compared with them, not for every entry walked.
	const wanted = new Set<number>([
		...stored.map((c) => c.seq),
		...(witnessed?.points.map((p) => p.seq) ?? []),
		...(witnessed?.checkpoints.map((c) => c.seq) ?? []),
		...(witnessed?.segments.map((s) => s.last_seq) ?? []),
	]);
	const hashes = new Map<number, string>();

	let cursor = { nextSeq: start.nextSeq, prevHash: start.prevHash };
	for (let page = 0; page < maxPages && cursor.nextSeq <= end; page++) {
		const entries = await context.log.range(cursor.nextSeq, VERIFY_PAGE, end);
		const result = await verifyEntries(entries, cursor);
		for (const entry of entries) {
			if ("broken" in result && entry.seq >= result.broken.seq) break;
			if (wanted.has(entry.seq) && entry.hash !== null) hashes.set(entry.seq, entry.hash);
		}
		if ("broken" in result) {
			outcome.firstBreak = result.broken;
			const good = entries.filter((entry) => entry.seq < result.broken.seq);
			outcome.checked += good.length;
			const lastGood = good.at(-1);
			if (lastGood?.hash) cursor = { nextSeq: lastGood.seq + 1, prevHash: lastGood.hash };
			break;
		}
		outcome.checked += entries.length;
		cursor = result.cursor;
		if (entries.length < VERIFY_PAGE) break;
	}
	if (!outcome.firstBreak && cursor.nextSeq <= end) {
		outcome.firstBreak = { seq: cursor.nextSeq, reason: "missing_entry", detail: `expected entry ${cursor.nextSeq}, found none` };
	}
	const walkedEnd = cursor.nextSeq - 1;

	// Checkpoints in seq order, each linked to the one D1 holds before it.
	let last = start.lastCheckpoint;
	const storedAt = new Map<number, StoredCheckpoint>();
	for (const checkpoint of stored) {
		if (checkpoint.seq > walkedEnd) break;
		storedAt.set(checkpoint.seq, checkpoint);
		outcome.checkpointsChecked++;
		const problem = await checkpointProblem(context.keys, checkpoint, hashes.get(checkpoint.seq), last);
		if (problem) outcome.checkpointProblems.push(problem);
		last = { seq: checkpoint.seq, hash: checkpoint.hash };
	}
	// Before linking, the sealer signed every multiple of the interval: one absent was deleted.
	if (context.legacyBefore !== undefined) {
		for (let seq = Math.ceil(start.nextSeq / context.interval) * context.interval; seq <= walkedEnd; seq += context.interval) {
			if ((context.legacyBefore === null || seq < context.legacyBefore) && !storedAt.has(seq)) {
				outcome.checkpointProblems.push({ seq, reason: "checkpoint_missing" });
			}
		}
	}

	if (witnessed) {
		for (const point of witnessed.points) {
			if (point.seq > walkedEnd) break;
			if (hashes.get(point.seq) !== point.hash) {
				outcome.witnessProblems.push({ seq: point.seq, reason: "hash_differs", detail: `entry ${point.seq} is not the entry the witness saw sealed` });
			}
		}
		for (const checkpoint of witnessed.checkpoints) {
			if (checkpoint.seq > walkedEnd || !checkpoint.stored) continue;
			const held = storedAt.get(checkpoint.seq);
			if (!held) outcome.witnessProblems.push({ seq: checkpoint.seq, reason: "checkpoint_missing", detail: `D1 no longer holds checkpoint ${checkpoint.seq}` });
			else if (held.signature !== checkpoint.signature) {
				outcome.witnessProblems.push({ seq: checkpoint.seq, reason: "checkpoint_altered", detail: `checkpoint ${checkpoint.seq} differs from the one signed` });
			}
		}
		for (const segment of witnessed.segments) {
			if (segment.last_seq > walkedEnd) break;
			if (hashes.get(segment.last_seq) !== segment.last_hash) {
				outcome.witnessProblems.push({ seq: segment.last_seq, reason: "archive_differs", detail: `D1 differs from archived segment ${segment.key}` });
			}
		}
	}

	outcome.next = { nextSeq: cursor.nextSeq, prevHash: cursor.prevHash, lastCheckpoint: last };
	return outcome;
}

async function checkpointProblem(
	keys: readonly VerificationKey[],
	checkpoint: StoredCheckpoint,
	entryHash: string | undefined,
	before: CheckpointLink | null,
): Promise<CheckpointProblem | null> {
	const verdict = await checkCheckpoint(keys, checkpoint.signature);
	if (!verdict.ok) return { seq: checkpoint.seq, reason: verdict.reason };
	const vouched = verdict.checkpoint;
	if (vouched.seq !== checkpoint.seq || vouched.hash !== checkpoint.hash || vouched.at !== checkpoint.at)
		return { seq: checkpoint.seq, reason: "bad_signature" };
	if (entryHash === undefined) return { seq: checkpoint.seq, reason: "entry_missing" };
	if (entryHash !== vouched.hash) return { seq: checkpoint.seq, reason: "hash_differs" };
	// Unlinked (signed before links existed): nothing more to check.
	if (vouched.prev === undefined) return null;
	const link = vouched.prev;
	if (link === null) return before === null ? null : { seq: checkpoint.seq, reason: "link_differs" };
	if (before === null || before.seq < link.seq) return { seq: link.seq, reason: "checkpoint_missing" };
	if (before.seq !== link.seq || before.hash !== link.hash) return { seq: checkpoint.seq, reason: "link_differs" };
	return null;
}
