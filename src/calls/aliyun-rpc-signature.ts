/**
 * Alibaba Cloud's RPC-style request signature ("signature method V2 for RPC APIs", the one the
 * 2017-05-25 product APIs such as Dysmsapi and Dyplsapi take):
 *
 *   CanonicalizedQueryString = the parameters but Signature, sorted by name, each
 *                              percentEncode(name) "=" percentEncode(value), joined by "&"
 *   StringToSign = HTTPMethod "&" percentEncode("/") "&" percentEncode(CanonicalizedQueryString)
 *   Signature    = Base64(HMAC-SHA1(AccessKeySecret "&", UTF-8(StringToSign)))
 *
 * percentEncode is RFC 3986 percent-encoding of the UTF-8 bytes with only the unreserved set
 * A–Z a–z 0–9 "-" "_" "." "~" left alone (§2.3), upper-case hex (§2.1): a space is %20, never "+",
 * and "*" is %2A. Sources: Alibaba Cloud documentation "Request syntax and signature method V2 for
 * RPC APIs" (alibabacloud.com/help/en/sdk/product-overview/rpc-mechanism) and the worked examples it
 * and the SMS documentation give, which test/telephony.test.ts reproduces.
 */
import { hmacSha1Base64 } from "../crypto/hmac-sha1";

/** RFC 3986 §2.3 unreserved characters stay; everything else is %XX of its UTF-8 bytes. */
export function percentEncode(value: string): string {
	// encodeURIComponent already encodes all but the unreserved set and !'()*, which RFC 3986 reserves.
	return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Names compared by UTF-16 code unit, which for the ASCII names Alibaba uses is byte order. */
function byName(a: [string, string], b: [string, string]): number {
	return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

export function canonicalizedQuery(parameters: Readonly<Record<string, string>>): string {
	return Object.entries(parameters)
		.filter(([name]) => name !== "Signature")
		.map(([name, value]): [string, string] => [percentEncode(name), percentEncode(value)])
		.sort(byName)
		.map(([name, value]) => `${name}=${value}`)
		.join("&");
}

export function stringToSign(method: "GET" | "POST", parameters: Readonly<Record<string, string>>): string {
	return `${method}&${percentEncode("/")}&${percentEncode(canonicalizedQuery(parameters))}`;
}

/** The `Signature` parameter's value (before it is itself form-encoded into the request). */
export function rpcSignature(method: "GET" | "POST", parameters: Readonly<Record<string, string>>, accessKeySecret: string): Promise<string> {
	// The key is the secret followed by "&": the documented examples reproduce only with it.
	return hmacSha1Base64(`${accessKeySecret}&`, stringToSign(method, parameters));
}
