import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { services } from "./services";

/** Puts the request's services on the context (`c.var.services`), built lazily as handlers use them. */
export function provideServices(): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		// Hono throws when the app runs without an ExecutionContext (app.fetch(request, env)): then no
		// work can outlive the response, and none is scheduled.
		let ctx: Pick<ExecutionContext, "waitUntil"> | undefined;
		try {
			ctx = c.executionCtx;
		} catch {
			ctx = undefined;
		}
		c.set("services", services(c.env, ctx));
		await next();
	};
}
