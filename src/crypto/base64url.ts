/**
 * `Uint8Array.prototype.toBase64` and `Uint8Array.fromBase64` (ECMAScript 2026), where the runtime
 * has them: workerd does, Node 22 (the bench's microbenchmark, the scripts) does not. The native
 * encoder takes about a quarter of the time of the portable one below (workerd, 60 bytes: 4 → 1 µs),
 * which matters at a batch's thousands of values; the decoder is used for the same reason.
 */
type NativeToBase64 = (this: Uint8Array, options: { alphabet: "base64url"; omitPadding: boolean }) => string;
type NativeFromBase64 = (text: string, options: { alphabet: "base64url"; lastChunkHandling: "loose" }) => Uint8Array<ArrayBuffer>;
const nativeToBase64 = (Uint8Array.prototype as unknown as { toBase64?: NativeToBase64 }).toBase64;
const nativeFromBase64 = (Uint8Array as unknown as { fromBase64?: NativeFromBase64 }).fromBase64;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** base64url without padding (RFC 4648 §5), the encoding of every binary value the vault stores. */
export function encodeBase64url(bytes: Uint8Array): string {
	return nativeToBase64 ? nativeToBase64.call(bytes, { alphabet: "base64url", omitPadding: true }) : portableEncodeBase64url(bytes);
}

/** Unpadded base64url text (no whitespace, no `=`) as bytes; TypeError for anything else. */
export function decodeBase64url(text: string): Uint8Array<ArrayBuffer> {
	// The native decoder skips ASCII whitespace and takes padding: the vault's values have neither.
	if (!BASE64URL.test(text)) throw new TypeError("not base64url");
	if (!nativeFromBase64) return portableDecodeBase64url(text);
	try {
		return nativeFromBase64(text, { alphabet: "base64url", lastChunkHandling: "loose" });
	} catch {
		throw new TypeError("not base64url");
	}
}

/** encodeBase64url without the native method. Exported so that tests hold both to the same output. */
export function portableEncodeBase64url(bytes: Uint8Array): string {
	let binary = "";
	// `apply` over the typed array, not a spread: a spread walks the array's iterator, element by element.
	for (let i = 0; i < bytes.length; i += 0x8000) {
		binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
	}
	return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** decodeBase64url without the native method, for text already checked against BASE64URL. Exported for the same tests. */
export function portableDecodeBase64url(text: string): Uint8Array<ArrayBuffer> {
	let binary: string;
	try {
		binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
	} catch {
		throw new TypeError("not base64url");
	}
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
