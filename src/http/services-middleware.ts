import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { executionContextOf } from "./execution-context";
import { services } from "./services";

/** Puts the request's services on the context (`c.var.services`), built lazily as handlers use them. */
export function provideServices(): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		c.set("services", services(c.env, executionContextOf(c)));
		await next();
	};
}
