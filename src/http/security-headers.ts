import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";

/**
 * Headers on every response. API answers carry customer data (masked or not), so no cache may keep
 * them (RFC 9111 §5.2.2.5); nothing here is meant to be framed or sniffed.
 */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		await next();
		c.res.headers.set("X-Content-Type-Options", "nosniff");
		c.res.headers.set("Referrer-Policy", "no-referrer");
		if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
		if (!c.res.headers.has("Content-Security-Policy")) {
			c.res.headers.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
		}
	};
}
