import { importJWK, type JWK } from "jose";
import type { SigningJwkConfig } from "../config";

/** The vault's own signing key (REVEAL_SIGNING_JWK): reveal tokens and audit checkpoints. */
export interface SigningKey {
	kid: string;
	/** One algorithm per key (RFC 8725 §3.1): EdDSA for Ed25519, ES256 for P-256. */
	alg: "EdDSA" | "ES256";
	privateKey: CryptoKey;
	publicKey: CryptoKey;
	/** The public half as published at /.well-known/jwks.json. */
	publicJwk: JWK;
}

async function load(config: SigningJwkConfig): Promise<SigningKey> {
	const alg = config.kty === "OKP" ? "EdDSA" : "ES256";
	const { d: _private, ...publicMembers } = config;
	const publicJwk: JWK = { ...publicMembers, alg, use: "sig" };
	return {
		kid: config.kid,
		alg,
		privateKey: (await importJWK({ ...config, alg }, alg)) as CryptoKey,
		publicKey: (await importJWK(publicJwk, alg)) as CryptoKey,
		publicJwk,
	};
}

const loaded = new WeakMap<SigningJwkConfig, Promise<SigningKey>>();

/** Imported once per isolate and reused: importing costs about a third of a verify. */
export function signingKeyFor(config: SigningJwkConfig): Promise<SigningKey> {
	let key = loaded.get(config);
	if (!key) {
		key = load(config);
		loaded.set(config, key);
	}
	return key;
}
