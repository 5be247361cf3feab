import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import type { PublicJwk, TrustedIssuerConfig } from "../config";

/** Asymmetric JWS algorithms only (RFC 7518 §3.1, RFC 8037): no HMAC, never `none`. */
const ASYMMETRIC_ALGORITHMS = new Set(["EdDSA", "Ed25519", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]);

export interface TrustedIssuer {
	iss: string;
	keys: JWTVerifyGetKey;
	/** The allowlist handed to jose: what this issuer's keys declare, intersected with the asymmetric set. */
	algorithms: string[];
}

/** The algorithm a key is for: its declared `alg`, or the one its curve admits (RFC 7518 §6.2.1.1, RFC 8037 §2). */
function algorithmsOf(jwk: PublicJwk): string[] {
	if (jwk.alg) return [jwk.alg];
	const crv = (jwk as { crv?: unknown }).crv;
	if (jwk.kty === "OKP" && crv === "Ed25519") return ["EdDSA", "Ed25519"];
	if (jwk.kty === "EC" && crv === "P-256") return ["ES256"];
	if (jwk.kty === "EC" && crv === "P-384") return ["ES384"];
	if (jwk.kty === "EC" && crv === "P-521") return ["ES512"];
	return [];
}

function build(config: TrustedIssuerConfig): TrustedIssuer {
	if ("jwks" in config) {
		const declared = config.jwks.keys.flatMap(algorithmsOf);
		return {
			iss: config.iss,
			keys: createLocalJWKSet(config.jwks as Parameters<typeof createLocalJWKSet>[0]),
			algorithms: [...new Set(declared)].filter((alg) => ASYMMETRIC_ALGORITHMS.has(alg)),
		};
	}
	// Remote sets are fetched on first use and cached per isolate; a key that is not found triggers
	// one refetch at most every cooldown, so a forged kid cannot make the vault hammer the issuer.
	return {
		iss: config.iss,
		keys: createRemoteJWKSet(new URL(config.jwks_uri), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 }),
		algorithms: (config.algorithms ?? [...ASYMMETRIC_ALGORITHMS]).filter((alg) => ASYMMETRIC_ALGORITHMS.has(alg)),
	};
}

const built = new WeakMap<TrustedIssuerConfig[], Map<string, TrustedIssuer>>();

/** Issuers by `iss`, built once per parsed configuration so remote key caches survive across requests. */
export function trustedIssuers(config: TrustedIssuerConfig[]): Map<string, TrustedIssuer> {
	let issuers = built.get(config);
	if (!issuers) {
		issuers = new Map(config.map((entry) => [entry.iss, build(entry)]));
		built.set(config, issuers);
	}
	return issuers;
}

const builtOne = new WeakMap<TrustedIssuerConfig, TrustedIssuer>();

/** One issuer, built once per parsed configuration (its remote key cache survives across requests). */
export function trustedIssuer(config: TrustedIssuerConfig): TrustedIssuer {
	let issuer = builtOne.get(config);
	if (!issuer) {
		issuer = build(config);
		builtOne.set(config, issuer);
	}
	return issuer;
}
