import type { Admits } from "../http/auth";

/** What this step reads and writes of an OpenAPI 3.1 document. */
interface Header {
	description?: string;
	schema: Record<string, unknown>;
}
interface Response {
	description: string;
	headers?: Record<string, Header>;
	content?: Record<string, unknown>;
}
interface Operation {
	operationId?: string;
	description?: string;
	parameters?: { in: string }[];
	security?: Record<string, string[]>[];
	responses: Record<string, Response>;
	[key: string]: unknown;
}
export interface Document {
	paths?: Record<string, Record<string, Operation>>;
	[key: string]: unknown;
}

/** A handler in the router's route list; authorize() marks its middleware with what it admits. */
export interface RoutedHandler {
	method: string;
	path: string;
	handler: unknown;
}

const problemContent = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
const problem = (description: string): Response => ({ description, content: problemContent });
const header = (description: string): Header => ({ description, schema: { type: "string" } });

const WWW_AUTHENTICATE = header(
	'The bearer challenge (RFC 6750 §3): `error="invalid_token"`, or `error="insufficient_scope"` with the `scope` the call needs.',
);
const RETRY_AFTER = header("Seconds to wait before trying again (RFC 9110 §10.2.3).");
const RATE_LIMIT = header('Where each enforced limit stands (draft-ietf-httpapi-ratelimit-headers §4), e.g. `"burst";r=29;t=600`.');
const RATE_LIMIT_POLICY = header('The enforced limits (draft-ietf-httpapi-ratelimit-headers §3), e.g. `"burst";q=30;w=600`.');

/** `post /v1/records/{id}/erase` → `postRecordsIdErase`: stable, unique per method and path. */
export function operationIdOf(method: string, path: string): string {
	const words = path
		.split("/")
		.filter((segment) => segment !== "" && segment !== "v1" && segment !== ".well-known")
		.flatMap((segment) => segment.replace(/[{}]/g, "").split(/[^A-Za-z0-9]+/))
		.filter((word) => word !== "");
	return [method.toLowerCase(), ...words.map((word) => word[0]?.toUpperCase() + word.slice(1))].join("");
}

function admitsOf(handler: unknown): Admits | undefined {
	return typeof handler === "function" ? (handler as { admits?: Admits }).admits : undefined;
}

/** `Needs a service token with records:read, or an employee token with reveal.` */
function needs(admits: Admits): string {
	const kinds = Object.entries(admits).map(([kind, scopes]) => `${kind === "employee" ? "an employee" : "a service"} token with \`${scopes.join("` or `")}\``);
	return `**Needs** ${kinds.join(", or ")}.`;
}

/**
 * Completes what route declarations leave to the middleware, from the one place that knows: the
 * router's own handlers. Each operation gets its security requirement with the scopes its
 * authorize() admits (and says them in its description, for /docs), an operationId, and the
 * answers every /v1 call can give from the app-wide middleware (400 for contact data in the URL,
 * 422 for a bad path or query parameter, 503 when a binding is missing), with the headers each
 * status carries. What a route declares itself is kept.
 */
export function completeDocument(document: Document, routes: readonly RoutedHandler[]): Document {
	for (const [path, methods] of Object.entries(document.paths ?? {})) {
		const honoPath = path.replace(/\{([^}]+)\}/g, ":$1");
		for (const [method, operation] of Object.entries(methods)) {
			const admits = routes
				.filter((route) => route.method === method.toUpperCase() && route.path === honoPath)
				.map((route) => admitsOf(route.handler))
				.find((found) => found !== undefined);
			if (admits) {
				operation.security = [{ bearer: [...new Set(Object.values(admits).flat())] }];
				operation.description = [operation.description, needs(admits)].filter(Boolean).join("\n\n");
			} else if (path.startsWith("/v1/")) {
				throw new Error(`${method.toUpperCase()} ${path} has no authorize() middleware`);
			} else {
				operation.security = [];
			}
			operation.operationId ??= operationIdOf(method, path);
			const responses = operation.responses;
			if (path.startsWith("/v1/")) {
				responses["400"] ??= problem("A malformed request: contact data (a name, phone or address) in the URL, or a malformed header; `parameter` names it.");
				if ((operation.parameters ?? []).some((parameter) => parameter.in === "path" || parameter.in === "query")) {
					responses["422"] ??= problem("A path or query parameter fails validation; `errors` names each.");
				}
				responses["500"] ??= problem("Internal error; nothing about the request is echoed back.");
				responses["503"] ??= problem(
					"Configuration or a dependency is unavailable; the vault fails closed. `Retry-After`, where present, says when to try again.",
				);
			}
			for (const [status, response] of Object.entries(responses)) {
				const headers = { ...response.headers };
				if (status === "401" || status === "403") headers["WWW-Authenticate"] ??= WWW_AUTHENTICATE;
				if (status === "429" || status === "503") headers["Retry-After"] ??= RETRY_AFTER;
				if (status === "429") {
					headers.RateLimit ??= RATE_LIMIT;
					headers["RateLimit-Policy"] ??= RATE_LIMIT_POLICY;
				}
				if (Object.keys(headers).length > 0) response.headers = headers;
			}
		}
	}
	return document;
}
