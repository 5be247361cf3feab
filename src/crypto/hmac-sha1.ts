/**
 * HMAC-SHA1 (RFC 2104 with SHA-1, FIPS 180-4) of a UTF-8 message under a UTF-8 key, standard
 * base64 (RFC 4648 §4, with padding). The vault uses SHA-1 only where an outside protocol fixes
 * it: Alibaba Cloud's RPC request signature (SignatureMethod=HMAC-SHA1, SignatureVersion=1.0).
 * HMAC-SHA1 stays a sound MAC (collisions in SHA-1 do not carry over to HMAC, RFC 6151 §2);
 * nothing of the vault's own is keyed or hashed with it.
 */
const keys = new Map<string, Promise<CryptoKey>>();

/** Imported keys are kept per isolate: a provider secret signs every request to that provider. */
function importKey(secret: string): Promise<CryptoKey> {
	let key = keys.get(secret);
	if (!key) {
		key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
		// A rotated secret leaves its predecessor behind; a handful of entries is all a deployment has.
		if (keys.size >= 8) keys.clear();
		keys.set(secret, key);
	}
	return key;
}

export async function hmacSha1Base64(secret: string, message: string): Promise<string> {
	const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await importKey(secret), new TextEncoder().encode(message)));
	let binary = "";
	for (const byte of mac) binary += String.fromCharCode(byte);
	return btoa(binary);
}
