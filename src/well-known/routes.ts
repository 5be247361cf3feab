import { createRoute, z } from "@hono/zod-openapi";
import { nextSigningKeyConfig, previousSigningKeysConfig, revealTokenTtlSeconds, signingJwkConfig } from "../config";
import { publishedJwk, verificationKeysFor } from "../crypto/signing-key";
import { publishedKeys } from "../crypto/verification-keys";
import { ProblemSchema } from "../http/openapi-responses";
import { createRouter } from "../http/router";

export const wellKnownRoutes = createRouter();

/**
 * How long any cache may keep the key set. A cache that keeps a dropped key a little longer does
 * no harm (the vault no longer accepts it); a new key is published REVEAL_SIGNING_NEXT first, at
 * least this long before it signs, so no cached copy lacks it by then (README: signing-key rollover).
 */
export const JWKS_MAX_AGE_SECONDS = 300;

/**
 * The public keys that verify reveal tokens and audit checkpoints (RFC 7517 §5): the current key,
 * the next key if one is announced, and each previous key until every reveal token it signed has
 * expired (then it is dropped; audit exports carry the keys their checkpoints need).
 */
wellKnownRoutes.openapi(
	createRoute({
		method: "get",
		path: "/.well-known/jwks.json",
		summary: "Public keys of the vault's reveal-token and checkpoint signatures",
		description:
			"The current signing key first, then the key announced for the next rollover (if any), then each previous key until its `retired_at` plus the reveal-token lifetime has passed. A previous key carries `retired_at`: it vouches for nothing dated after it.",
		tags: ["public"],
		security: [],
		responses: {
			200: { description: "A JWK Set.", content: { "application/json": { schema: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) } } },
			503: { description: "A signing-key variable is missing or malformed.", content: { "application/problem+json": { schema: ProblemSchema } } },
		},
	}),
	async (c) => {
		const [current, ...previous] = await verificationKeysFor(signingJwkConfig(c.env), previousSigningKeysConfig(c.env));
		const next = nextSigningKeyConfig(c.env);
		const keys = [
			current.publicJwk,
			...(next ? [publishedJwk(next)] : []),
			...publishedKeys(previous, revealTokenTtlSeconds(c.env), Date.now()).map((key) => key.publicJwk),
		];
		c.header("Cache-Control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
		return c.json({ keys }, 200);
	},
);
