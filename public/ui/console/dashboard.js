// @ts-check
/**
 * The dashboard: reveals and calls per hour by depot, employees by the share of their tightest limit with
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

/** @typedef {{ reveals: number, refused: number, calls: number, callsRefused: number }} HourCounts */

/**
 * Bars per hour for one depot, granted and refused stacked, over the same hours as the others:
 * its reveals, or its calls (`kind`), each chart scaled to the busiest depot-hour of its kind.
 * @param {string} depot @param {number[]} hours epoch ms of each hour shown
 * @param {Map<number, HourCounts>} counts @param {number} peak @param {"reveals" | "calls"} kind
 */
function hourChart(depot, hours, counts, peak, kind) {
	const width = 2 * hours.length;
	const height = 40;
	const grantedOf = (/** @type {HourCounts} */ row) => (kind === "reveals" ? row.reveals : row.calls);
	const refusedOf = (/** @type {HourCounts} */ row) => (kind === "reveals" ? row.refused : row.callsRefused);
	const total = [...counts.values()].reduce((sum, row) => sum + grantedOf(row), 0);
	const refused = [...counts.values()].reduce((sum, row) => sum + refusedOf(row), 0);
	const summary = t(kind === "reveals" ? "dashboard.chartAlt" : "dashboard.callsChartAlt", { depot, count: total, refused, hours: hours.length });
	const bars = hours.flatMap((hour, index) => {
		const row = counts.get(hour);
		if (!row || grantedOf(row) + refusedOf(row) === 0) return [];
		const granted = (grantedOf(row) / peak) * height;
		const denied = (refusedOf(row) / peak) * height;
		return [
			svg(
				"rect",
				{ x: index * 2, y: height - granted, width: 1.6, height: granted, class: kind === "reveals" ? "bar-granted" : "bar-call" },
				svg("title", {}, document.createTextNode(`${when(hour)}: ${grantedOf(row)}`)),
			),
			svg("rect", { x: index * 2, y: height - granted - denied, width: 1.6, height: denied, class: "bar-refused" }),
		];
	});
	return svg(
		"svg",
		{ viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img", "aria-label": summary, class: `hour-chart ${kind}-chart` },
		svg("title", {}, document.createTextNode(summary)),
		...bars,
	);
}

/** @param {any} answer */
function show(answer) {
	/** @type {{ hour: string, depot: string | null, reveals: number, refused: number, calls: number, calls_refused: number }[]} */
	const hourly = answer.hours;
	const from = Date.parse(answer.from);
	const to = Date.parse(answer.generated_at);
	const hours = /** @type {number[]} */ ([]);
	for (let hour = from - (from % 3_600_000); hour <= to; hour += 3_600_000) hours.push(hour);
	/** @type {Map<string, Map<number, HourCounts>>} */
	const byDepot = new Map();
	for (const row of hourly) {
		const depot = row.depot ?? t("dashboard.services");
		const counts = byDepot.get(depot) ?? new Map();
		counts.set(Date.parse(row.hour), { reveals: row.reveals, refused: row.refused, calls: row.calls ?? 0, callsRefused: row.calls_refused ?? 0 });
		byDepot.set(depot, counts);
	}
	/** @param {Map<number, HourCounts>} counts @param {keyof HourCounts} key */
	const sum = (counts, key) => [...counts.values()].reduce((total, row) => total + row[key], 0);
	const totals = [...byDepot].map(([depot, counts]) => ({
		depot,
		counts,
		reveals: sum(counts, "reveals"),
		refused: sum(counts, "refused"),
		calls: sum(counts, "calls"),
		callsRefused: sum(counts, "callsRefused"),
	}));
	totals.sort((a, b) => b.reveals + b.calls - (a.reveals + a.calls));
	const peak = Math.max(1, ...hourly.map((row) => row.reveals + row.refused));
	const callPeak = Math.max(1, ...hourly.map((row) => (row.calls ?? 0) + (row.calls_refused ?? 0)));

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
					// The column heads are for the eye; each chart names itself in words (its aria-label).
					el(
						"li",
						{ class: "chart-heads", "aria-hidden": "true" },
						el("span", {}, t("dashboard.col.depot")),
						el("span", {}, t("dashboard.col.reveals")),
						el("span", {}, t("dashboard.col.calls")),
					),
					...totals
						.slice(0, CHARTED_DEPOTS)
						.map((row) =>
							el(
								"li",
								{},
								el("span", { class: "chart-label" }, row.depot),
								hourChart(row.depot, hours, row.counts, peak, "reveals"),
								hourChart(row.depot, hours, row.counts, callPeak, "calls"),
							),
						),
				),
		totals.length === 0
			? null
			: table(
					t("dashboard.hoursCaption"),
					["depot", "reveals", "refused", "calls", "callsRefused"].map((column) => t(`dashboard.col.${column}`)),
					totals.map((row) => [row.depot, number(row.reveals), number(row.refused), number(row.calls), number(row.callsRefused)]),
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
