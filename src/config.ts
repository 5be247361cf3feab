import { z } from "zod";
import type { Env } from "./env";
import { ProblemError } from "./http/problem";

/**
 * Configuration is parsed once per isolate per raw value and validated strictly. A missing or
 * malformed variable fails closed: every request that needs it gets a 503 naming the variable,
 * never its value (DESIGN: configuration contract).
 */

const KID = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);
const BASE64URL_32_BYTES = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be base64url of 32 bytes");

const keyringSchema = z
	.strictObject({
		primary: KID,
		keys: z.record(KID, BASE64URL_32_BYTES).refine((keys) => Object.keys(keys).length > 0, "no keys"),
	})
	.refine((ring) => Object.hasOwn(ring.keys, ring.primary), "primary is not among keys");

export type KeyringConfig = z.infer<typeof keyringSchema>;

const b64u = z.string().regex(/^[A-Za-z0-9_-]+$/);

/** A private signing JWK: Ed25519 (OKP) or P-256 (EC), always with a kid. */
const signingJwkSchema = z.union([
	z.object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: b64u, d: b64u, kid: KID, alg: z.enum(["EdDSA", "Ed25519"]).optional() }),
	z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: b64u, y: b64u, d: b64u, kid: KID, alg: z.literal("ES256").optional() }),
]);

export type SigningJwkConfig = z.infer<typeof signingJwkSchema>;

/** Public keys only: a private member or a symmetric key in an issuer's JWKS is a configuration error. */
const publicJwkSchema = z
	.looseObject({
		kty: z.enum(["EC", "OKP", "RSA"]),
		kid: z.string().min(1).max(256).optional(),
		alg: z.string().optional(),
		use: z.string().optional(),
	})
	.refine((jwk) => !("d" in jwk) && !("p" in jwk) && !("k" in jwk), "issuer keys must be public")
	// An RSA key can serve several algorithms; without a declared `alg` none is accepted for it.
	.refine((jwk) => jwk.kty !== "RSA" || typeof jwk.alg === "string", "RSA keys must declare alg");

export type PublicJwk = z.infer<typeof publicJwkSchema>;

const jwksUri = z.url().refine((value) => {
	const url = new URL(value);
	// Plain HTTP only to loopback, for local issuers in development.
	return url.protocol === "https:" || (url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname));
}, "jwks_uri must be https");

const issuerSchema = z.union([
	z.strictObject({ iss: z.string().min(1), jwks: z.strictObject({ keys: z.array(publicJwkSchema).min(1) }) }),
	z.strictObject({ iss: z.string().min(1), jwks_uri: jwksUri, algorithms: z.array(z.string()).min(1).optional() }),
]);

const trustedIssuersSchema = z
	.array(issuerSchema)
	.min(1)
	.refine((list) => new Set(list.map((i) => i.iss)).size === list.length, "duplicate iss");

export type TrustedIssuerConfig = z.infer<typeof issuerSchema>;

const maxBodyBytesSchema = z.coerce
	.number()
	.int()
	.min(1024)
	.max(10 * 1024 * 1024);

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export const DEFAULT_REVEAL_TOKEN_TTL_SECONDS = 60;
export const DEFAULT_AUDIT_CHECKPOINT_INTERVAL = 1000;

type ConfigVariable = "VAULT_KEYRING" | "REVEAL_SIGNING_JWK" | "TRUSTED_ISSUERS" | "MAX_BODY_BYTES" | "REVEAL_TOKEN_TTL_SECONDS" | "AUDIT_CHECKPOINT_INTERVAL";

const cache = new Map<ConfigVariable, { raw: string | undefined; value: unknown }>();

function parsed<T>(variable: ConfigVariable, raw: string | undefined, parse: (raw: string) => T, fallback?: T): T {
	const hit = cache.get(variable);
	if (hit && hit.raw === raw) return hit.value as T;
	let value: T;
	if (raw === undefined || raw.trim() === "") {
		if (fallback === undefined) throw configurationUnavailable(variable, "missing");
		value = fallback;
	} else {
		try {
			value = parse(raw);
		} catch (error) {
			throw configurationUnavailable(variable, describe(error));
		}
	}
	cache.set(variable, { raw, value });
	return value;
}

function parseJson<T>(schema: z.ZodType<T>): (raw: string) => T {
	return (raw) => schema.parse(JSON.parse(raw));
}

/** Says what is wrong without quoting the value: zod issue paths and codes, or the JSON error class. */
function describe(error: unknown): string {
	if (error instanceof z.ZodError) {
		return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.code}`).join("; ");
	}
	return error instanceof SyntaxError ? "not valid JSON" : "unreadable";
}

function configurationUnavailable(variable: ConfigVariable, reason: string): ProblemError {
	console.error(JSON.stringify({ event: "configuration_unavailable", variable, reason }));
	return new ProblemError("configuration-unavailable", {
		detail: `${variable} is missing or malformed.`,
		extensions: { variable },
	});
}

export function keyringConfig(env: Env): KeyringConfig {
	return parsed("VAULT_KEYRING", env.VAULT_KEYRING, parseJson(keyringSchema));
}

export function signingJwkConfig(env: Env): SigningJwkConfig {
	return parsed("REVEAL_SIGNING_JWK", env.REVEAL_SIGNING_JWK, parseJson(signingJwkSchema));
}

export function trustedIssuersConfig(env: Env): TrustedIssuerConfig[] {
	return parsed("TRUSTED_ISSUERS", env.TRUSTED_ISSUERS, parseJson(trustedIssuersSchema));
}

export function maxBodyBytes(env: Env): number {
	return parsed("MAX_BODY_BYTES", env.MAX_BODY_BYTES, (raw) => maxBodyBytesSchema.parse(raw), DEFAULT_MAX_BODY_BYTES);
}

/** Lifetime of a reveal token: seconds, never above 300 whatever is configured. */
export function revealTokenTtlSeconds(env: Env): number {
	return parsed(
		"REVEAL_TOKEN_TTL_SECONDS",
		env.REVEAL_TOKEN_TTL_SECONDS,
		(raw) => z.coerce.number().int().min(5).max(300).parse(raw),
		DEFAULT_REVEAL_TOKEN_TTL_SECONDS,
	);
}

/** A signed audit checkpoint is written every this many entries (and at least hourly by cron). */
export function auditCheckpointInterval(env: Env): number {
	return parsed(
		"AUDIT_CHECKPOINT_INTERVAL",
		env.AUDIT_CHECKPOINT_INTERVAL,
		(raw) => z.coerce.number().int().min(2).max(1_000_000).parse(raw),
		DEFAULT_AUDIT_CHECKPOINT_INTERVAL,
	);
}
