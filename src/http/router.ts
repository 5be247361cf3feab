import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env";
import { validationFailed } from "./validation";

/** A route module's app: schema failures become one validation problem, thrown to the error handler. */
export function createRouter(): OpenAPIHono<AppEnv> {
	return new OpenAPIHono<AppEnv>({
		defaultHook: (result) => {
			if (!result.success) throw validationFailed(result.error);
		},
	});
}
