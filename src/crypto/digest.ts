import { encodeBase64url } from "./base64url";

/** SHA-256 of a string, base64url: fingerprints request bodies for idempotency checks. */
export async function sha256(text: string): Promise<string> {
	return encodeBase64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}
