import { auditCheckpointInterval, signingJwkConfig } from "../config";
import { signingKeyFor } from "../crypto/signing-key";
import type { Env } from "../env";
import { checkpointHead } from "./checkpointing";
import { CheckpointStore } from "./checkpoints";
import { AuditLog, type Head } from "./log";

/**
 * The audit log of the database a request writes to. Entries are sealed after the response
 * (`waitUntil`), off the request's path, and whenever the sealed head passes a multiple of
 * AUDIT_CHECKPOINT_INTERVAL, the head is signed. Neither step can fail the request: failures are
 * logged, and the cron seals and signs anyway.
 */
export function auditLogFor(env: Env, ctx?: Pick<ExecutionContext, "waitUntil">): AuditLog {
	const interval = auditCheckpointInterval(env);
	const onSealed = async (from: number, head: Head) => {
		if (Math.floor(head.seq / interval) === Math.floor(from / interval)) return;
		const key = await signingKeyFor(signingJwkConfig(env));
		await checkpointHead(new AuditLog(env.DB), new CheckpointStore(env.DB), key, Date.now());
	};
	const log = new AuditLog(env.DB, onSealed);
	if (!ctx) return log;
	return new AuditLog(env.DB, onSealed, () =>
		ctx.waitUntil(
			log.seal().catch((error: Error) => {
				console.error(JSON.stringify({ event: "audit_seal_failed", name: error.name, message: error.message }));
			}),
		),
	);
}
