// @ts-check
/** Alerts: newest first, what triggered each and whether the webhook has it. */
import { byId, el, table } from "../dom.js";
import { nameOf, t, when } from "../i18n.js";
import { api } from "../session.js";
import { fieldsView } from "./details.js";
import { problemText, say } from "./notice.js";

export async function load() {
	const answer = await api("GET", "/v1/alerts?limit=100");
	if (!answer.ok) return say(problemText(answer));
	/** @type {{ at: number | string, severity: string, kind: string, subject: string | null, depot: string | null, details: Record<string, unknown>, delivery: string, attempts: number }[]} */
	const alerts = answer.body.alerts;
	byId("alert-table", HTMLElement).replaceChildren(
		alerts.length === 0
			? el("p", {}, t("alerts.none"))
			: table(
					t("alerts.caption", { count: alerts.length }),
					["when", "severity", "what", "who", "details", "webhook"].map((column) => t(`alerts.col.${column}`)),
					alerts.map((alert) => [
						when(alert.at),
						nameOf("severity", alert.severity),
						nameOf("alert", alert.kind),
						[alert.subject, alert.depot ? t("alerts.depot", { depot: alert.depot }) : null].filter(Boolean).join(", ") || "—",
						Object.keys(alert.details ?? {}).length > 0 ? fieldsView(alert.details) : "—",
						alert.delivery === "pending" ? t("alerts.pending", { count: alert.attempts }) : nameOf("alerts.delivery", alert.delivery),
					]),
				),
	);
}
byId("alerts-refresh", HTMLButtonElement).addEventListener("click", () => load());

export function reset() {
	byId("alert-table", HTMLElement).replaceChildren();
}
