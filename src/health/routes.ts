import { createRoute, z } from "@hono/zod-openapi";
import {
	keyringConfig,
	nextSigningKeyConfig,
	opsAccessConfig,
	previousSigningKeysConfig,
	retentionDefaultDays,
	signingJwkConfig,
	trustedIssuersConfig,
} from "../config";
import { ProblemSchema } from "../http/openapi-responses";
import { ProblemError } from "../http/problem";
import { createRouter } from "../http/router";

export const healthRoutes = createRouter();

/** Ready means: every secret parses and D1 answers. A broken deploy shows here first. */
healthRoutes.openapi(
	createRoute({
		method: "get",
		path: "/healthz",
		summary: "Health: configuration valid and D1 reachable",
		tags: ["public"],
		security: [],
		responses: {
			200: { description: "Healthy.", content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } } },
			503: { description: "A variable is missing or malformed, or D1 is unreachable.", content: { "application/problem+json": { schema: ProblemSchema } } },
		},
	}),
	async (c) => {
		keyringConfig(c.env);
		signingJwkConfig(c.env);
		trustedIssuersConfig(c.env);
		opsAccessConfig(c.env);
		previousSigningKeysConfig(c.env);
		nextSigningKeyConfig(c.env);
		retentionDefaultDays(c.env); // and RETENTION_MAX_DAYS, which it is checked against
		try {
			await c.env.DB.prepare("SELECT 1").first();
		} catch (cause) {
			throw new ProblemError("dependency-unavailable", { detail: "D1 did not answer.", cause });
		}
		return c.json({ status: "ok" as const }, 200);
	},
);
