import type { VerificationKey } from "./signing-key";

/**
 * Rules of a signing-key rollover, pure functions of the keys and `now`.
 *
 * After a rollover the previous key signs nothing, but what it signed before stays good: a reveal
 * token until it expires, an audit checkpoint for as long as the key is configured. A previous key
 * therefore vouches only for what is dated no later than its `retired_at`: a token or checkpoint
 * it signed afterwards can only come from a deployment still running the old configuration, or
 * from someone else holding the key.
 */

/**
 * Clock leeway of the vault's own tokens, in seconds: none. The vault checks timestamps it wrote
 * itself (RFC 7519 §4.1.4 leaves leeway to the verifier); the same figure bounds a previous key's
 * service life, so every rule here moves with it.
 */
export const CLOCK_TOLERANCE_SECONDS = 0;

/** Whether `key` was still signing at `at` (ms): the current key always, a previous one up to its retirement. */
export function inServiceAt(key: Pick<VerificationKey, "retiredAt">, at: number): boolean {
	return key.retiredAt === undefined || at <= key.retiredAt + CLOCK_TOLERANCE_SECONDS * 1000;
}

/** When a previous key stops verifying reveal tokens and leaves the JWKS: no token it signed is unexpired after this. */
export function revealHorizon(retiredAt: number, ttlSeconds: number): number {
	return retiredAt + (ttlSeconds + CLOCK_TOLERANCE_SECONDS) * 1000;
}

/**
 * The keys that verify reveal tokens at `now`, which are also the keys /.well-known/jwks.json
 * publishes (RFC 7517 §5): the current key, and each previous key until the last token it can have
 * signed has expired. One rule for both, so the vault never accepts a key it does not publish.
 */
export function publishedKeys<K extends Pick<VerificationKey, "retiredAt">>(keys: readonly K[], ttlSeconds: number, now: number): K[] {
	return keys.filter((key) => key.retiredAt === undefined || now < revealHorizon(key.retiredAt, ttlSeconds));
}
