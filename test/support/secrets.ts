/**
 * Fresh secrets for one test run, generated in Node by vitest.config.ts and handed to workerd as
 * bindings. Nothing here is reused outside tests.
 */
import { exportJWK, generateKeyPair } from "jose";

export const TEST_ISSUER = "https://issuer.test.contact-vault";
export const OTHER_ISSUER = "https://other-issuer.test.contact-vault";

function randomKey(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(32));
	return btoa(String.fromCharCode(...bytes))
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");
}

async function privateJwk(alg: "EdDSA" | "ES256" | "RS256", kid: string) {
	const { privateKey } = await generateKeyPair(alg, { extractable: true });
	return { ...(await exportJWK(privateKey)), kid, alg };
}

function publicOf(jwk: Record<string, unknown>) {
	const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
	return rest;
}

export async function testSecrets(): Promise<Record<string, string>> {
	const issuerKey = await privateJwk("EdDSA", "issuer-ed-1");
	const issuerEcKey = await privateJwk("ES256", "issuer-ec-1");
	const otherIssuerKey = await privateJwk("ES256", "other-1");
	// Keys nobody trusts: for forged tokens that look right in every other respect.
	const rogueKey = await privateJwk("EdDSA", "issuer-ed-1");
	const rogueRsaKey = await privateJwk("RS256", "rogue-rsa");
	const signingKey = await privateJwk("EdDSA", "reveal-1");
	return {
		VAULT_KEYRING: JSON.stringify({ primary: "k2", keys: { k1: randomKey(), k2: randomKey() } }),
		REVEAL_SIGNING_JWK: JSON.stringify(signingKey),
		TRUSTED_ISSUERS: JSON.stringify([
			{ iss: TEST_ISSUER, jwks: { keys: [publicOf(issuerKey), publicOf(issuerEcKey)] } },
			{ iss: OTHER_ISSUER, jwks: { keys: [publicOf(otherIssuerKey)] } },
		]),
		TEST_KEYS: JSON.stringify({ issuer: issuerKey, issuerEc: issuerEcKey, other: otherIssuerKey, rogue: rogueKey, rogueRsa: rogueRsaKey }),
	};
}
