import type { Env } from "../env";
import { AlertStore } from "./alert-store";
import { scheduleAlertDelivery } from "./schedule-delivery";

/**
 * A record's key id is missing from VAULT_KEYRING: someone removed a key still in use, and every
 * reveal of its records fails until it is restored. One critical alert per key id per day (the id
 * makes repeats a no-op), written after the response so the failing request stays fast.
 */
export function raiseKeyMissingAlert(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, keyId: string, where: string, now: number): void {
	const day = new Date(now).toISOString().slice(0, 10);
	const alert = {
		id: `key_missing:${keyId}:${day}`,
		severity: "critical" as const,
		kind: "key_missing",
		details: { key_id: keyId, where },
		subject: null,
		depot: null,
	};
	ctx.waitUntil(
		new AlertStore(env.DB)
			.insert(alert, now, Boolean(env.ALERT_WEBHOOK_URL))
			.run()
			.then(() => scheduleAlertDelivery(env, ctx))
			.catch((error: Error) => console.error(JSON.stringify({ event: "key_missing_alert_failed", key_id: keyId, name: error.name }))),
	);
}
