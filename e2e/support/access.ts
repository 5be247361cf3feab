/**
 * Stands in for Cloudflare Access, the one part of the production path that is outside: a team
 * key pair, the OPS_ACCESS configuration that trusts it, and the token Access's edge would add to
 * each request of a person it let through.
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";

export const ACCESS_TEAM = "https://carrier-ops.cloudflareaccess.com";
const AUD = "e2e0c3b1d5f7a9e2b4c6d8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9";

export interface AccessTeam {
	/** The value of OPS_ACCESS for the vault under test. */
	config: string;
	tokenFor: (email: string) => Promise<string>;
}

export async function accessTeam(opsEmails: string[]): Promise<AccessTeam> {
	const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
	const jwk = { ...(await exportJWK(publicKey)), alg: "RS256", kid: "e2e-access" };
	return {
		config: JSON.stringify({ team_domain: ACCESS_TEAM, aud: AUD, ops_emails: opsEmails, jwks: { keys: [jwk] } }),
		tokenFor: (email) =>
			new SignJWT({ email, type: "app", country: "CN" })
				.setProtectedHeader({ alg: "RS256", kid: "e2e-access" })
				.setIssuer(ACCESS_TEAM)
				.setAudience([AUD])
				.setSubject(crypto.randomUUID())
				.setIssuedAt()
				.setExpirationTime("1h")
				.sign(privateKey),
	};
}
