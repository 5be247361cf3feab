import { app } from "./app";
import { checkpointHead } from "./audit/checkpointing";
import { CheckpointStore } from "./audit/checkpoints";
import { AuditLog } from "./audit/log";
import { signingJwkConfig } from "./config";
import { signingKeyFor } from "./crypto/signing-key";
import type { Env } from "./env";
import { IdempotencyStore } from "./idempotency/store";
import { RedemptionStore } from "./reveals/redemption-store";

export default {
	fetch: app.fetch,

	/**
	 * Hourly housekeeping (wrangler.toml `triggers.crons`): a signed checkpoint of the audit head,
	 * so one exists at least hourly however quiet the vault is, and purges of what has expired.
	 */
	async scheduled(controller, env) {
		const now = controller.scheduledTime;
		const log = new AuditLog(env.DB);
		await log.seal();
		const checkpoint = await checkpointHead(log, new CheckpointStore(env.DB), await signingKeyFor(signingJwkConfig(env)), now);
		const idempotencyKeys = await new IdempotencyStore(env.DB).purgeExpired(now);
		const redemptions = await new RedemptionStore(env.DB).purgeExpired(now);
		console.log(JSON.stringify({ event: "housekeeping", checkpoint_seq: checkpoint?.seq ?? null, idempotency_keys: idempotencyKeys, redemptions }));
	},
} satisfies ExportedHandler<Env>;
