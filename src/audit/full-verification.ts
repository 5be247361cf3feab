import type { VerificationKey } from "../crypto/signing-key";
import type { RowScan } from "../integrity/row-scan";
import type { CheckpointStore } from "./checkpoints";
import { GENESIS_HASH } from "./entry";
import type { AuditLog } from "./log";
import { verificationFingerprint } from "./verify";
import { FULL_PAGES_PER_SLICE } from "./verify-budget";
import { verifySlice } from "./verify-slice";
import type { AuditWitness, FullVerification, VerifyProblem } from "./witness";

/** One slice of the row scan, from the state given (null: from the start); see src/integrity/row-scan.ts. */
export type RowScanStep = (scan: RowScan | null) => Promise<RowScan>;

export type FullWitness = Pick<DurableObjectStub<AuditWitness>, "state" | "between" | "saveFull">;

/** Problems a run keeps: the first ones name where to look; the count of the rest would add nothing. */
const MAX_PROBLEMS = 50;

/**
 * The full re-verification: the whole chain from the genesis to the head sealed when it started,
 * every checkpoint and everything the witness saw, a slice of FULL_PAGES_PER_SLICE pages per
 * every-minute cron run (FULL_SLICE_QUERY_BOUND D1 round trips), and beside it the scan of every
 * MACed row (ROW_SCAN_QUERY_BOUND more). Its state lives in the witness,
 * where D1's administrator cannot reset it; a run resumes after any failure where its last saved
 * slice ended. It finds what the bounded request cannot: an entry edited, deleted or reordered
 * below the last verified checkpoint without touching anything after it.
 */
export async function startFullVerification(
	log: AuditLog,
	witness: FullWitness,
	keys: readonly VerificationKey[],
	interval: number,
	now: number,
): Promise<FullVerification | null> {
	const { full: current } = await witness.state(0);
	const head = await log.head();
	const run: FullVerification = {
		fingerprint: verificationFingerprint(keys, interval),
		started_at: now,
		target_seq: head.seq,
		next_seq: 1,
		prev_hash: GENESIS_HASH,
		last_checkpoint: null,
		checked: 0,
		slices: 0,
		first_break: null,
		problems: [],
		rows: null,
		// The findings of the last finished scan stand until this one finishes: starting a run does not clear them.
		last_rows: current?.finished_at != null && current.rows ? lastRows(current.rows, current.finished_at) : (current?.last_rows ?? null),
		finished_at: null,
	};
	const saved = await witness.saveFull(run, current ? { started_at: current.started_at, next_seq: current.next_seq } : null);
	return saved ? run : null;
}

/** One slice of the running re-verification, if one is running; returns its state after the slice. */
export async function advanceFullVerification(
	log: AuditLog,
	checkpoints: CheckpointStore,
	witness: FullWitness,
	keys: readonly VerificationKey[],
	interval: number,
	scanRows: RowScanStep,
	now: number,
): Promise<FullVerification | null> {
	const state = await witness.state(0);
	const run = state.full;
	if (!run || run.finished_at !== null) return run;
	// Keys or interval changed under the run: what it verified may no longer hold. Start over.
	if (run.fingerprint !== verificationFingerprint(keys, interval)) return startFullVerification(log, witness, keys, interval, now);
	const chainDone = (run: FullVerification) => run.first_break !== null || run.next_seq > run.target_seq;
	let next: FullVerification = { ...run, slices: run.slices + 1 };
	if (!chainDone(run)) {
		const slice = await verifySlice(
			{ log, checkpoints, keys, interval, witnessRange: (fromSeq, toSeq) => witness.between(fromSeq, toSeq), legacyBefore: state.linkedSince },
			{ nextSeq: run.next_seq, prevHash: run.prev_hash, lastCheckpoint: run.last_checkpoint },
			run.target_seq,
			FULL_PAGES_PER_SLICE,
		);
		const found: VerifyProblem[] = [...slice.checkpointProblems.map((problem) => ({ seq: problem.seq, reason: problem.reason })), ...slice.witnessProblems];
		next = {
			...next,
			next_seq: slice.next.nextSeq,
			prev_hash: slice.next.prevHash,
			last_checkpoint: slice.next.lastCheckpoint,
			checked: run.checked + slice.checked,
			// A broken link ends the walk: past it there is no chain to follow (the row scan goes on).
			first_break: run.first_break ?? slice.firstBreak,
			problems: [...run.problems, ...found].slice(0, MAX_PROBLEMS),
		};
	}
	// A scan that finished under other MAC keys is done again: its verdicts may not hold under these.
	const rows = await scanRows(run.rows ?? null);
	next = { ...next, rows, finished_at: chainDone(next) && rows.table === null ? now : null };
	return (await witness.saveFull(next, { started_at: run.started_at, next_seq: run.next_seq, slices: run.slices })) ? next : (await witness.state(0)).full;
}

const lastRows = (scan: RowScan, finishedAt: number) => ({ finished_at: finishedAt, found: scan.found, problems: scan.problems });
