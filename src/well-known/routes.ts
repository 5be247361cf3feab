import { createRoute, z } from "@hono/zod-openapi";
import { signingJwkConfig } from "../config";
import { signingKeyFor } from "../crypto/signing-key";
import { createRouter } from "../http/router";

export const wellKnownRoutes = createRouter();

/** The public keys that verify reveal tokens and audit checkpoints (RFC 7517 §5). */
wellKnownRoutes.openapi(
	createRoute({
		method: "get",
		path: "/.well-known/jwks.json",
		summary: "Public keys of the vault's reveal-token and checkpoint signatures",
		tags: ["public"],
		security: [],
		responses: {
			200: { description: "A JWK Set.", content: { "application/json": { schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) } } },
		},
	}),
	async (c) => {
		const key = await signingKeyFor(signingJwkConfig(c.env));
		c.header("Cache-Control", "public, max-age=300");
		return c.json({ keys: [key.publicJwk] }, 200);
	},
);
