import { encodeBase64url } from "./base64url";
import type { Keyring } from "./keyring";

const encoder = new TextEncoder();

async function hmac(key: CryptoKey, normalizedPhone: string): Promise<string> {
	return encodeBase64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(normalizedPhone))));
}

/**
 * Keyed blind index of a normalized (E.164) phone: HMAC-SHA-256 under a key derived from the
 * keyring. An unkeyed hash of an 11-digit number is reversed by enumeration in minutes; this is not.
 */
export function phoneIndex(keyring: Keyring, normalizedPhone: string): Promise<string> {
	return hmac(keyring.primaryPhoneIndexKey(), normalizedPhone);
}

/** The index values under every key in the ring, so lookups keep working while keys rotate. */
export function phoneIndexCandidates(keyring: Keyring, normalizedPhone: string): Promise<string[]> {
	return Promise.all(keyring.phoneIndexKeys().map((key) => hmac(key, normalizedPhone)));
}
