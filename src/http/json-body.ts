import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { ProblemError } from "./problem";

const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Requires an `application/json` body that parses. Without this, a body with another content type
 * would reach schema validation as `{}` and be reported as missing fields instead of 415.
 * Parsing here fills Hono's body cache, so the validator reads the same value.
 */
export function jsonBody(): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		if (!JSON_MEDIA_TYPE.test(c.req.header("Content-Type") ?? "")) {
			throw new ProblemError("unsupported-media-type", { detail: "Send the body as application/json." });
		}
		try {
			await c.req.json();
		} catch (cause) {
			if (cause instanceof ProblemError) throw cause; // the body limit tripped while reading
			throw new ProblemError("bad-request", { detail: "The body is not valid JSON." });
		}
		await next();
	};
}
