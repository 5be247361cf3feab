import type { Env } from "../env";
import { AlertStore } from "./alert-store";
import { deliverDueAlerts } from "./deliver-alerts";

/**
 * Tells the depot's ledger about a granted reveal; when the depot as a whole goes over its daily
 * budget, raises one critical alert. Runs after the response: it never delays or refuses an ask.
 */
export async function tallyDepotReveal(env: Env, depot: string, budget: number): Promise<void> {
	const { count, crossed } = await env.DEPOT_LEDGER.get(env.DEPOT_LEDGER.idFromName(depot)).tally(budget);
	if (!crossed) return;
	const alerts = new AlertStore(env.DB);
	const now = Date.now();
	await alerts
		.insert(
			{ severity: "critical", kind: "depot_budget_exceeded", details: { reveals_last_24h: count, budget }, subject: null, depot },
			now,
			Boolean(env.ALERT_WEBHOOK_URL),
		)
		.run();
	if (env.ALERT_WEBHOOK_URL) await deliverDueAlerts(alerts, env.ALERT_WEBHOOK_URL, now);
}
