/** The languages the pages speak, as BCP 47 tags (RFC 5646); the first is the default. */
export const LOCALES = ["en", "zh-CN"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "en";

export function isLocale(value: unknown): value is Locale {
	return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/**
 * The page language for a language range from Accept-Language or the switch: English for any `en`,
 * Simplified Chinese for any `zh` (a zh-TW reader reads it far better than English), else nothing.
 */
export function localeOfRange(range: string): Locale | null {
	const primary = range.trim().toLowerCase().split("-")[0];
	if (primary === "en") return "en";
	if (primary === "zh") return "zh-CN";
	return null;
}

/**
 * The best language for an Accept-Language field (RFC 9110 §12.5.4): ranges by descending weight,
 * ties in the order given, `q=0` meaning "not this"; the first one the pages speak wins (RFC 4647
 * §3.4 lookup, reduced to the primary subtag). No field, or nothing spoken: the default.
 */
export function negotiateLocale(acceptLanguage: string | null | undefined): Locale {
	if (!acceptLanguage) return DEFAULT_LOCALE;
	const ranges = acceptLanguage
		.split(",")
		.map((item, index) => {
			const [range = "", ...params] = item.trim().split(";");
			const q = params.map((param) => param.trim()).find((param) => param.startsWith("q="));
			const weight = q === undefined ? 1 : Number(q.slice(2));
			return { range: range.trim(), weight: Number.isFinite(weight) ? weight : 0, index };
		})
		.filter((item) => item.range !== "" && item.weight > 0)
		.sort((a, b) => b.weight - a.weight || a.index - b.index);
	for (const { range } of ranges) {
		const locale = localeOfRange(range);
		if (locale) return locale;
	}
	return DEFAULT_LOCALE;
}
