// @ts-check
/**
 * The dashboard: reveals per hour by depot, employees by the share of their tightest limit with
 * their flags, per-depot totals against the budget, and unresolved alerts on a timeline
 * (GET /v1/dashboard). Each number leads to the employee, the alert or the audit entries behind it.
 * Charts are inline SVG built with DOM APIs (no markup is parsed: Trusted Types stay intact), each
 * with a text alternative: its `<title>` and the table beside it.
 */
import { byId, el, table } from "../dom.js";
import { locale, nameOf, number, t, when } from "../i18n.js";
import { api } from "../session.js";
import { problemText, say } from "./notice.js";

const SVG = "http://www.w3.org/2000/svg";
const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
/** Depots charted, busiest first; the table lists them all. */
const CHARTED_DEPOTS = 8;

/**
 * @param {string} tag @param {Record<string, string | number>} attributes @param {...Node} children
 * @returns {SVGElement}
 */
function svg(tag, attributes, ...children) {
	const node = /** @type {SVGElement} */ (document.createElementNS(SVG, tag));
	for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
	node.append(...children);
	return node;
}

/** A control that opens another section with what it should show. @param {string} label @param {() => void} go */
function link(label, go) {
	const button = el("button", { type: "button", class: "link" }, label);
	button.addEventListener("click", go);
	return button;
}

/** The audit section filtered to one actor's entries of a kind. @param {string} actor @param {string} kind */
function toAudit(actor, kind) {
	byId("audit-actor", HTMLInputElement).value = actor;
	byId("audit-record", HTMLInputElement).value = "";
	byId("audit-from", HTMLInputElement).value = "";
	byId("audit-to", HTMLInputElement).value = "";
	byId("audit-kind", HTMLSelectElement).value = kind;
	byId("tab-audit", HTMLButtonElement).click();
}

/** The employees section, with this person looked up. @param {string} subject */
function toEmployee(subject) {
	byId("employee-subject", HTMLInputElement).value = subject;
	byId("tab-employees", HTMLButtonElement).click();
	byId("employee-find", HTMLFormElement).requestSubmit();
}

/** @param {string} flag */
const flagName = (flag) => (["near_quota", "out_of_scope_asks", "suspended"].includes(flag) ? t(`dashboard.flag.${flag}`) : nameOf("alert", flag));

const toAlerts = () => byId("tab-alerts", HTMLButtonElement).click();

/**
 * Bars of reveals per hour for one depot, granted and refused stacked, over the same hours as the others.
 * @param {string} depot @param {number[]} hours epoch ms of each hour shown
 * @param {Map<number, { reveals: number, refused: number }>} counts @param {number} peak
 */
function hourChart(depot, hours, counts, peak) {
	const width = 2 * hours.length;
	const height = 40;
	const total = [...counts.values()].reduce((sum, row) => sum + row.reveals, 0);
	const refused = [...counts.values()].reduce((sum, row) => sum + row.refused, 0);
	const summary = t("dashboard.chartAlt", { depot, count: total, refused, hours: hours.length });
	const bars = hours.flatMap((hour, index) => {
		const row = counts.get(hour);
		if (!row) return [];
		const granted = (row.reveals / peak) * height;
		const denied = (row.refused / peak) * height;
		return [
			svg(
				"rect",
				{ x: index * 2, y: height - granted, width: 1.6, height: granted, class: "bar-granted" },
				svg("title", {}, document.createTextNode(`${when(hour)}: ${row.reveals}`)),
			),
			svg("rect", { x: index * 2, y: height - granted - denied, width: 1.6, height: denied, class: "bar-refused" }),
		];
	});
	return svg(
		"svg",
		{ viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img", "aria-label": summary, class: "hour-chart" },
		svg("title", {}, document.createTextNode(summary)),
		...bars,
	);
}

/** @param {any} answer */
function show(answer) {
	/** @type {{ hour: string, depot: string | null, reveals: number, refused: number }[]} */
	const hourly = answer.hours;
	const from = Date.parse(answer.from);
	const to = Date.parse(answer.generated_at);
	const hours = /** @type {number[]} */ ([]);
	for (let hour = from - (from % 3_600_000); hour <= to; hour += 3_600_000) hours.push(hour);
	/** @type {Map<string, Map<number, { reveals: number, refused: number }>>} */
	const byDepot = new Map();
	for (const row of hourly) {
		const depot = row.depot ?? t("dashboard.services");
		const counts = byDepot.get(depot) ?? new Map();
		counts.set(Date.parse(row.hour), { reveals: row.reveals, refused: row.refused });
		byDepot.set(depot, counts);
	}
	const totals = [...byDepot].map(([depot, counts]) => ({
		depot,
		counts,
		reveals: [...counts.values()].reduce((sum, row) => sum + row.reveals, 0),
		refused: [...counts.values()].reduce((sum, row) => sum + row.refused, 0),
	}));
	totals.sort((a, b) => b.reveals - a.reveals);
	const peak = Math.max(1, ...hourly.map((row) => row.reveals + row.refused));

	/** @type {{ subject: string, issuer_alias: string, role: string | null, depot: string | null, tightest: { kind: string, limit: number, used: number, share: number } | null, grants_24h: number, refused_24h: number, flags: string[] }[]} */
	const employees = answer.employees;
	/** @type {{ depot: string, reveals_24h: number, budget: number, share: number }[]} */
	const depots = answer.depots;
	/** @type {{ id: string, at: string, severity: string, kind: string, subject: string | null, depot: string | null, state: string }[]} */
	const alerts = answer.alerts;

	const parts = [
		el("h2", {}, t("dashboard.hoursHeading")),
		totals.length === 0
			? el("p", {}, t("dashboard.noAsks"))
			: el(
					"ul",
					{ class: "charts" },
					...totals
						.slice(0, CHARTED_DEPOTS)
						.map((row) => el("li", {}, el("span", { class: "chart-label" }, row.depot), hourChart(row.depot, hours, row.counts, peak))),
				),
		totals.length === 0
			? null
			: table(
					t("dashboard.hoursCaption"),
					["depot", "reveals", "refused"].map((column) => t(`dashboard.col.${column}`)),
					totals.map((row) => [row.depot, number(row.reveals), number(row.refused)]),
				),
		el("h2", {}, t("dashboard.employeesHeading")),
		employees.length === 0
			? el("p", {}, t("dashboard.noEmployees"))
			: table(
					t("dashboard.employeesCaption", { count: employees.length }),
					["employee", "role", "depot", "tightest", "share", "grants", "refused", "flags"].map((column) => t(`dashboard.col.${column}`)),
					employees.map((row) => [
						link(row.subject, () => toEmployee(row.subject)),
						nameOf("role", row.role),
						row.depot ?? "—",
						row.tightest ? t("dashboard.tightest", { used: row.tightest.used, limit: row.tightest.limit, kind: nameOf("limit", row.tightest.kind) }) : "—",
						row.tightest ? el("span", { class: row.tightest.share >= 0.8 ? "near" : undefined }, percent.format(row.tightest.share)) : "—",
						link(number(row.grants_24h), () => toAudit(row.subject, "reveal.granted")),
						link(number(row.refused_24h), () => toAudit(row.subject, "reveal.denied")),
						row.flags.length === 0 ? "—" : el("ul", { class: "flags" }, ...row.flags.map((flag) => el("li", { class: "flag" }, flagName(flag)))),
					]),
				),
		el("h2", {}, t("dashboard.depotsHeading")),
		depots.length === 0
			? el("p", {}, t("dashboard.noAsks"))
			: table(
					t("dashboard.depotsCaption"),
					["depot", "reveals", "budget", "share"].map((column) => t(`dashboard.col.${column}`)),
					depots.map((row) => [row.depot, number(row.reveals_24h), number(row.budget), percent.format(row.share)]),
				),
		el("h2", {}, t("dashboard.alertsHeading")),
		alerts.length === 0
			? el("p", {}, t("dashboard.noAlerts"))
			: el(
					"ol",
					{ class: "timeline" },
					...alerts.map((alert) =>
						el(
							"li",
							{ class: `severity-${alert.severity}` },
							el("time", { datetime: alert.at }, when(alert.at)),
							" ",
							link(nameOf("alert", alert.kind), toAlerts),
							" ",
							[alert.subject, alert.depot].filter(Boolean).join(", "),
							" ",
							`(${nameOf("alerts.state", alert.state)})`,
						),
					),
				),
		answer.truncated ? el("p", { class: "hint" }, t("dashboard.truncated")) : null,
	];
	byId("dashboard-result", HTMLElement).replaceChildren(...parts.filter((part) => part !== null));
}

export async function load() {
	const days = byId("dashboard-days", HTMLSelectElement).value;
	const answer = await api("GET", `/v1/dashboard?days=${encodeURIComponent(days)}`);
	if (!answer.ok) return say(problemText(answer));
	show(answer.body);
}

byId("dashboard-form", HTMLFormElement).addEventListener("submit", (event) => {
	event.preventDefault();
	load();
});

export function reset() {
	byId("dashboard-result", HTMLElement).replaceChildren();
}
