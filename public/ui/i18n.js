// @ts-check
/**
 * The page's language: its catalog (rendered into the page by the server from src/i18n, the one
 * source of every string) and everything shown to a person formatted for it through Intl: plurals,
 * numbers, dates, times and durations. Nothing else decides a word or a format on the pages.
 */

/** @typedef {string | { zero?: string, one?: string, two?: string, few?: string, many?: string, other: string }} Message */

const carried = (() => {
	const node = document.getElementById("i18n-catalog");
	try {
		return /** @type {{ locale?: string, messages?: Record<string, Message> }} */ (JSON.parse(node?.textContent ?? "{}"));
	} catch {
		return {};
	}
})();

/** The page's locale (BCP 47), as `<html lang>` says. */
export const locale = carried.locale ?? document.documentElement.lang ?? "en";
const messages = carried.messages ?? {};
const plurals = new Intl.PluralRules(locale);
const numbers = new Intl.NumberFormat(locale);

/**
 * The text of a key: the plural form for `params.count`, each `{name}` replaced, numbers formatted.
 * A key missing from the catalog shows as itself (and test/i18n.test.ts fails on it).
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 */
export function t(key, params = {}) {
	const message = messages[key];
	if (message === undefined) return key;
	const count = params.count;
	const text = typeof message === "string" ? message : ((typeof count === "number" ? message[plurals.select(count)] : undefined) ?? message.other);
	return text.replace(/\{(\w+)\}/g, (whole, name) => {
		const value = params[name];
		if (value === undefined) return whole;
		return typeof value === "number" ? numbers.format(value) : value;
	});
}

/**
 * The catalog's name for a value of a known set (`purpose.delivery`, `alert.key_missing`), or the
 * value itself when the vault sends one the pages do not know yet.
 * @param {string} prefix @param {string | null | undefined} value
 */
export function nameOf(prefix, value) {
	if (value === null || value === undefined || value === "") return "—";
	const key = `${prefix}.${value}`;
	return key in messages ? t(key) : value;
}

/** @param {number} value */
export function number(value) {
	return numbers.format(value);
}

const dateTimes = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium" });
const clock = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });

/**
 * A moment, in the reader's locale and time zone. The API sends epoch milliseconds or ISO 8601
 * strings (RFC 3339); `new Date` reads both, so either wire form renders the same.
 * @param {number | string | null | undefined} at
 */
export function when(at) {
	if (at === null || at === undefined || at === "") return "—";
	const date = new Date(at);
	return Number.isNaN(date.getTime()) ? "—" : dateTimes.format(date);
}

/** The time of day only ("14:05"), for "you can reveal again at …". @param {Date} date */
export function clockTime(date) {
	return clock.format(date);
}

/**
 * A duration in words of the locale: seconds under a minute, minutes (rounded up) under an hour,
 * else hours and minutes. Intl.DurationFormat where the browser has it, else unit numbers.
 * @param {number} seconds
 */
export function duration(seconds) {
	/** @type {{ hours?: number, minutes?: number, seconds?: number }} */
	let parts;
	if (seconds < 60) parts = { seconds: Math.max(0, Math.round(seconds)) };
	else if (seconds < 3600) parts = { minutes: Math.ceil(seconds / 60) };
	else {
		const hours = Math.floor(seconds / 3600);
		const minutes = Math.ceil((seconds % 3600) / 60);
		parts = minutes === 60 ? { hours: hours + 1 } : minutes === 0 ? { hours } : { hours, minutes };
	}
	const DurationFormat = /** @type {any} */ (Intl).DurationFormat;
	if (typeof DurationFormat === "function") return new DurationFormat(locale, { style: "short" }).format(parts);
	return Object.entries(parts)
		.map(([unit, value]) => new Intl.NumberFormat(locale, { style: "unit", unit: unit.slice(0, -1), unitDisplay: "short" }).format(value))
		.join(" ");
}
