import { z } from "@hono/zod-openapi";
import { WireTime, wireDetails, wireTime, wireTimeOrNull } from "../http/wire-time";
import type { RowTrust } from "../integrity/row-trust";
import { ALERT_STATES, type TriagedAlertRow } from "./alert-store";

const Triage = (what: string) =>
	z.object({ by: z.string().openapi({ description: "The ops `sub` who did it." }), at: WireTime(`When it was ${what}.`), note: z.string() }).nullable();

/** An alert on the wire: who and what it is about, its webhook delivery, and its triage by ops. */
export const AlertView = z
	.object({
		id: z.string(),
		at: WireTime("When it was raised."),
		severity: z.enum(["warning", "critical"]),
		kind: z.string().openapi({
			description:
				"`honeytoken_touched`, `out_of_scope_probing`, `daily_quota_reached`, `depot_ring_suspected`, `depot_budget_exceeded`, `lookup_limit_reached`, `lookup_misses_exceeded`, `refusal_budget_exhausted`, `key_missing`, `row_mac_failed`, `audit_entry_vanished` (an audit entry deleted from D1 before its seal: `details.seq`, `details.reason` `deleted` or `replaced`).",
		}),
		subject: z.string().nullable().openapi({ description: "The principal it is about (`sub`), with `subject_issuer`; null for depot-wide alerts." }),
		subject_issuer: z.string().nullable(),
		depot: z.string().nullable(),
		details: z.record(z.string(), z.unknown()).openapi({ description: "Ids, counts and thresholds, never contact data; time members (`…_at`) in wire time." }),
		delivery: z.enum(["pending", "delivered", "not_configured"]).openapi({ description: "The POST to ALERT_WEBHOOK_URL." }),
		attempts: z.number().int(),
		next_attempt_at: WireTime("When delivery is next tried, while pending."),
		delivered_at: WireTime("When the webhook took it.").nullable(),
		last_error: z.string().nullable(),
		state: z.enum(ALERT_STATES).openapi({ description: "Triage: `open`, then `acknowledged` (someone is on it), then `resolved`." }),
		acknowledged: Triage("acknowledged"),
		resolved: Triage("resolved"),
		triage_verified: z.boolean().openapi({
			description:
				"False when the stored triage fails its MAC (an acknowledgement or resolution written straight into the database): the alert then reads as open, with `state`, `acknowledged` and `resolved` as raised, and what the row claims is in `unverified_triage`. A `row_mac_failed` alert names it.",
		}),
		unverified_triage: z
			.object({ state: z.enum(ALERT_STATES), acknowledged: Triage("acknowledged"), resolved: Triage("resolved") })
			.nullable()
			.openapi({ description: "The triage the row claims, when it fails its MAC; null otherwise. Never acted on." }),
	})
	.openapi("Alert");

export function alertView(row: TriagedAlertRow, verified = true): z.infer<typeof AlertView> {
	const triage = (by: string | null, at: number | null, note: string | null) =>
		by === null || at === null ? null : { by, at: wireTime(at), note: note ?? "" };
	const stored = {
		state: row.state,
		acknowledged: triage(row.acknowledged_by, row.acknowledged_at, row.acknowledged_note),
		resolved: triage(row.resolved_by, row.resolved_at, row.resolved_note),
	};
	return {
		id: row.id,
		at: wireTime(row.at),
		severity: row.severity,
		kind: row.kind,
		subject: row.subject,
		subject_issuer: row.subject_issuer,
		depot: row.depot,
		details: wireDetails(JSON.parse(row.details)) as Record<string, unknown>,
		delivery: row.delivery,
		attempts: row.attempts,
		next_attempt_at: wireTime(row.next_attempt_at),
		delivered_at: wireTimeOrNull(row.delivered_at),
		last_error: row.last_error,
		...(verified ? stored : { state: "open" as const, acknowledged: null, resolved: null }),
		triage_verified: verified,
		unverified_triage: verified ? null : stored,
	};
}

/** Alerts as they may be shown: each triage checked against its MAC (an HMAC each, over the row already read). */
export async function alertViews(rows: readonly TriagedAlertRow[], trust: RowTrust): Promise<z.infer<typeof AlertView>[]> {
	return Promise.all(rows.map(async (row) => alertView(row, (await trust.alertTriage(row)).verified)));
}
