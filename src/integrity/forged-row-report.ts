import type { ForgedRow } from "../audit/witness";
import { auditWitnessFor } from "../audit/witness-client";
import { AlertStore } from "../detection/alert-store";
import { scheduleAlertDelivery } from "../detection/schedule-delivery";
import type { Env } from "../env";

export type { ForgedRow } from "../audit/witness";

/**
 * Reports rows whose MAC failed: one critical `row_mac_failed` alert per row, reason and day (the
 * id makes repeats a no-op), naming the table, the row's key and the key id the row named, never
 * contact data; and the witness keeps the finding outside D1, where `GET /v1/audit/verify` reads
 * it. Written after the response: the request that met the row has already refused to use it.
 */
export async function reportForgedRows(env: Env, rows: readonly ForgedRow[], now: number, ctx?: Pick<ExecutionContext, "waitUntil">): Promise<void> {
	if (rows.length === 0) return;
	const day = new Date(now).toISOString().slice(0, 10);
	const alerts = new AlertStore(env.DB);
	const webhook = Boolean(env.ALERT_WEBHOOK_URL);
	console.error(JSON.stringify({ event: "row_mac_failed", rows: rows.map((row) => ({ table: row.table, key: row.key, reason: row.reason })) }));
	const witness = auditWitnessFor(env);
	const steps: Promise<unknown>[] = [
		env.DB.batch(
			rows.map((row) =>
				alerts.insert(
					{
						id: `row_mac_failed:${row.table}:${row.key}:${row.reason}:${day}`,
						severity: "critical",
						kind: "row_mac_failed",
						details: { table: row.table, key: row.key, mac_key: row.mac_key, reason: row.reason },
						subject: null,
						depot: null,
					},
					now,
					webhook,
				),
			),
		),
	];
	if (witness) steps.push(witness.noteForgedRows([...rows], now));
	const settled = await Promise.allSettled(steps);
	if (ctx) scheduleAlertDelivery(env, ctx);
	for (const outcome of settled) {
		if (outcome.status === "rejected") console.error(JSON.stringify({ event: "row_mac_report_failed", name: (outcome.reason as Error)?.name }));
	}
}
