import { z } from "@hono/zod-openapi";
import { OUTBOX_FLUSH_DELAY_MS } from "../limits/audit-outbox";
import { RELAY_FLUSH_DELAY_MS } from "../limits/depot-ledger";
import type { AuditLog } from "./log";

/**
 * Reveals, refusals and summaries reach the audit log from the principals' limiter objects a few
 * seconds after they happen (DESIGN "One hop per step"), an employee's through the depot's ledger,
 * so every read of the log says how fresh it is: entries decided after `newest_flush_at` may still
 * be waiting in their objects.
 */
export const AuditFreshnessView = z
	.object({
		newest_flush_at: z
			.string()
			.openapi({ format: "date-time", description: "When the newest flush from a principal's object or a depot's ledger landed (UTC); null before the first." })
			.nullable(),
		newest_flush_lag_seconds: z
			.number()
			.openapi({
				description:
					"How late that flush's oldest entry arrived: a few seconds normally; longer after D1 was unavailable, or (up to 30 s more) after an object restarted before its flush.",
			})
			.nullable(),
		flush_interval_seconds: z
			.number()
			.openapi({ description: "An entry reaches the log about this long after its decision (at once when many wait, or an alert does)." }),
	})
	.openapi("AuditFreshness");

export type AuditFreshness = z.infer<typeof AuditFreshnessView>;

export async function auditFreshness(log: AuditLog): Promise<AuditFreshness> {
	const { newestFlushAt, newestFlushLagMs } = await log.flushLag();
	return {
		newest_flush_at: newestFlushAt === null ? null : new Date(newestFlushAt).toISOString(),
		newest_flush_lag_seconds: newestFlushLagMs === null ? null : Math.max(0, newestFlushLagMs) / 1000,
		// The principal's object hands its entries on after OUTBOX_FLUSH_DELAY_MS; an employee's depot ledger writes them RELAY_FLUSH_DELAY_MS later.
		flush_interval_seconds: (OUTBOX_FLUSH_DELAY_MS + RELAY_FLUSH_DELAY_MS) / 1000,
	};
}
