import { auditCheckpointInterval, signingJwkConfig } from "../config";
import { signCheckpoint } from "../crypto/checkpoint-token";
import { signingKeyFor } from "../crypto/signing-key";
import type { Env } from "../env";
import { CheckpointStore } from "./checkpoints";
import { AuditLog, type Head } from "./log";

/**
 * The audit log of the database a request writes to. Entries are sealed after the response
 * (`waitUntil`), off the request's path, every SEAL_EVERY appends, and the sealer signs a checkpoint of every entry whose
 * seq is a multiple of AUDIT_CHECKPOINT_INTERVAL, so verification knows exactly which checkpoints
 * must exist. Neither step can fail the request: failures are logged, and the cron seals anyway.
 */
export function auditLogFor(env: Env, ctx?: Pick<ExecutionContext, "waitUntil">): AuditLog {
	const interval = auditCheckpointInterval(env);
	const onSealed = async (sealed: Head[]) => {
		const due = sealed.filter((head) => head.seq % interval === 0);
		if (due.length === 0) return;
		const key = await signingKeyFor(signingJwkConfig(env));
		const store = new CheckpointStore(env.DB);
		for (const head of due) {
			const checkpoint = { seq: head.seq, hash: head.hash, at: Date.now() };
			await store.save({ ...checkpoint, signature: await signCheckpoint(key, checkpoint) });
		}
	};
	if (!ctx) return new AuditLog(env.DB, onSealed);
	const sealer = new AuditLog(env.DB, onSealed);
	return new AuditLog(env.DB, onSealed, (seqs) => {
		// Sealing after every append would put three D1 statements behind each request (measured:
		// it held the single local D1 writer long enough to add milliseconds to the next ask); every
		// SEAL_EVERY entries (and the every-minute cron, and verification) keeps the unsealed tail
		// short. Unsealed entries are still append-only: the database refuses any other update.
		if (!seqs.some((seq) => seq % SEAL_EVERY === 0)) return;
		ctx.waitUntil(
			sealer.seal().catch((error: Error) => {
				console.error(JSON.stringify({ event: "audit_seal_failed", name: error.name, message: error.message }));
			}),
		);
	});
}

/** Seal once an append writes a seq that is a multiple of this. */
export const SEAL_EVERY = 16;
