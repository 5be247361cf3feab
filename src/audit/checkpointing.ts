import { signCheckpoint } from "../crypto/checkpoint-token";
import type { SigningKey } from "../crypto/signing-key";
import type { CheckpointStore, StoredCheckpoint } from "./checkpoints";
import type { AuditLog } from "./log";

/** Signs and stores a checkpoint of the sealed head, unless the latest checkpoint already covers it. */
export async function checkpointHead(log: AuditLog, store: CheckpointStore, key: SigningKey, now: number): Promise<StoredCheckpoint | null> {
	const head = await log.head();
	if (head.seq === 0) return null;
	const latest = await store.latest();
	if (latest && latest.seq >= head.seq) return null;
	const checkpoint = { seq: head.seq, hash: head.hash, at: now };
	const stored = { ...checkpoint, signature: await signCheckpoint(key, checkpoint) };
	await store.save(stored);
	return stored;
}
