import { importJWK, type JWK } from "jose";
import type { PreviousSigningKeyConfig, PublicSigningJwkConfig, SigningJwkConfig } from "../config";

/** One algorithm per key (RFC 8725 §3.1): EdDSA for Ed25519, ES256 for P-256. */
export type SigningAlgorithm = "EdDSA" | "ES256";

/** A published public JWK; a previous key's also says when it stopped signing. */
export type PublishedJwk = JWK & { retired_at?: string };

/**
 * A key that verifies the vault's own signatures (reveal tokens, audit checkpoints): the current
 * signing key, or one that signed before a rollover (REVEAL_SIGNING_PREVIOUS).
 */
export interface VerificationKey {
	kid: string;
	alg: SigningAlgorithm;
	publicKey: CryptoKey;
	/** The public half as published at /.well-known/jwks.json and in audit exports. */
	publicJwk: PublishedJwk;
	/**
	 * When the key stopped signing (ms since the epoch). Absent for the key that signs now. Nothing
	 * it vouches for may be dated after this: see `inServiceAt` in verification-keys.ts.
	 */
	retiredAt?: number;
}

/** The vault's own signing key (REVEAL_SIGNING_JWK): reveal tokens and audit checkpoints. */
export interface SigningKey {
	kid: string;
	alg: SigningAlgorithm;
	privateKey: CryptoKey;
	publicKey: CryptoKey;
	/** The public half as published at /.well-known/jwks.json. */
	publicJwk: JWK;
}

const algorithmOf = (kty: "OKP" | "EC"): SigningAlgorithm => (kty === "OKP" ? "EdDSA" : "ES256");

/**
 * The public JWK as the vault publishes it (RFC 7517 §4): `alg` pinned to the one algorithm the
 * key is used with and `use: "sig"`, so a verifier never has to guess either.
 */
export function publishedJwk(config: PublicSigningJwkConfig): JWK {
	return { ...config, alg: algorithmOf(config.kty), use: "sig" };
}

async function load(config: SigningJwkConfig): Promise<SigningKey> {
	const alg = algorithmOf(config.kty);
	const { d: _private, ...publicMembers } = config;
	const publicJwk = publishedJwk(publicMembers);
	return {
		kid: config.kid,
		alg,
		privateKey: (await importJWK({ ...config, alg }, alg)) as CryptoKey,
		publicKey: (await importJWK(publicJwk, alg)) as CryptoKey,
		publicJwk,
	};
}

async function loadRetired(config: PreviousSigningKeyConfig): Promise<VerificationKey> {
	const alg = algorithmOf(config.jwk.kty);
	const jwk = publishedJwk(config.jwk);
	return {
		kid: config.jwk.kid,
		alg,
		publicKey: (await importJWK(jwk, alg)) as CryptoKey,
		// RFC 7517 §4 lets a JWK carry members a verifier does not know (it must ignore them); this
		// one tells an offline verifier after which time the key vouches for nothing.
		publicJwk: { ...jwk, retired_at: new Date(config.retiredAt).toISOString() },
		retiredAt: config.retiredAt,
	};
}

const loaded = new WeakMap<SigningJwkConfig, Promise<SigningKey>>();
const loadedRetired = new WeakMap<PreviousSigningKeyConfig, Promise<VerificationKey>>();

function cached<C extends object, K>(cache: WeakMap<C, Promise<K>>, config: C, loader: (config: C) => Promise<K>): Promise<K> {
	let key = cache.get(config);
	if (!key) {
		key = loader(config);
		cache.set(config, key);
	}
	return key;
}

/** Imported once per isolate and reused: importing costs about a third of a verify. */
export function signingKeyFor(config: SigningJwkConfig): Promise<SigningKey> {
	return cached(loaded, config, load);
}

/**
 * Every key that may verify the vault's signatures: the current one first, then each previous one
 * as configured. Callers narrow this by time (`publishedKeys`) where a key must stop verifying.
 */
export async function verificationKeysFor(
	current: SigningJwkConfig,
	previous: readonly PreviousSigningKeyConfig[],
): Promise<[VerificationKey, ...VerificationKey[]]> {
	const [signing, retired] = await Promise.all([signingKeyFor(current), Promise.all(previous.map((config) => cached(loadedRetired, config, loadRetired)))]);
	return [signing, ...retired];
}
