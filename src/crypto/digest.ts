import { encodeBase64url } from "./base64url";
import type { Keyring } from "./keyring";

/**
 * A keyed fingerprint of a request body (HMAC-SHA-256), to tell an idempotent retry from a
 * different request. Keyed because the body holds contact data: an unkeyed hash stored in D1 would
 * let anyone with a dump confirm guesses of a phone number offline.
 */
export async function requestFingerprint(keyring: Keyring, text: string): Promise<string> {
	return (await requestFingerprints(keyring, text))[0] as string;
}

/** The fingerprint under every key of the ring, primary first: what a stored fingerprint may be after a rotation. */
export async function requestFingerprints(keyring: Keyring, text: string): Promise<string[]> {
	const bytes = new TextEncoder().encode(text);
	return Promise.all(keyring.fingerprintKeys.map(async (key) => encodeBase64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes)))));
}

/** SHA-256 of a string, base64url: the audit chain's hash, which anyone must be able to recompute. */
export async function sha256(text: string): Promise<string> {
	return encodeBase64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}
