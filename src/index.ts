import { app } from "./app";
import { auditLogFor } from "./audit/audit-log-for";
import { checkpointHead } from "./audit/checkpointing";
import { CheckpointStore } from "./audit/checkpoints";
import { signingJwkConfig } from "./config";
import { signingKeyFor } from "./crypto/signing-key";
import { AlertStore } from "./detection/alert-store";
import { deliverDueAlerts } from "./detection/deliver-alerts";
import type { Env } from "./env";
import { IdempotencyStore } from "./idempotency/store";
import { RedemptionStore } from "./reveals/redemption-store";

export { DepotLedger } from "./limits/depot-ledger";
export { PrincipalLimiter } from "./limits/principal-limiter";

export default {
	fetch: app.fetch,

	/**
	 * Hourly housekeeping (wrangler.toml `triggers.crons`): a signed checkpoint of the audit head,
	 * so one exists at least hourly however quiet the vault is, and purges of what has expired.
	 */
	async scheduled(controller, env) {
		const now = controller.scheduledTime;
		if (controller.cron === "* * * * *") {
			// Every minute: seal the audit tail, and retry alert deliveries that failed.
			await auditLogFor(env).seal();
			if (env.ALERT_WEBHOOK_URL)
				console.log(JSON.stringify({ event: "alerts_delivered", ...(await deliverDueAlerts(new AlertStore(env.DB), env.ALERT_WEBHOOK_URL, now)) }));
			return;
		}
		const steps: Record<string, () => Promise<unknown>> = {
			checkpoint: async () => {
				const log = auditLogFor(env);
				await log.seal();
				return (await checkpointHead(log, new CheckpointStore(env.DB), await signingKeyFor(signingJwkConfig(env)), now))?.seq ?? null;
			},
			idempotency_keys_purged: () => new IdempotencyStore(env.DB).purgeExpired(now),
			redemptions_purged: () => new RedemptionStore(env.DB).purgeExpired(now),
		};
		// Each step on its own: a broken signing key must not stop the purges, nor the other way round.
		const outcomes = await Promise.allSettled(Object.values(steps).map((step) => step()));
		const report = Object.fromEntries(
			Object.keys(steps).map((name, i) => [
				name,
				outcomes[i]?.status === "fulfilled" ? outcomes[i].value : `failed: ${(outcomes[i] as PromiseRejectedResult).reason?.name}`,
			]),
		);
		console.log(JSON.stringify({ event: "housekeeping", ...report }));
		if (outcomes.some((outcome) => outcome.status === "rejected")) throw new Error("housekeeping step failed; see the log line before");
	},
} satisfies ExportedHandler<Env>;
