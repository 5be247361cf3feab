/**
 * A message of a catalog: text with `{name}` placeholders, or, for a count, one text per plural
 * category (Unicode CLDR plural rules, through Intl.PluralRules) with `other` always present.
 */
export type Message = string | { zero?: string; one?: string; two?: string; few?: string; many?: string; other: string };
export type Catalog = Record<string, Message>;
