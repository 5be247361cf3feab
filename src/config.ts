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

/**
 * What names an issuer where people read it (ops paths, the console): `alias`, or the host of its
 * `iss`. And which issuer employees sign in with: the entry marked `employees`, else the first. A
 * courier service that assigns a parcel to "courier-7" means that issuer's courier-7 (DESIGN "Identity").
 */
const ALIAS = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be 1–64 lower-case letters, digits, '.', '_' or '-'");

/**
 * An endpoint the pages send people or requests to: https (plain http to loopback for a local
 * provider), no credentials or fragment. The token endpoint is also written into the pages'
 * `connect-src`, so it may hold nothing that would end or split a CSP source expression.
 */
const endpointUrl = z.url().refine((value) => {
	const url = new URL(value);
	const secure = url.protocol === "https:" || (url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname));
	return secure && url.username === "" && url.password === "" && url.hash === "" && !/[;,'\s]/.test(value);
}, "must be an https URL without credentials, fragment, ';', ',', quotes or spaces");

/**
 * What the terminal and the console need to sign people in with this issuer (OpenID Connect Core
 * 1.0 §3.1, authorization code with PKCE, RFC 7636): the public client the pages are registered
 * as (no secret: a page cannot keep one) and the two endpoints, given here rather than discovered
 * so that the pages' CSP is fixed by configuration and a page renders whether or not the provider
 * answers. `label` names the button ("Sign in with …"); by default the alias.
 */
const signInSchema = z.strictObject({
	client_id: z.string().regex(/^[\x21-\x7e]{1,256}$/, "printable ASCII, 1–256 characters"),
	authorization_endpoint: endpointUrl.refine((value) => new URL(value).search === "", "no query"),
	token_endpoint: endpointUrl.refine((value) => new URL(value).search === "", "no query"),
	label: z.string().min(1).max(64).optional(),
});

export type SignInConfig = z.infer<typeof signInSchema>;

const issuerNaming = { alias: ALIAS.optional(), employees: z.literal(true).optional(), sign_in: signInSchema.optional() };

const issuerSchema = z.union([
	z.strictObject({ iss: z.string().min(1), jwks: z.strictObject({ keys: z.array(publicJwkSchema).min(1) }), ...issuerNaming }),
	z.strictObject({ iss: z.string().min(1), jwks_uri: jwksUri, algorithms: z.array(z.string()).min(1).optional(), ...issuerNaming }),
]);

export type TrustedIssuerConfig = z.infer<typeof issuerSchema>;

/** The alias an issuer is shown and addressed by: its own, or the host of an URL `iss`, or `iss` itself. */
export function issuerAlias(config: Pick<TrustedIssuerConfig, "iss" | "alias">): string {
	if (config.alias) return config.alias;
	try {
		return new URL(config.iss).host.toLowerCase() || config.iss;
	} catch {
		return config.iss;
	}
}

const trustedIssuersSchema = z
	.array(issuerSchema)
	.min(1)
	.refine((list) => new Set(list.map((i) => i.iss)).size === list.length, "duplicate iss")
	.refine((list) => new Set(list.map(issuerAlias)).size === list.length, "duplicate alias: give each issuer its own `alias`")
	.refine((list) => list.filter((i) => i.employees).length <= 1, "at most one issuer is marked `employees`");

/**
 * Cloudflare Access in front of the ops console: the team domain (the `iss` of Access's tokens),
 * the application's AUD tag, the emails of the ops people (Access's policy decides who reaches
 * the console; this list decides who of them is ops, so a policy drawn too wide admits no one
 * more), and optionally the team's keys inline (otherwise fetched from its `/cdn-cgi/access/certs`).
 */
const opsAccessFields = {
	team_domain: z.url({ protocol: /^https$/ }),
	aud: z.string().min(1).max(256),
	ops_emails: z.array(z.email().max(128)).min(1).max(1000),
};
const opsAccessSchema = z.union([
	z.strictObject(opsAccessFields),
	z.strictObject({ ...opsAccessFields, jwks: z.strictObject({ keys: z.array(publicJwkSchema).min(1) }) }),
]);

export interface OpsAccessConfig {
	aud: string;
	/** Access as an issuer: `iss` is the team domain, exactly as Access writes it. */
	issuer: TrustedIssuerConfig;
	/** Lower-cased. */
	opsEmails: ReadonlySet<string>;
}

const maxBodyBytesSchema = z.coerce
	.number()
	.int()
	.min(1024)
	.max(10 * 1024 * 1024);

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export const DEFAULT_REVEAL_TOKEN_TTL_SECONDS = 60;
export const DEFAULT_TERMINAL_REVEAL_SECONDS = 30;
export const DEFAULT_TERMINAL_IDLE_SECONDS = 300;
export const DEFAULT_AUDIT_CHECKPOINT_INTERVAL = 1000;

type ConfigVariable =
	| "VAULT_KEYRING"
	| "REVEAL_SIGNING_JWK"
	| "TRUSTED_ISSUERS"
	| "MAX_BODY_BYTES"
	| "REVEAL_TOKEN_TTL_SECONDS"
	| "AUDIT_CHECKPOINT_INTERVAL"
	| "RETENTION_DEFAULT_DAYS"
	| "RETENTION_MAX_DAYS"
	| "KEY_REWRAP_BATCH_SIZE"
	| "RETENTION_ERASE_BATCH_SIZE"
	| "REVEAL_SIGNING_PREVIOUS"
	| "REVEAL_SIGNING_NEXT"
	| "TERMINAL_REVEAL_SECONDS"
	| "TERMINAL_IDLE_SECONDS"
	| "OPS_ACCESS"
	| "PAGES_TOKEN_PASTE"
	| "TELEPHONY";

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

/** Null when the console is not behind Access: then the Access header is ignored, never trusted. */
export function opsAccessConfig(env: Env): OpsAccessConfig | null {
	if (env.OPS_ACCESS === undefined || env.OPS_ACCESS === "") return null;
	return parsed("OPS_ACCESS", env.OPS_ACCESS, (raw) => {
		const config = parseJson(opsAccessSchema)(raw);
		const iss = config.team_domain.replace(/\/+$/, "");
		const issuer: TrustedIssuerConfig = "jwks" in config ? { iss, jwks: config.jwks } : { iss, jwks_uri: `${iss}/cdn-cgi/access/certs`, algorithms: ["RS256"] };
		return { aud: config.aud, issuer, opsEmails: new Set(config.ops_emails.map((email) => email.toLowerCase())) };
	});
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

/** Seconds the depot terminal shows a revealed value before it clears it from the page. */
export function terminalRevealSeconds(env: Env): number {
	return parsed(
		"TERMINAL_REVEAL_SECONDS",
		env.TERMINAL_REVEAL_SECONDS,
		(raw) => z.coerce.number().int().min(5).max(300).parse(raw),
		DEFAULT_TERMINAL_REVEAL_SECONDS,
	);
}

/** Seconds without use after which the depot terminal signs its user out. */
export function terminalIdleSeconds(env: Env): number {
	return parsed(
		"TERMINAL_IDLE_SECONDS",
		env.TERMINAL_IDLE_SECONDS,
		(raw) => z.coerce.number().int().min(60).max(3600).parse(raw),
		DEFAULT_TERMINAL_IDLE_SECONDS,
	);
}

/**
 * Whether the pages also offer "paste a token" (PAGES_TOKEN_PASTE=1): a developer's shortcut around
 * the identity provider, off unless set. People sign in with OpenID Connect.
 */
export function pagesTokenPaste(env: Env): boolean {
	return parsed("PAGES_TOKEN_PASTE", env.PAGES_TOKEN_PASTE, (raw) => z.enum(["0", "1"]).parse(raw.trim()) === "1", false);
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

// --- Retention and key rotation ---------------------------------------------------------------

export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_RETENTION_MAX_DAYS = 90;

/** Days a record is kept when its creator does not say (`retention_days`), at most RETENTION_MAX_DAYS. */
export function retentionDefaultDays(env: Env): number {
	const days = parsed(
		"RETENTION_DEFAULT_DAYS",
		env.RETENTION_DEFAULT_DAYS,
		(raw) => z.coerce.number().int().min(1).max(3650).parse(raw),
		DEFAULT_RETENTION_DAYS,
	);
	// A default above the maximum would make every create that omits retention_days break the rule.
	if (days > retentionMaxDays(env)) throw configurationUnavailable("RETENTION_DEFAULT_DAYS", "above RETENTION_MAX_DAYS");
	return days;
}

/** The longest retention a creator may ask for. */
export function retentionMaxDays(env: Env): number {
	return parsed("RETENTION_MAX_DAYS", env.RETENTION_MAX_DAYS, (raw) => z.coerce.number().int().min(1).max(3650).parse(raw), DEFAULT_RETENTION_MAX_DAYS);
}

/** Records re-sealed per transaction by the re-wrap job. */
export function keyRewrapBatchSize(env: Env): number {
	return parsed("KEY_REWRAP_BATCH_SIZE", env.KEY_REWRAP_BATCH_SIZE, (raw) => z.coerce.number().int().min(1).max(500).parse(raw), 100);
}

/** Expired records erased per transaction (and per audit entry) by the retention job. */
export function retentionEraseBatchSize(env: Env): number {
	return parsed("RETENTION_ERASE_BATCH_SIZE", env.RETENTION_ERASE_BATCH_SIZE, (raw) => z.coerce.number().int().min(1).max(1000).parse(raw), 500);
}

// --- Signing-key rollover (REVEAL_SIGNING_PREVIOUS, REVEAL_SIGNING_NEXT) ------------------------

/** Members only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** One 32-byte coordinate in base64url: Ed25519 `x` (RFC 8037 §2), P-256 `x` and `y` (RFC 7518 §6.2.1). */
const COORDINATE = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

/** The public half of a vault signing key, as /.well-known/jwks.json publishes it (without `retired_at`). */
const publicSigningJwkSchema = z
	.looseObject({})
	.refine((jwk) => !PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwk, member)), "must be a public key")
	.pipe(
		z.union([
			z.strictObject({
				kty: z.literal("OKP"),
				crv: z.literal("Ed25519"),
				x: COORDINATE,
				kid: KID,
				alg: z.enum(["EdDSA", "Ed25519"]).optional(),
				use: z.literal("sig").optional(),
			}),
			z.strictObject({
				kty: z.literal("EC"),
				crv: z.literal("P-256"),
				x: COORDINATE,
				y: COORDINATE,
				kid: KID,
				alg: z.literal("ES256").optional(),
				use: z.literal("sig").optional(),
			}),
		]),
	);

export type PublicSigningJwkConfig = z.infer<typeof publicSigningJwkSchema>;

/** A key that signed before a rollover, and when it stopped (ms since the epoch). */
export interface PreviousSigningKeyConfig {
	jwk: PublicSigningJwkConfig;
	retiredAt: number;
}

/** RFC 3339 date-time with `Z` or a numeric offset (§5.6), as milliseconds since the epoch. */
const rfc3339 = z.iso
	.datetime({ offset: true })
	.transform((value) => Date.parse(value))
	.refine(Number.isFinite, "not a time");

const previousSigningKeysSchema = z
	.array(z.strictObject({ jwk: publicSigningJwkSchema, retired_at: rfc3339 }))
	// A kid names one key (RFC 7517 §4.5): two previous keys under one kid would make "which key signed this" ambiguous.
	.refine((list) => new Set(list.map((entry) => entry.jwk.kid)).size === list.length, "duplicate kid")
	.transform((list): PreviousSigningKeyConfig[] => list.map((entry) => ({ jwk: entry.jwk, retiredAt: entry.retired_at })));

const NO_PREVIOUS_KEYS: readonly PreviousSigningKeyConfig[] = Object.freeze([]);

/**
 * Keys that signed reveal tokens and audit checkpoints before a rollover: public halves only.
 * Optional; absent means none. A previous key under the current key's kid fails closed too.
 */
export function previousSigningKeysConfig(env: Env): readonly PreviousSigningKeyConfig[] {
	const previous = parsed("REVEAL_SIGNING_PREVIOUS", env.REVEAL_SIGNING_PREVIOUS, parseJson(previousSigningKeysSchema), NO_PREVIOUS_KEYS);
	const current = signingJwkConfig(env).kid;
	if (previous.some((entry) => entry.jwk.kid === current))
		throw configurationUnavailable("REVEAL_SIGNING_PREVIOUS", "a previous key has the current key's kid");
	return previous;
}

/**
 * The public half of the key that will sign after the next rollover, published ahead of use so
 * that no cached JWKS lacks it when it starts signing. It verifies nothing until it is current.
 * Once it is current (the same kid and the same key as REVEAL_SIGNING_JWK) it is simply ignored;
 * under the kid of the current or a previous key, but a different key, it fails closed.
 */
export function nextSigningKeyConfig(env: Env): PublicSigningJwkConfig | null {
	const next = parsed<PublicSigningJwkConfig | null>("REVEAL_SIGNING_NEXT", env.REVEAL_SIGNING_NEXT, parseJson(publicSigningJwkSchema), null);
	if (next === null) return null;
	const current = signingJwkConfig(env);
	if (next.kid === current.kid) {
		const sameKey = next.kty === current.kty && next.x === current.x && (next.kty !== "EC" || (current.kty === "EC" && next.y === current.y));
		if (sameKey) return null;
		throw configurationUnavailable("REVEAL_SIGNING_NEXT", "the current key's kid on another key");
	}
	if (previousSigningKeysConfig(env).some((entry) => entry.jwk.kid === next.kid)) throw configurationUnavailable("REVEAL_SIGNING_NEXT", "a previous key's kid");
	return next;
}

// --- end of signing-key rollover ----------------------------------------------------------------

// --- Telephony (privacy-number provider for calls) --------------------------------------------

/** The provider's API origin: https, or plain http to loopback for the local provider simulator; no path, query or fragment. */
const telephonyEndpoint = z.url().refine((value) => {
	const url = new URL(value);
	const secure = url.protocol === "https:" || (url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname));
	return secure && url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && url.password === "";
}, "endpoint must be an https origin");

/** Names and keys as the providers issue them: printable, no separators that would need escaping in a log. */
const TELEPHONY_ID = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/);

/**
 * One variant per provider, keyed by `provider`; a second provider adds its variant here and its
 * adapter in src/calls/. `timeout_ms` bounds each request to the provider (default 5 s).
 */
const telephonySchema = z.discriminatedUnion("provider", [
	z.strictObject({
		provider: z.literal("aliyun"),
		endpoint: telephonyEndpoint,
		access_key_id: TELEPHONY_ID,
		access_key_secret: z.string().min(1).max(256),
		pool_key: TELEPHONY_ID,
		timeout_ms: z.number().int().min(100).max(30_000).optional(),
	}),
]);

export const DEFAULT_TELEPHONY_TIMEOUT_MS = 5000;

export interface AliyunTelephonyConfig {
	provider: "aliyun";
	/** Origin without a trailing slash. */
	endpoint: string;
	accessKeyId: string;
	accessKeySecret: string;
	poolKey: string;
	timeoutMs: number;
}

export type TelephonyConfig = AliyunTelephonyConfig;

/**
 * The privacy-number provider (secret TELEPHONY, DESIGN "Calls instead of numbers"). Only the calls
 * routes ask for it, so a missing or malformed TELEPHONY is a 503 naming it there and nowhere else;
 * there is no fallback to handing out the plaintext number.
 */
export function telephonyConfig(env: Env): TelephonyConfig {
	return parsed("TELEPHONY", env.TELEPHONY, (raw) => {
		const config = parseJson(telephonySchema)(raw);
		return {
			provider: config.provider,
			endpoint: new URL(config.endpoint).origin,
			accessKeyId: config.access_key_id,
			accessKeySecret: config.access_key_secret,
			poolKey: config.pool_key,
			timeoutMs: config.timeout_ms ?? DEFAULT_TELEPHONY_TIMEOUT_MS,
		};
	});
}
