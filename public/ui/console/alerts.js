// @ts-check
/** Alerts: newest first, what triggered each and whether the webhook has it. */
import { byId, el, table, when } from "../dom.js";
import { api } from "../session.js";
import { describeDetails, problemText, say } from "./notice.js";

const ALERT_NAMES = /** @type {Record<string, string>} */ ({
	honeytoken_touched: "Honeytoken touched",
	out_of_scope_probing: "Out-of-scope probing",
	daily_quota_reached: "Daily quota reached",
	depot_ring_suspected: "Several employees of one depot at quota",
	depot_budget_exceeded: "Depot budget exceeded",
	key_missing: "Encryption key missing",
});

export async function load() {
	const answer = await api("GET", "/v1/alerts?limit=100");
	if (!answer.ok) return say(problemText(answer));
	/** @type {{ at: number, severity: string, kind: string, subject: string | null, depot: string | null, details: Record<string, unknown>, delivery: string, attempts: number }[]} */
	const alerts = answer.body.alerts;
	byId("alert-table", HTMLElement).replaceChildren(
		alerts.length === 0
			? el("p", {}, "No alerts.")
			: table(
					`Alerts, newest first (${alerts.length})`,
					["When", "Severity", "What", "Who", "Triggered by", "Webhook"],
					alerts.map((alert) => [
						when(alert.at),
						alert.severity,
						ALERT_NAMES[alert.kind] ?? alert.kind,
						[alert.subject, alert.depot ? `depot ${alert.depot}` : null].filter(Boolean).join(", ") || "—",
						describeDetails(alert.details) || "—",
						alert.delivery === "pending" ? `pending (${alert.attempts} attempts)` : alert.delivery.replace(/_/g, " "),
					]),
				),
	);
}
byId("alerts-refresh", HTMLButtonElement).addEventListener("click", () => load());

export function reset() {
	byId("alert-table", HTMLElement).replaceChildren();
}
