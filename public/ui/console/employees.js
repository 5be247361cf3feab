// @ts-check
/** Employees: who asked lately or was ever suspended, their usage, and suspending or reinstating them. */
import { byId, el, table } from "../dom.js";
import { nameOf, t, when } from "../i18n.js";
import { api } from "../session.js";
import { problemText, say } from "./notice.js";

/** @typedef {{ subject: string, issuer_alias?: string, kind: string, role: string | null, depot: string | null, status: string, last_seen_at: number | string | null }} Listed */
/** @typedef {{ at: number | string, status: string, reason: string | null, by: string, seq: number }} Change */
/** @typedef {{ history?: Change[], suspension: { at: number | string, reason: string, by: string } | null, limits: { kind: string, limit: number, used: number, reset_seconds: number }[], call_limits?: { kind: string, limit: number, used: number }[], role: string | null, depot: string | null }} Usage */

const MAX_EMPLOYEE_ROWS = 100;

/** @param {Listed} listed */
function usagePath(listed) {
	const query = new URLSearchParams({ kind: listed.kind === "service" ? "service" : "employee" });
	if (listed.role && listed.kind !== "service") query.set("role", listed.role);
	if (listed.depot && listed.kind !== "service") query.set("depot", listed.depot);
	if (listed.issuer_alias) query.set("issuer", listed.issuer_alias);
	return `/v1/employees/${encodeURIComponent(listed.subject)}?${query}`;
}

/**
 * Every suspension and reinstatement, newest first, folded behind its count: a person reinstated
 * once still shows they were suspended. Each names the audit entry that records it.
 * @param {Change[] | undefined} history
 */
function historyView(history) {
	if (!history || history.length === 0) return null;
	const items = history.map((change) =>
		el(
			"li",
			{},
			t(change.status === "suspended" ? "employees.historySuspended" : "employees.historyReinstated", {
				when: when(change.at),
				reason: change.reason ? nameOf("reason", change.reason) : "—",
				by: change.by,
				seq: change.seq,
			}),
		),
	);
	return el("details", { class: "fold" }, el("summary", {}, t("employees.history", { count: history.length })), el("ul", { class: "history-list" }, ...items));
}

/**
 * @param {Listed[]} listed
 */
async function renderEmployees(listed) {
	const shown = listed.slice(0, MAX_EMPLOYEE_ROWS);
	const usages = await Promise.all(shown.map((row) => api("GET", usagePath(row))));
	/** @param {{ kind: string, limit: number, used: number }[] | undefined} limits @param {string} kind */
	const used = (limits, kind) => {
		const limit = limits?.find((item) => item.kind === kind);
		return limit ? t("employees.usedOf", { used: limit.used, limit: limit.limit }) : "—";
	};
	const rows = shown.map((row, index) => {
		const answer = usages[index];
		const usage = answer?.ok ? /** @type {Usage} */ (answer.body) : null;
		const suspended = usage ? usage.suspension !== null : row.status === "suspended";
		const status = usage?.suspension
			? t("employees.suspended", { reason: nameOf("reason", usage.suspension.reason), by: usage.suspension.by, when: when(usage.suspension.at) })
			: usage
				? t("employees.active")
				: t("employees.unavailable", { status: nameOf("employees.status", row.status) });
		return [
			row.subject,
			nameOf("role", row.role),
			row.depot ?? "—",
			el("div", {}, status, historyView(usage?.history)),
			used(usage?.limits, "burst"),
			used(usage?.limits, "daily"),
			used(usage?.limits, "distinct"),
			used(usage?.call_limits, "daily"),
			when(row.last_seen_at),
			statusAction(row, suspended, index),
		];
	});
	byId("employee-table", HTMLElement).replaceChildren(
		table(
			listed.length > MAX_EMPLOYEE_ROWS
				? t("employees.captionFirst", { shown: MAX_EMPLOYEE_ROWS, count: listed.length })
				: t("employees.caption", { count: listed.length }),
			["employee", "role", "depot", "status", "burst", "daily", "distinct", "calls", "lastSeen", "action"].map((column) => t(`employees.col.${column}`)),
			rows,
		),
	);
}

/**
 * @param {Listed} row
 * @param {boolean} suspended
 * @param {number} index
 */
function statusAction(row, suspended, index) {
	const action = suspended ? "reinstate" : "suspend";
	const label = suspended ? t("employees.reinstate") : t("employees.suspend");
	const id = `employee-${index}-reason`;
	const reason = el("input", { id, name: "reason", maxlength: 200, spellcheck: "false", "aria-describedby": `${id}-error` });
	const error = el("span", { class: "field-error", id: `${id}-error` });
	const form = el(
		"form",
		{ class: "inline", method: "post", "aria-label": t(suspended ? "employees.reinstateOf" : "employees.suspendOf", { subject: row.subject }) },
		el("label", { for: id }, t(suspended ? "employees.reasonToReinstate" : "employees.reasonToSuspend", { subject: row.subject })),
		reason,
		el("button", { type: "submit" }, label),
		error,
	);
	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		const text = /** @type {HTMLInputElement} */ (reason).value.trim();
		if (!text) {
			error.textContent = t("employees.sayWhy");
			reason.setAttribute("aria-invalid", "true");
			return reason.focus();
		}
		const kind = row.kind === "service" ? "service" : "employee";
		const query = new URLSearchParams({ kind, ...(row.issuer_alias ? { issuer: row.issuer_alias } : {}) });
		const answer = await api("POST", `/v1/employees/${encodeURIComponent(row.subject)}/${action}?${query}`, { reason: text });
		if (!answer.ok) return say(problemText(answer));
		say(t(answer.body.status === "suspended" ? "employees.isSuspended" : "employees.isReinstated", { subject: row.subject }));
		await load();
	});
	return form;
}

/** Employees ops asked for by name, kept on the list for this page's life. */
const looked = /** @type {Map<string, Listed>} */ (new Map());

export async function load() {
	const answer = await api("GET", "/v1/employees");
	if (!answer.ok) return say(problemText(answer));
	const listed = /** @type {Listed[]} */ (answer.body.principals);
	const extra = [...looked.values()].filter((row) => !listed.some((other) => other.subject === row.subject && other.issuer_alias === row.issuer_alias));
	await renderEmployees([...extra, ...listed]);
}

byId("employee-find", HTMLFormElement).addEventListener("submit", async (event) => {
	event.preventDefault();
	const subject = byId("employee-subject", HTMLInputElement).value.trim();
	const kind = byId("employee-kind", HTMLSelectElement).value;
	if (!subject) return;
	const answer = await api("GET", `/v1/employees/${encodeURIComponent(subject)}?kind=${kind}`);
	if (!answer.ok) return say(problemText(answer));
	looked.set(subject, {
		subject,
		issuer_alias: answer.body.issuer_alias,
		kind,
		role: answer.body.role,
		depot: answer.body.depot,
		status: answer.body.suspension ? "suspended" : "active",
		last_seen_at: null,
	});
	await load();
});

/** Forgets the table and the employees asked for by name. */
export function reset() {
	byId("employee-table", HTMLElement).replaceChildren();
	looked.clear();
}
