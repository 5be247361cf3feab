import type { Env } from "../env";
import { AlertStore } from "./alert-store";
import { deliverDueAlerts } from "./deliver-alerts";

/** Tries to deliver due alerts once the response is out; the minute cron retries what fails. */
export function scheduleAlertDelivery(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): void {
	const url = env.ALERT_WEBHOOK_URL;
	if (!url) return;
	ctx.waitUntil(
		deliverDueAlerts(new AlertStore(env.DB), url, Date.now()).catch((error: Error) => {
			console.error(JSON.stringify({ event: "alert_delivery_failed", name: error.name }));
		}),
	);
}
