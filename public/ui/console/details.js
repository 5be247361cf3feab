// @ts-check
/**
 * The details of an audit entry or an alert, readable: each field under its name, times in the
 * reader's locale, durations and counts through Intl, known values by their names, a change as
 * "before → after" for only the fields that changed, and a long list folded behind its count
 * ("400 records"), opened on demand, so one entry never widens the page.
 */
import { el } from "../dom.js";
import { duration, nameOf, number, t, when } from "../i18n.js";

/** Lists longer than this are folded behind their count. */
const FOLD_AFTER = 5;
/** Fields whose values are record ids: their fold says "N records". */
const RECORD_LISTS = new Set(["ids", "record_ids"]);
/** Fields whose string values are names of a known set, and the catalog prefix naming them. */
const NAMED = /** @type {Record<string, string>} */ ({
	reason: "reason",
	purpose: "purpose",
	limit: "policies.kind",
	layer: "policies.named",
	mode: "policies.mode",
	role: "role",
	matched_by: "detail",
	party: "party",
});

/**
 * @param {string} key
 * @param {unknown} value
 * @returns {Node | string}
 */
function valueView(key, value) {
	if (value === null || value === undefined) return "—";
	if (Array.isArray(value)) return listView(key, value);
	if (typeof value === "object") return fieldsView(/** @type {Record<string, unknown>} */ (value));
	if (key.endsWith("_at") && (typeof value === "number" || typeof value === "string")) {
		const date = new Date(value);
		return Number.isNaN(date.getTime()) ? String(value) : el("time", { datetime: date.toISOString() }, when(value));
	}
	if (key.endsWith("_seconds") && typeof value === "number") return duration(value);
	if (typeof value === "number") return key === "version" || key.endsWith("seq") ? String(value) : number(value);
	if (typeof value === "boolean") return String(value);
	const text = String(value);
	const prefix = NAMED[key];
	return prefix ? nameOf(prefix, text) : text;
}

/**
 * @param {string} key
 * @param {unknown[]} items
 */
function listView(key, items) {
	const shown = items.map((item) => (key === "fields" && typeof item === "string" ? nameOf("field", item) : valueView(key, item)));
	if (items.length <= FOLD_AFTER && shown.every((item) => typeof item === "string")) return shown.join(", ");
	const list = el("ul", { class: "detail-list" }, ...shown.map((item) => el("li", {}, item)));
	if (items.length <= FOLD_AFTER) return list;
	const count = { count: items.length };
	return el("details", { class: "fold" }, el("summary", {}, RECORD_LISTS.has(key) ? t("audit.records", count) : t("audit.items", count)), list);
}

/**
 * A change: the fields whose values differ between `before` and `after`, as "before → after".
 * @param {Record<string, unknown> | null} before
 * @param {Record<string, unknown>} after
 */
function changeView(before, after) {
	const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after)])].filter(
		(key) => JSON.stringify(before?.[key] ?? null) !== JSON.stringify(after[key] ?? null),
	);
	return el(
		"dl",
		{ class: "details" },
		...keys.flatMap((key) => [
			el("dt", {}, nameOf("detail", key)),
			el("dd", {}, before ? valueView(key, before[key]) : "", before ? " → " : "", valueView(key, after[key])),
		]),
	);
}

/**
 * Labelled fields: one name and value per field that has a value.
 * @param {Record<string, unknown>} details
 * @returns {HTMLElement}
 */
export function fieldsView(details) {
	const entries = Object.entries(details).filter(([, value]) => value !== null && value !== undefined);
	const after = details.after;
	const before = details.before;
	const changed = after !== null && typeof after === "object" && !Array.isArray(after);
	return el(
		"dl",
		{ class: "details" },
		...entries
			.filter(([key]) => !(changed && (key === "before" || key === "after")))
			.flatMap(([key, value]) => [el("dt", {}, nameOf("detail", key)), el("dd", {}, valueView(key, value))]),
		...(changed
			? [
					el("dt", {}, t("audit.changes")),
					el("dd", {}, changeView(/** @type {Record<string, unknown> | null} */ (before ?? null), /** @type {Record<string, unknown>} */ (after))),
				]
			: []),
	);
}
