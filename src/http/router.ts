import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env";
import { ProblemError } from "./problem";
import { validationFailed } from "./validation";

/**
 * A route module's app: schema failures become one validation problem, thrown to the error handler.
 * A request header that breaks its declared syntax is a malformed request (400), not a 422: the
 * header, not the content, is wrong.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
	return new OpenAPIHono<AppEnv>({
		defaultHook: (result) => {
			if (result.success) return;
			if (result.target === "header") {
				const names = [...new Set(result.error.issues.map((issue) => String(issue.path[0])))];
				throw new ProblemError("bad-request", {
					detail: `Malformed ${names.join(", ")} header; see its description in /openapi.json and send it again.`,
					extensions: { parameter: names[0] },
				});
			}
			throw validationFailed(result.error);
		},
	});
}
