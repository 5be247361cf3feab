import { z } from "@hono/zod-openapi";

/** Response header objects (OpenAPI 3.1 §4.8.21) for createRoute's `responses[status].headers`. */
const header = (description: string, schema: Record<string, unknown> = { type: "string" }) => ({ description, schema });

export const etagHeader = { ETag: header('The layer\'s strong entity-tag (RFC 9110 §8.8.3): its version, quoted, e.g. `"3"`. Send it back in If-Match.') };

export const rateLimitHeaders = {
	RateLimit: header(
		'Where each enforced limit stands now (draft-ietf-httpapi-ratelimit-headers §4): one item per limit, e.g. `"burst";r=29;t=600` (remaining, seconds to reset).',
	),
	"RateLimit-Policy": header(
		'The enforced limits (draft-ietf-httpapi-ratelimit-headers §3): one item per limit, e.g. `"burst";q=30;w=600` (quota, window in seconds).',
	),
} as const;

export const retryAfterHeader = {
	"Retry-After": header("Seconds to wait before trying again (RFC 9110 §10.2.3).", { type: "string", pattern: "^[0-9]+$" }),
} as const;

export const wwwAuthenticateHeader = {
	"WWW-Authenticate": header(
		'The bearer challenge (RFC 6750 §3): `error="invalid_token"` for a bad token, `error="insufficient_scope"` with the `scope` needed.',
	),
} as const;

export const idempotentReplayedHeader = {
	"Idempotent-Replayed": header("`true` when this answer is the stored answer to an earlier request with the same Idempotency-Key and body.", {
		type: "string",
		enum: ["true"],
	}),
} as const;

export const noStoreHeaders = {
	"Cache-Control": header("`no-store`: plaintext contact data must not be kept by any cache (RFC 9111 §5.2.2.5).", { type: "string", enum: ["no-store"] }),
} as const;

export const allowHeader = { Allow: header("The methods this path answers (RFC 9110 §10.2.1).") } as const;

/** Request headers, as createRoute's `request.headers`; Hono hands them over lower-cased. */
export const ifMatchRequest = z.object({
	"if-match": z.string().optional().openapi({
		description:
			'RFC 9110 §13.1.1: `*`, or a list of entity-tags (e.g. `"3"` or `"2", "3"`) compared strongly, so a weak tag (`W/"3"`) never matches. Required to change or delete a layer that exists (428 without it); 412 when it does not match.',
	}),
	"if-none-match": z.string().optional().openapi({
		description: "RFC 9110 §13.1.2: `*` makes a PUT create the layer only if it does not exist yet (412 otherwise). Evaluated only without If-Match.",
	}),
});

export const idempotencyKeyRequest = z.object({
	"idempotency-key": z
		.string()
		.regex(/^[\x21-\x7e]{1,255}$/)
		.optional()
		.openapi({
			description:
				"1–255 visible ASCII characters (draft-ietf-httpapi-idempotency-key-header). A retry with the same key and body gets the stored answer with `Idempotent-Replayed: true`; the same key with another body is a 422.",
		}),
});
