import { auditCheckpointInterval, signingJwkConfig } from "../config";
import { signingKeyFor } from "../crypto/signing-key";
import type { Env } from "../env";
import { checkpointDue, checkpointHead } from "./checkpointing";
import { CheckpointStore } from "./checkpoints";
import { AuditLog } from "./log";

/**
 * The audit log of the database a request writes to, with its checkpoint schedule: every
 * AUDIT_CHECKPOINT_INTERVAL entries the appender signs the head. A failed checkpoint never fails
 * the request: it is logged, and the hourly cron signs the head anyway.
 */
export function auditLogFor(env: Env): AuditLog {
	const interval = auditCheckpointInterval(env);
	return new AuditLog(env.DB, "default", async (entry) => {
		if (!checkpointDue(entry.seq, interval)) return;
		try {
			const key = await signingKeyFor(signingJwkConfig(env));
			await checkpointHead(new AuditLog(env.DB), new CheckpointStore(env.DB), key, Date.now());
		} catch (error) {
			console.error(JSON.stringify({ event: "audit_checkpoint_failed", seq: entry.seq, name: (error as Error).name }));
		}
	});
}
