import { z } from "@hono/zod-openapi";

const FieldErrorSchema = z
	.object({
		pointer: z.string().openapi({ description: "JSON Pointer (RFC 6901) to the field, in the body or the query (`/issuer`).", example: "/contact/phone" }),
		code: z.string().openapi({ description: "What is wrong, stable: zod's issue code, or `invalid_value`, `custom`.", example: "invalid_format" }),
		message: z.string().openapi({ description: "In the vault's own words; never the submitted value." }),
	})
	.openapi("FieldError");

/**
 * RFC 9457 problem details, the body of every error response, with every extension member (§3.2)
 * the vault sends. Which ones a problem carries depends on its `type` (GET the type URI to read it).
 */
export const ProblemSchema = z
	.object({
		type: z
			.string()
			.openapi({ description: "A stable URI reference, relative to the vault; `GET` it for the description.", example: "/problems/validation-failed" }),
		title: z.string(),
		status: z.number().int().min(400).max(599),
		detail: z.string().optional().openapi({ description: "What happened to this request and what to do next." }),
		instance: z.string().optional().openapi({ description: "A URI reference for this occurrence, where there is one." }),
		errors: z.array(FieldErrorSchema).optional().openapi({ description: "`validation-failed` (422): each offending field." }),
		variable: z
			.string()
			.optional()
			.openapi({ description: "`configuration-unavailable` (503), `telephony-misconfigured` (502): the configuration variable or secret at fault." }),
		limit: z.string().optional().openapi({
			description:
				"`quota-exceeded` (429): the limit reached (`burst`, `daily`, `distinct`, `cases`, `plaintext_phone`, `call_burst`, `call_daily`, `call_distinct`, `lookup_burst`, `lookup_daily`, `misses`); `too-many-refusals`: `refusals`.",
		}),
		reason: z
			.string()
			.nullable()
			.optional()
			.openapi({ description: "`purpose-not-allowed` (403): `purpose_not_for_principal`, `party_not_in_purpose` or `field_not_in_purpose`." }),
		max_bytes: z.number().int().optional().openapi({ description: "`payload-too-large` (413): the configured body limit in bytes." }),
		key_id: z.string().optional().openapi({ description: "`key-unavailable` (500): the key id the record is wrapped under that VAULT_KEYRING lacks." }),
		parameter: z.string().optional().openapi({ description: "`bad-request` (400), `precondition-*` (412, 428): the header or query parameter at fault." }),
		provider: z.string().optional().openapi({ description: "`telephony-*`: the privacy-number provider." }),
		provider_code: z.string().optional().openapi({ description: "`telephony-refused` (502): the provider's own reason code, where it gave one." }),
	})
	.openapi("Problem");

/** A problem response for createRoute's `responses`. */
export const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: ProblemSchema } } });

/** Error responses every authenticated route can give. */
export const authenticatedErrors = {
	401: problem("No valid bearer token."),
	403: problem("The token lacks the scope, or the principal kind, this call needs."),
	500: problem("Internal error."),
	503: problem("Configuration or a dependency is unavailable; the vault fails closed."),
} as const;

/** Error responses of routes with a JSON body. */
export const bodyErrors = {
	400: problem("Malformed JSON."),
	413: problem("Body over the configured size limit."),
	415: problem("Body is not application/json."),
	422: problem("Body fails validation; `errors` names each field."),
} as const;

export const notFound = { 404: problem("No such record.") } as const;
export const gone = { 410: problem("The record was erased.") } as const;
export const conflict = (description: string) => ({ 409: problem(description) }) as const;
export const unprocessable = (description: string) => ({ 422: problem(description) }) as const;

/** A JSON success response of `schema`, for createRoute's `responses`. */
export const jsonResponse = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { "application/json": { schema } } });

/** A required JSON request body of `schema`, for createRoute's `request.body`. */
export const jsonBodyOf = <T extends z.ZodType>(schema: T) => ({ required: true, content: { "application/json": { schema } } });
