import { z } from "@hono/zod-openapi";

/**
 * The one timestamp format on the wire: RFC 3339 §5.6 (the ISO 8601 profile) in UTC with
 * milliseconds, `2026-11-30T01:02:03.456Z`, as `Date.prototype.toISOString` writes it. The vault
 * stores and decides in milliseconds since the epoch; only what leaves it is converted, here.
 */
export const wireTime = (ms: number): string => new Date(ms).toISOString();

export const wireTimeOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : wireTime(ms));

/** A wire timestamp in a response schema: UTC only (`Z`), milliseconds. */
export const WireTime = (description: string) =>
	z.iso
		.datetime({ offset: false, precision: 3 })
		.openapi({ description: `${description} RFC 3339 date-time in UTC (\`Z\`), with milliseconds.`, example: "2026-11-30T01:02:03.456Z" });

/** Members of free-form details (audit entries, alerts) named `at` or `…_at` hold a time: ms numbers there are shown as wire time. */
const TIME_MEMBER = /^(at|.+_at)$/;

/**
 * A copy of stored details with every numeric time member, at any depth, shown as wire time. The
 * stored details are untouched (an audit entry's hash covers them as sealed); this is only the
 * view. A number is read as a time only under a time member's name.
 */
export function wireDetails(value: unknown, key = ""): unknown {
	if (typeof value === "number" && TIME_MEMBER.test(key) && Number.isFinite(value)) return wireTime(value);
	if (Array.isArray(value)) return value.map((item) => wireDetails(item));
	if (value !== null && typeof value === "object") {
		return Object.fromEntries(Object.entries(value).map(([member, inner]) => [member, wireDetails(inner, member)]));
	}
	return value;
}

/** A time in a query: RFC 3339 (any offset) or ms since the epoch, as ms. */
export const WireTimeQuery = z
	.union([z.iso.datetime({ offset: true }), z.string().regex(/^\d{1,15}$/)])
	.transform((value) => (/^\d+$/.test(value) ? Number(value) : Date.parse(value)));
