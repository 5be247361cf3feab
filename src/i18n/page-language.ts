import { catalogs, type MessageKey } from "./catalogs";
import { LOCALES, type Locale } from "./locales";
import { type Params, translator } from "./translate";

/** The language a page is rendered in: its locale, its translator, and the catalog its script gets. */
export interface PageLanguage {
	locale: Locale;
	t: (key: MessageKey, params?: Params) => string;
	/** The other languages the page can switch to. */
	others: readonly Locale[];
}

export function pageLanguage(locale: Locale): PageLanguage {
	return { locale, t: translator(locale), others: LOCALES.filter((other) => other !== locale) };
}

/**
 * The catalog as the page carries it for its script: JSON in a data block (HTML §4.12.1.1, never
 * executed, so the CSP's script-src does not apply). `<`, `>`, `&` and the two JavaScript line
 * terminators are escaped so no text can close the element or be read as markup.
 */
export function carriedCatalog(locale: Locale): string {
	return JSON.stringify({ locale, messages: catalogs[locale] }).replace(
		/[<>&\u2028\u2029]/g,
		(char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
	);
}
