export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * JSON Canonicalization Scheme (RFC 8785) for the values audit entries hold: keys sorted by UTF-16
 * code units (§3.2.3), no whitespace, ECMAScript number and string serialization (§3.2.2). Two
 * parties that serialize the same entry get the same bytes, and so the same hash.
 */
export function canonicalJson(value: JsonValue): string {
	if (value === null || typeof value !== "object") {
		if (typeof value === "number" && !Number.isFinite(value)) throw new TypeError("non-finite number in canonical JSON");
		return JSON.stringify(value);
	}
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
	const keys = Object.keys(value)
		.filter((key) => value[key] !== undefined)
		.sort();
	return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`).join(",")}}`;
}
