import { AlertStore } from "../detection/alert-store";
import { scheduleAlertDelivery } from "../detection/schedule-delivery";
import type { Env } from "../env";
import type { VanishedEntry } from "./witness";
import { auditWitnessFor } from "./witness-client";

/**
 * Raises one critical `audit_entry_vanished` alert per entry the witness found gone from D1 before
 * its seal (deleted by someone with raw database access, its seq reused or left empty), naming the
 * seq and whether it was replaced or deleted, never what the entry said. The witness keeps the
 * finding, where `GET /v1/audit/verify` reads it, and is told once D1 holds the alert: until then
 * the every-minute check raises it again, and the alert's id makes a repeat a no-op.
 */
export async function reportVanishedEntries(
	env: Env,
	entries: readonly VanishedEntry[],
	now: number,
	ctx?: Pick<ExecutionContext, "waitUntil">,
): Promise<void> {
	if (entries.length === 0) return;
	console.error(JSON.stringify({ event: "audit_entry_vanished", seqs: entries.map((entry) => entry.seq) }));
	const alerts = new AlertStore(env.DB);
	const webhook = Boolean(env.ALERT_WEBHOOK_URL);
	await env.DB.batch(
		entries.map((entry) =>
			alerts.insert(
				{
					id: `audit_entry_vanished:${entry.seq}:${entry.mac.slice(0, 16)}`,
					severity: "critical",
					kind: "audit_entry_vanished",
					details: { seq: entry.seq, reason: entry.found === null ? "deleted" : "replaced" },
					subject: null,
					depot: null,
				},
				now,
				webhook,
			),
		),
	);
	await auditWitnessFor(env)?.alertedVanished(entries.map(({ seq, mac }) => ({ seq, mac })));
	if (ctx) scheduleAlertDelivery(env, ctx);
}
