/** base64url without padding (RFC 4648 §5), the encoding of every binary value the vault stores. */
export function encodeBase64url(bytes: Uint8Array): string {
	let binary = "";
	for (let i = 0; i < bytes.length; i += 0x8000) {
		binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	}
	return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeBase64url(text: string): Uint8Array<ArrayBuffer> {
	if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new TypeError("not base64url");
	const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
	return bytes;
}

/**
 * Decodes only the spelling encodeBase64url writes. When the byte count is not a multiple of three
 * the last character carries unused bits (RFC 4648 §3.5), so several spellings decode to the same
 * bytes; a decoder "MAY" reject those not zero. For a value the vault wrote and must find unchanged
 * (a row MAC), any other spelling was written by someone else.
 */
export function decodeCanonicalBase64url(text: string): Uint8Array<ArrayBuffer> {
	const bytes = decodeBase64url(text);
	if (encodeBase64url(bytes) !== text) throw new TypeError("not canonical base64url");
	return bytes;
}
