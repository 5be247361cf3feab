import type { Principal } from "./principal";

/** How long a verified token is honoured without checking its signature again. */
export const REVERIFY_AFTER_MS = 60_000;
/** Tokens remembered per issuer configuration; the least recently verified go first. */
export const REMEMBERED_TOKENS = 2_000;

interface Verified {
	principal: Principal;
	/** The earliest of: the token's `exp`, `iat` plus the maximum token age, and REVERIFY_AFTER_MS after the check. */
	validUntil: number;
}

/**
 * Bearer tokens this isolate has verified in the last minute. A terminal or a courier service sends
 * the same token on request after request, and checking its signature (Ed25519, ECDSA or RSA) is the
 * largest piece of CPU an authenticated request spends before its handler. A hit is the exact token
 * string verified before (never a prefix, never the signature alone: a token with another payload
 * and a copied signature misses and is verified, and fails); it is honoured only until the token's
 * own `exp` and maximum age, and at most REVERIFY_AFTER_MS: a key the issuer withdrew stops being
 * honoured within that time, well inside the ten minutes jose keeps a remote key set. Refusals are
 * never remembered: each is checked and logged.
 */
export class VerifiedBearers {
	private readonly tokens = new Map<string, Verified>();

	recall(token: string, now: number): Principal | null {
		const verified = this.tokens.get(token);
		if (!verified) return null;
		if (now >= verified.validUntil) {
			this.tokens.delete(token);
			return null;
		}
		return verified.principal;
	}

	remember(token: string, principal: Principal, validUntil: number, now: number): void {
		this.tokens.delete(token);
		this.tokens.set(token, { principal, validUntil: Math.min(validUntil, now + REVERIFY_AFTER_MS) });
		// A Map iterates in insertion order: the first key is the one verified longest ago.
		if (this.tokens.size > REMEMBERED_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
	}
}
