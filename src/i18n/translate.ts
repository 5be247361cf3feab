import { catalogs, type MessageKey } from "./catalogs";
import type { Locale } from "./locales";
import type { Message } from "./message";

export type Params = Record<string, string | number>;

/**
 * The text of a message: the plural form for `params.count` (Intl.PluralRules of the locale), with
 * each `{name}` replaced; numbers are formatted for the locale (Intl.NumberFormat). The pages'
 * script does the same in public/ui/i18n.js with the catalog the page carries.
 */
export function render(locale: Locale, message: Message, params: Params = {}): string {
	const count = params.count;
	const text =
		typeof message === "string" ? message : ((typeof count === "number" ? message[new Intl.PluralRules(locale).select(count)] : undefined) ?? message.other);
	const numbers = new Intl.NumberFormat(locale);
	return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
		const value = params[name];
		if (value === undefined) return whole;
		return typeof value === "number" ? numbers.format(value) : value;
	});
}

/** The translator of one locale; keys are checked by the compiler against the English catalog. */
export function translator(locale: Locale) {
	const catalog = catalogs[locale];
	return (key: MessageKey, params?: Params): string => render(locale, catalog[key], params);
}
export type Translate = ReturnType<typeof translator>;
