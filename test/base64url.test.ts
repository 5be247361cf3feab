import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64url, decodeCanonicalBase64url, encodeBase64url, portableDecodeBase64url, portableEncodeBase64url } from "../src/crypto/base64url";

/**
 * base64url without padding (RFC 4648 §5) is how every binary value the vault stores is spelled:
 * ciphertexts, wrapped keys, blind indexes, MACs. workerd encodes and decodes it natively; Node 22
 * (the microbenchmark, the scripts) uses the portable versions. Both must spell and read alike.
 */
describe("base64url", () => {
	it("runs natively here, so the comparisons below hold two implementations to one output", () => {
		expect(typeof (Uint8Array.prototype as unknown as { toBase64?: unknown }).toBase64).toBe("function");
		expect(typeof (Uint8Array as unknown as { fromBase64?: unknown }).fromBase64).toBe("function");
	});

	it("native and portable encodings agree, and each decodes back to the bytes", () => {
		fc.assert(
			fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
				const text = encodeBase64url(bytes);
				expect(portableEncodeBase64url(bytes)).toBe(text);
				expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
				expect(decodeBase64url(text)).toEqual(bytes);
				expect(portableDecodeBase64url(text)).toEqual(bytes);
				expect(decodeCanonicalBase64url(text)).toEqual(bytes);
			}),
			{ numRuns: 500 },
		);
	});

	it("spells the RFC 4648 §10 test vectors in the URL-safe alphabet, unpadded", () => {
		const bytes = (text: string) => new TextEncoder().encode(text);
		expect(["", "f", "fo", "foo", "foob", "fooba", "foobar"].map((text) => encodeBase64url(bytes(text)))).toEqual([
			"",
			"Zg",
			"Zm8",
			"Zm9v",
			"Zm9vYg",
			"Zm9vYmE",
			"Zm9vYmFy",
		]);
		// 0xfb 0xff: "+/8" in the standard alphabet.
		expect(encodeBase64url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
		expect(portableEncodeBase64url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
	});

	it("refuses what the vault never writes: the standard alphabet, padding, whitespace, a dangling character", () => {
		for (const text of ["+_8", "-/8", "Zg==", "Zm 9v", "Zm9v\n", "Zm9vY", "Z"]) {
			expect(() => decodeBase64url(text), text).toThrow(TypeError);
		}
	});

	it("reads a respelled last character as the same bytes, and the canonical decoder refuses it", () => {
		// "Zh" carries "f" with its two unused bits set (RFC 4648 §3.5).
		expect(decodeBase64url("Zh")).toEqual(new TextEncoder().encode("f"));
		expect(portableDecodeBase64url("Zh")).toEqual(new TextEncoder().encode("f"));
		expect(() => decodeCanonicalBase64url("Zh")).toThrow(TypeError);
	});
});
