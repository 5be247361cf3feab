import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { ProblemError } from "./problem";

/** Query names that would carry a customer's contact data. */
const CONTACT_QUERY_NAMES = new Set(["phone", "name", "address", "contact", "mobile", "tel", "email"]);

/**
 * Contact data never travels in a URL (DESIGN API table, `POST /v1/records/lookup`): a URL ends up
 * in access logs, traces and every proxy on the way. A request that puts it there is refused
 * before anything reads it: 400, nothing written, the value neither logged nor echoed.
 */
export function noContactInUrl(): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const url = new URL(c.req.url);
		for (const name of url.searchParams.keys()) {
			if (CONTACT_QUERY_NAMES.has(name.toLowerCase())) {
				throw new ProblemError("bad-request", {
					detail: "Contact data never goes in a URL: look records up by phone with POST /v1/records/lookup, the phone in the JSON body.",
					extensions: { parameter: name.toLowerCase() },
				});
			}
		}
		await next();
	};
}
