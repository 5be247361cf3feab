/**
 * Sign-in for a local vault: the development OpenID provider, speaking as the development issuer
 * (the same `iss` and key as `npm run token`, so a courier signed in on the terminal is the same
 * person as one with a minted token, and holds the seeded parcels), and the TRUSTED_ISSUERS that
 * points the pages at it, for wrangler as a `--var`. The provider's port changes from run to run,
 * so the `sign_in` member is added here rather than written into .dev.vars.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEV_ISSUER, readDevIssuerKey } from "./dev-issuer.ts";
import { type DevOidc, startDevOidc } from "./dev-oidc.ts";

export interface DevSignIn {
	/** `--var` overrides for wrangler dev: TRUSTED_ISSUERS with `sign_in`; empty when there is no dev issuer to sign in with. */
	vars: Record<string, string>;
	oidc: DevOidc | null;
}

/** The TRUSTED_ISSUERS of .dev.vars, as written there (single-quoted by `npm run dev`, or bare). */
export function devVarsTrustedIssuers(root: string): unknown[] | null {
	const path = join(root, ".dev.vars");
	if (!existsSync(path)) return null;
	const line = readFileSync(path, "utf8")
		.match(/^\s*TRUSTED_ISSUERS\s*=\s*(.*)$/m)?.[1]
		?.trim();
	if (!line) return null;
	const raw = /^(['"]).*\1$/.test(line) ? line.slice(1, -1) : line;
	try {
		const parsed: unknown = JSON.parse(raw);
		return Array.isArray(parsed) ? parsed : null;
	} catch {
		return null;
	}
}

export async function devSignIn(root: string, pageOrigins: string[], options: { port?: number; accessTokenSeconds?: number } = {}): Promise<DevSignIn> {
	const issuers = devVarsTrustedIssuers(root);
	const devIssuer = issuers?.find((entry) => (entry as { iss?: unknown }).iss === DEV_ISSUER) as Record<string, unknown> | undefined;
	if (!issuers || !devIssuer) return { vars: {}, oidc: null };
	const oidc = await startDevOidc({ issuer: DEV_ISSUER, signingKey: readDevIssuerKey(root), pageOrigins, ...options });
	const withSignIn = issuers.map((entry) =>
		entry === devIssuer ? { ...devIssuer, sign_in: { ...oidc.signIn, label: "the development identity provider" } } : entry,
	);
	return { vars: { TRUSTED_ISSUERS: JSON.stringify(withSignIn) }, oidc };
}
