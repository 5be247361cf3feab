// @ts-check
/** Alerts: newest first, what triggered each, whether the webhook has it, and triage (acknowledge, resolve) with a note. */
import { byId, el, table } from "../dom.js";
import { nameOf, t, when } from "../i18n.js";
import { api } from "../session.js";
import { fieldsView } from "./details.js";
import { problemText, say } from "./notice.js";

/** @typedef {{ by: string, at: number | string, note: string } | null} Triage */
/** @typedef {{ id: string, at: number | string, severity: string, kind: string, subject: string | null, depot: string | null, details: Record<string, unknown>, delivery: string, attempts: number, state?: string, acknowledged?: Triage, resolved?: Triage }} Alert */

/**
 * The alert's triage: who acknowledged or resolved it, when and with what note, and the next step
 * with a note field (a note is required: it is what the next person reads, and it is audited).
 * @param {Alert} alert @param {number} index
 */
function triageView(alert, index) {
	const state = alert.state ?? "open";
	const done = [
		alert.acknowledged ? t("alerts.acknowledgedBy", { by: alert.acknowledged.by, when: when(alert.acknowledged.at), note: alert.acknowledged.note }) : null,
		alert.resolved ? t("alerts.resolvedBy", { by: alert.resolved.by, when: when(alert.resolved.at), note: alert.resolved.note }) : null,
	].filter((line) => line !== null);
	const cell = el("div", {}, el("p", { class: "alert-state" }, nameOf("alerts.state", state)), ...done.map((line) => el("p", { class: "hint" }, line)));
	if (state === "resolved") return cell;
	const id = `alert-${index}-note`;
	const note = el("input", { id, name: "note", maxlength: 500, spellcheck: "false", "aria-describedby": `${id}-error` });
	const error = el("span", { class: "field-error", id: `${id}-error` });
	const form = el(
		"form",
		{ class: "inline", method: "post", "aria-label": t("alerts.triageOf", { what: nameOf("alert", alert.kind) }) },
		el("label", { for: id }, t("alerts.note")),
		note,
		state === "open" ? el("button", { type: "submit", value: "acknowledge" }, t("alerts.acknowledge")) : null,
		el("button", { type: "submit", value: "resolve" }, t("alerts.resolve")),
		error,
	);
	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		const submitter = /** @type {SubmitEvent} */ (event).submitter;
		const action = submitter instanceof HTMLButtonElement && submitter.value === "acknowledge" ? "acknowledge" : "resolve";
		const text = /** @type {HTMLInputElement} */ (note).value.trim();
		if (!text) {
			error.textContent = t("alerts.sayWhat");
			note.setAttribute("aria-invalid", "true");
			return note.focus();
		}
		const answer = await api("POST", `/v1/alerts/${encodeURIComponent(alert.id)}/${action}`, { note: text });
		if (!answer.ok) return say(problemText(answer));
		say(t(action === "acknowledge" ? "alerts.isAcknowledged" : "alerts.isResolved", { what: nameOf("alert", alert.kind) }));
		await load();
	});
	cell.append(form);
	return cell;
}

export async function load() {
	const answer = await api("GET", "/v1/alerts?limit=100");
	if (!answer.ok) return say(problemText(answer));
	/** @type {Alert[]} */
	const alerts = answer.body.alerts;
	byId("alert-table", HTMLElement).replaceChildren(
		alerts.length === 0
			? el("p", {}, t("alerts.none"))
			: table(
					t("alerts.caption", { count: alerts.length }),
					["when", "severity", "what", "who", "details", "webhook", "triage"].map((column) => t(`alerts.col.${column}`)),
					alerts.map((alert, index) => [
						when(alert.at),
						nameOf("severity", alert.severity),
						nameOf("alert", alert.kind),
						[alert.subject, alert.depot ? t("alerts.depot", { depot: alert.depot }) : null].filter(Boolean).join(", ") || "—",
						Object.keys(alert.details ?? {}).length > 0 ? fieldsView(alert.details) : "—",
						alert.delivery === "pending" ? t("alerts.pending", { count: alert.attempts }) : nameOf("alerts.delivery", alert.delivery),
						triageView(alert, index),
					]),
				),
	);
}
byId("alerts-refresh", HTMLButtonElement).addEventListener("click", () => load());

export function reset() {
	byId("alert-table", HTMLElement).replaceChildren();
}
