import type { Env } from "../env";
import { AlertStore } from "./alert-store";
import { deliverDueAlerts } from "./deliver-alerts";

/** Reveals this isolate has granted per depot and not yet told the depot's ledger. */
const pending = new Map<string, { reveals: number; since: number }>();
const FLUSH_AFTER_MS = 5_000;

/**
 * Counts a granted reveal towards its depot's daily budget. The isolate gathers a few before it
 * tells the ledger (at most 1% of the budget, at most 16, at most five seconds' worth), so the
 * depot's object is not one more round trip behind every reveal. An evicted isolate loses at most
 * that many counts: the budget raises an alert, it never refuses, so a small undercount is the cost.
 */
export function countDepotReveal(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, depot: string, budget: number, now: number): void {
	const entry = pending.get(depot) ?? { reveals: 0, since: now };
	entry.reveals += 1;
	pending.set(depot, entry);
	const batch = Math.max(1, Math.min(16, Math.floor(budget / 100)));
	if (entry.reveals < batch && now - entry.since < FLUSH_AFTER_MS) return;
	pending.delete(depot);
	ctx.waitUntil(
		tallyDepotReveal(env, depot, budget, entry.reveals).catch((error: Error) =>
			console.error(JSON.stringify({ event: "depot_tally_failed", depot, name: error.name })),
		),
	);
}

/** Tells the depot's ledger; when the depot as a whole goes over its daily budget, raises one critical alert. */
export async function tallyDepotReveal(env: Env, depot: string, budget: number, reveals: number): Promise<void> {
	const { count, crossed } = await env.DEPOT_LEDGER.get(env.DEPOT_LEDGER.idFromName(depot)).tally(budget, reveals);
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
