import { z } from "@hono/zod-openapi";

/** RFC 9457 problem details, the body of every error response. */
export const ProblemSchema = z
	.object({
		type: z.string().openapi({ example: "/problems/validation-failed" }),
		title: z.string(),
		status: z.number().int(),
		detail: z.string().optional(),
		errors: z.array(z.object({ pointer: z.string(), code: z.string(), message: z.string() })).optional(),
		variable: z.string().optional().openapi({ description: "The configuration variable at fault (503 only)." }),
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
