import { signCheckpoint } from "../crypto/checkpoint-token";
import type { SigningKey } from "../crypto/signing-key";
import type { CheckpointStore, StoredCheckpoint } from "./checkpoints";
import type { AuditLog } from "./log";
import type { AuditWitness, PendingCheckpoint } from "./witness";

export type Witness = Pick<DurableObjectStub<AuditWitness>, "sealing" | "planHead" | "signed" | "stored">;

/**
 * Signs the checkpoints the witness planned and has no signature for yet, stores every pending
 * one in D1, then tells the witness D1 holds them. Each step may fail and be repeated: the witness
 * keeps the first signature of each checkpoint and the plans stay pending until D1 holds them.
 */
export async function settleCheckpoints(
	witness: Witness,
	store: CheckpointStore,
	key: SigningKey,
	pending: readonly PendingCheckpoint[],
	now: number,
): Promise<StoredCheckpoint[]> {
	if (pending.length === 0) return [];
	const unsigned = pending.filter((checkpoint) => checkpoint.signature === null);
	const signatures = await Promise.all(
		unsigned.map(async ({ seq, hash, prev }) => ({ seq, at: now, signature: await signCheckpoint(key, { seq, hash, at: now, prev }) })),
	);
	const accepted = signatures.length > 0 ? await witness.signed(signatures) : [];
	const settled: StoredCheckpoint[] = [
		...pending.flatMap(({ seq, hash, at, prev, signature }) => (signature === null ? [] : [{ seq, hash, at, prev, signature }])),
		...accepted.map(({ seq, hash, at, prev, signature }) => ({ seq, hash, at, prev, signature })),
	].sort((a, b) => a.seq - b.seq);
	await store.saveAll(settled);
	await witness.stored(settled.map((checkpoint) => checkpoint.seq));
	return settled;
}

/**
 * Signs and stores a checkpoint of the sealed head (hourly, or when ops ask), unless a checkpoint
 * already covers it, and settles whatever else is pending. The witness plans it, linked to the one
 * before; a head the witness did not see sealed gets none.
 */
export async function checkpointHead(log: AuditLog, store: CheckpointStore, witness: Witness, key: SigningKey, now: number): Promise<StoredCheckpoint | null> {
	const head = await log.head();
	if (head.seq === 0) return null;
	let answer = await witness.planHead(head);
	if (answer.anchorRequired) answer = await witness.planHead(head, await store.latestLink());
	const settled = await settleCheckpoints(witness, store, key, answer.pending, now);
	return answer.planned ? (settled.find((checkpoint) => checkpoint.seq === head.seq) ?? null) : null;
}
