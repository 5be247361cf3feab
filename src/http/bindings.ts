import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { ProblemError } from "./problem";

const REQUIRED = ["DB", "LIMITER", "DEPOT_LEDGER"] as const;

/**
 * A deployment missing a binding fails closed with a 503 that names it, like a missing secret,
 * rather than a 500 from deep inside a handler.
 */
export function requireBindings(): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const missing = REQUIRED.find((name) => !c.env[name]);
		if (missing) {
			console.error(JSON.stringify({ event: "binding_missing", binding: missing }));
			throw new ProblemError("configuration-unavailable", {
				detail: `The ${missing} binding is missing: ops must add it to wrangler.toml and deploy again.`,
				extensions: { variable: missing },
			});
		}
		await next();
	};
}
