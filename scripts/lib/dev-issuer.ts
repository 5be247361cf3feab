/**
 * The development identity provider: an Ed25519 key pair whose public half is trusted through
 * TRUSTED_ISSUERS in .dev.vars and whose private half stays in .dev-issuer.jwk.json (git-ignored,
 * never in .dev.vars, never read by the worker).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importJWK, type JWK, SignJWT } from "jose";

export const DEV_ISSUER = "https://dev-issuer.contact-vault.local";
export const DEV_ISSUER_KEY_FILE = ".dev-issuer.jwk.json";

export interface DevTokenOptions {
	sub: string;
	scope: string;
	role?: string;
	depot?: string;
	/** The employee's own phone in E.164, as the OIDC `phone_number` claim (OpenID Connect Core 1.0 §5.1). */
	phoneNumber?: string;
	ttlSeconds?: number;
}

/** The dev issuer's private key; `npm run token` and the development OpenID provider both sign with it. */
export function readDevIssuerKey(root: string): JWK & { kid: string } {
	try {
		return JSON.parse(readFileSync(join(root, DEV_ISSUER_KEY_FILE), "utf8"));
	} catch {
		throw new Error(`${DEV_ISSUER_KEY_FILE} is missing: delete .dev.vars and run \`npm run dev\` once to create both.`);
	}
}

export async function mintDevToken(root: string, options: DevTokenOptions): Promise<string> {
	const jwk = readDevIssuerKey(root);
	const claims: Record<string, unknown> = { scope: options.scope };
	if (options.role) claims.role = options.role;
	if (options.depot) claims.depot = options.depot;
	if (options.phoneNumber) claims.phone_number = options.phoneNumber;
	return new SignJWT(claims)
		.setProtectedHeader({ alg: "EdDSA", kid: jwk.kid, typ: "JWT" })
		.setIssuer(DEV_ISSUER)
		.setAudience("contact-vault")
		.setSubject(options.sub)
		.setIssuedAt()
		.setExpirationTime(`${options.ttlSeconds ?? 3600}s`)
		.sign(await importJWK(jwk, "EdDSA"));
}
