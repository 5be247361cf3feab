import type { VerificationKey } from "../crypto/signing-key";
import type { ForgedRow } from "../integrity/forged-row-report";
import type { ScannedTable } from "../integrity/row-mac-store";
import { newRowScan } from "../integrity/row-scan";
import type { CheckpointStore } from "./checkpoints";
import { GENESIS_HASH } from "./entry";
import type { AuditLog, Head } from "./log";
import { VERIFY_PAGES_PER_REQUEST, WITNESS_RECENT } from "./verify-budget";
import type { ChainBreak } from "./verify-chain";
import { type CheckpointProblem, type SliceStart, verifySlice } from "./verify-slice";
import { type AuditWitness, type FullVerification, UNWITNESSED, type VerifyProblem, type WitnessState } from "./witness";

export type { CheckpointProblem } from "./verify-slice";

export type WitnessClient = Pick<DurableObjectStub<AuditWitness>, "state" | "between" | "saveProgress" | "toldUpTo">;

export interface VerifyReport {
	/** Nothing wrong was found, the witness was compared, and the last full re-verification found nothing either. */
	ok: boolean;
	/** The walk reached the sealed head; false when the chain past the last verified checkpoint is longer than one request walks. */
	complete: boolean;
	entries_checked: number;
	head: Head;
	/** The entries this request walked, from the last verified checkpoint on. */
	walked: { from_seq: number; to_seq: number };
	first_break: ChainBreak | null;
	checkpoints_checked: number;
	checkpoint_problems: CheckpointProblem[];
	witness: { status: "compared" | "unreachable" | "not_configured"; head: Head | null; problems: VerifyProblem[] };
	sealing: { status: "up_to_date" | "backlog" | "delayed"; unsealed_from: number | null };
	full_verification: FullVerificationView | null;
}

export interface FullVerificationView {
	status: "running" | "finished";
	started_at: string;
	target_seq: number;
	checked_through: number;
	entries_checked: number;
	finished_at: string | null;
	ok: boolean;
	first_break: VerifyProblem | null;
	problems: VerifyProblem[];
	rows: RowScanView;
}

/** The scan of every MACed row in the run (src/integrity/row-scan.ts). */
export interface RowScanView {
	/** The table being walked; null before the first slice and once every table is walked. */
	table: ScannedTable | null;
	finished: boolean;
	checked: Record<ScannedTable, number>;
	found: number;
	problems: ForgedRow[];
	/** What the last finished run's scan found, standing until this one finishes. */
	last_finished: { finished_at: string; found: number; problems: ForgedRow[] } | null;
}

/** How long an entry may stay unsealed before verification calls it stuck rather than in flight. */
const SEAL_GRACE_MS = 60_000;

/**
 * What verification depends on besides the data: the verification keys and the interval. Progress
 * made under one configuration is not trusted under another (a key retired earlier can turn a
 * verified checkpoint into a `signed_after_retirement`), so a change starts the walk over.
 */
export function verificationFingerprint(keys: readonly VerificationKey[], interval: number): string {
	return JSON.stringify([interval, keys.map((key) => [key.kid, key.alg, key.retiredAt ?? null, key.publicJwk.x ?? null, key.publicJwk.y ?? null])]);
}

export function fullView(full: FullVerification | null): FullVerificationView | null {
	if (!full) return null;
	const scan = full.rows ?? null;
	const last = full.last_rows ?? null;
	return {
		status: full.finished_at === null ? "running" : "finished",
		started_at: new Date(full.started_at).toISOString(),
		target_seq: full.target_seq,
		checked_through: full.next_seq - 1,
		entries_checked: full.checked,
		finished_at: full.finished_at === null ? null : new Date(full.finished_at).toISOString(),
		// Forged rows found by the last finished scan keep `ok` false until a scan finishes without them.
		ok: full.first_break === null && full.problems.length === 0 && (scan?.found ?? 0) === 0 && (full.finished_at !== null || (last?.found ?? 0) === 0),
		first_break: full.first_break,
		problems: full.problems,
		rows: {
			table: scan?.table ?? null,
			finished: scan !== null && scan.table === null,
			checked: scan?.checked ?? newRowScan("").checked,
			found: scan?.found ?? 0,
			problems: scan?.problems ?? [],
			last_finished: last ? { finished_at: new Date(last.finished_at).toISOString(), found: last.found, problems: last.problems } : null,
		},
	};
}

/**
 * One bounded verification (VERIFY_QUERY_BOUND D1 round trips at most, see verify-budget.ts):
 *
 * 1. read the witness's state, then seal what is pending (one bounded seal call);
 * 2. walk from the last verified checkpoint (progress kept in the witness) towards the sealed
 *    head, at most VERIFY_PAGES_PER_REQUEST pages, checking entries, checkpoints and everything
 *    the witness saw in that range (verify-slice.ts);
 * 3. spot-check D1 against the witness's newest heads, checkpoints and archive segments, wherever
 *    they lie: a tail shorter than the witness's head, a different hash at a witnessed seq, a
 *    missing or altered checkpoint, and fewer checkpoints than the witness saw stored;
 * 4. report the full re-verification job (full-verification.ts), which walks everything, slice by
 *    slice from the cron, and finds edits older than the last verified checkpoint.
 *
 * Progress moves to the last checkpoint walked only when nothing at all was found. The witness
 * state is read before sealing, so a head sealed meanwhile is never taken for a truncated tail.
 */
export async function verifyAuditLog(
	log: AuditLog,
	checkpoints: CheckpointStore,
	witness: WitnessClient | null,
	keys: readonly VerificationKey[],
	interval: number,
	now: number,
): Promise<VerifyReport> {
	const fingerprint = verificationFingerprint(keys, interval);
	let state: WitnessState | null = null;
	let witnessStatus: VerifyReport["witness"]["status"] = witness ? "compared" : "not_configured";
	if (witness) {
		try {
			state = await witness.state(WITNESS_RECENT);
		} catch (error) {
			witnessStatus = "unreachable";
			console.error(JSON.stringify({ event: "audit_witness_unreachable", name: (error as Error).name }));
		}
	}

	let head: Head;
	let more = false;
	let sealFailed = false;
	try {
		({ head, more } = await log.sealSome());
	} catch (error) {
		sealFailed = true;
		console.error(JSON.stringify({ event: "audit_seal_failed", name: (error as Error).name, message: (error as Error).message }));
		head = await log.head();
	}

	const progress = state?.progress?.fingerprint === fingerprint ? state.progress.checkpoint : null;
	const start: SliceStart = progress
		? { nextSeq: progress.seq + 1, prevHash: progress.hash, lastCheckpoint: progress }
		: { nextSeq: 1, prevHash: GENESIS_HASH, lastCheckpoint: null };
	const slice = await verifySlice(
		{
			log,
			checkpoints,
			keys,
			interval,
			witnessRange: state && witness ? (fromSeq, toSeq) => witness.between(fromSeq, toSeq) : null,
			legacyBefore: state ? state.linkedSince : undefined,
		},
		start,
		head.seq,
		VERIFY_PAGES_PER_REQUEST,
	);
	let firstBreak = slice.firstBreak;
	const witnessProblems = [...slice.witnessProblems];
	if (state && witness) {
		const seen = new Set(witnessProblems.map((problem) => `${problem.seq} ${problem.reason}`));
		const found = await spotCheck(log, checkpoints, state, head);
		// D1's sealed head is read before what the witness was told, and every seal tells it first: a
		// D1 head past that was sealed outside the vault, even before any seal after it.
		try {
			const told = await witness.toldUpTo();
			if (told > 0 && head.seq > told) found.push(unwitnessedProblem(told + 1, head.seq));
		} catch (error) {
			witnessStatus = "unreachable";
			console.error(JSON.stringify({ event: "audit_witness_unreachable", name: (error as Error).name }));
		}
		for (const problem of found) {
			const key = `${problem.seq} ${problem.reason}`;
			if (!seen.has(key)) witnessProblems.push(problem);
			seen.add(key);
		}
		witnessProblems.sort((a, b) => a.seq - b.seq);
	}

	// Past the sealed head: a deleted row stops sealing (a gap), and a row the sealer could not
	// link for long is stuck; a fresh unsealed row is traffic, and a backlog or a witness that
	// cannot be reached only makes sealing late.
	let sealing: VerifyReport["sealing"] = { status: "up_to_date", unsealed_from: null };
	const [next] = await log.range(head.seq + 1, 1);
	if (next && next.seq !== head.seq + 1) {
		firstBreak ??= { seq: head.seq + 1, reason: "missing_entry", detail: `expected entry ${head.seq + 1}, found ${next.seq}` };
	} else if (next) {
		sealing = { status: sealFailed ? "delayed" : more ? "backlog" : "up_to_date", unsealed_from: next.seq };
		if (!sealFailed && !more && next.at < now - SEAL_GRACE_MS) {
			firstBreak ??= { seq: next.seq, reason: "unsealed", detail: `entry ${next.seq} could not be sealed onto the chain` };
		}
	}

	const full = fullView(state?.full ?? null);
	const clean = firstBreak === null && slice.checkpointProblems.length === 0 && witnessProblems.length === 0;
	if (clean && state && witness && slice.next.lastCheckpoint && slice.next.lastCheckpoint.seq > (progress?.seq ?? 0)) {
		await witness.saveProgress({ fingerprint, checkpoint: slice.next.lastCheckpoint });
	}
	return {
		ok: clean && witnessStatus === "compared" && (full === null || full.ok),
		complete: slice.next.nextSeq > head.seq,
		entries_checked: slice.checked,
		head,
		walked: { from_seq: start.nextSeq, to_seq: slice.next.nextSeq - 1 },
		first_break: firstBreak,
		checkpoints_checked: slice.checkpointsChecked,
		checkpoint_problems: slice.checkpointProblems,
		witness: { status: witnessStatus, head: state?.head ?? null, problems: witnessProblems },
		sealing,
		full_verification: full,
	};
}

/** Entry `seq` onward sealed in D1 with no seal telling the witness: written outside the vault. */
function unwitnessedProblem(seq: number, d1Head: number | null): VerifyProblem {
	return {
		seq,
		reason: "sealed_unwitnessed",
		detail: `entry ${seq} was sealed in D1${d1Head === null ? "" : ` (its chain reaches ${d1Head})`} without the witness seeing the seal: written outside the vault`,
	};
}

/** D1 against the newest of what the witness saw, wherever the walk is: two D1 round trips. */
async function spotCheck(log: AuditLog, checkpoints: CheckpointStore, state: WitnessState, head: Head): Promise<VerifyProblem[]> {
	const problems: VerifyProblem[] = state.conflicts.map((conflict) =>
		conflict.reported === UNWITNESSED
			? unwitnessedProblem(conflict.seq, null)
			: { seq: conflict.seq, reason: "sealed_differently", detail: `a seal of entry ${conflict.seq} contradicted what the witness had seen sealed` },
	);
	for (const entry of state.forgedEntries) {
		problems.push({
			seq: entry.seq,
			reason: "entry_forged",
			detail: `entry ${entry.seq} was linked without a MAC the vault wrote (${entry.reason}): written outside the vault, never cited as evidence`,
		});
	}
	for (const entry of state.vanishedEntries) {
		problems.push({
			seq: entry.seq,
			reason: "entry_vanished",
			detail:
				entry.found === null
					? `entry ${entry.seq}, appended and not sealed yet, was deleted from D1`
					: `entry ${entry.seq}, appended and not sealed yet, was deleted from D1 and its seq taken by another entry`,
		});
	}
	const points = [...(state.head ? [state.head] : []), ...state.recentPoints];
	const segments = state.recentSegments;
	const hashes = await log.hashesAt([...points.map((point) => point.seq), ...segments.map((segment) => segment.last_seq)]);
	// A witnessed head past D1's sealed head is a truncated tail only if its row is gone: a row
	// still there unsealed is a concurrent seal half written, and the next verification sees it sealed.
	if (state.head && state.head.seq > head.seq && !hashes.has(state.head.seq)) {
		problems.push({ seq: head.seq + 1, reason: "tail_truncated", detail: `D1's chain ends at ${head.seq}; the witness saw it sealed up to ${state.head.seq}` });
	}
	for (const point of new Map(points.map((p) => [p.seq, p])).values()) {
		const hash = hashes.get(point.seq);
		if (hash === undefined && point.seq <= head.seq) {
			problems.push({ seq: point.seq, reason: "entry_missing", detail: `entry ${point.seq}, which the witness saw sealed, is gone` });
		} else if (hash !== undefined && hash !== null && hash !== point.hash) {
			problems.push({ seq: point.seq, reason: "hash_differs", detail: `entry ${point.seq} is not the entry the witness saw sealed` });
		}
	}
	for (const segment of segments) {
		const hash = hashes.get(segment.last_seq);
		if (hash !== null && hash !== segment.last_hash) {
			problems.push({ seq: segment.last_seq, reason: "archive_differs", detail: `D1 differs from archived segment ${segment.key}` });
		}
	}
	if (state.linkedSince !== null) {
		const { found, count } = await checkpoints.spotCheck(
			state.recentCheckpoints.map((checkpoint) => checkpoint.seq),
			state.linkedSince,
		);
		const held = new Map(found.map((checkpoint) => [checkpoint.seq, checkpoint.signature]));
		for (const checkpoint of state.recentCheckpoints) {
			const signature = held.get(checkpoint.seq);
			if (signature === undefined)
				problems.push({ seq: checkpoint.seq, reason: "checkpoint_missing", detail: `D1 no longer holds checkpoint ${checkpoint.seq}` });
			else if (signature !== checkpoint.signature) {
				problems.push({ seq: checkpoint.seq, reason: "checkpoint_altered", detail: `checkpoint ${checkpoint.seq} differs from the one signed` });
			}
		}
		if (count < state.storedCheckpoints) {
			problems.push({
				seq: state.linkedSince,
				reason: "checkpoints_missing",
				detail: `D1 holds ${count} of the ${state.storedCheckpoints} checkpoints the witness saw stored since entry ${state.linkedSince}; the full re-verification names them`,
			});
		}
	}
	return problems.sort((a, b) => a.seq - b.seq);
}
