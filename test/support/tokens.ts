import { env } from "cloudflare:workers";
import { importJWK, type JWK, SignJWT } from "jose";

export const TEST_ISSUER = "https://issuer.test.contact-vault";
export const OTHER_ISSUER = "https://other-issuer.test.contact-vault";

type KeyName = "issuer" | "issuerEc" | "other" | "rogue" | "rogueRsa";

export function testKey(name: KeyName): JWK & { kid: string; alg: string } {
	return (JSON.parse(env.TEST_KEYS) as Record<KeyName, JWK & { kid: string; alg: string }>)[name];
}

export interface TokenOptions {
	sub?: string;
	scope?: string;
	role?: string;
	depot?: string;
	iss?: string;
	aud?: string | string[];
	/** Seconds from now; negative for an expired token. */
	expiresIn?: number;
	/** Seconds from now for `iat`. */
	issuedAt?: number;
	notBefore?: number;
	key?: KeyName;
	kid?: string;
	omit?: ("iss" | "aud" | "sub" | "exp" | "iat")[];
	extra?: Record<string, unknown>;
}

/** A bearer token as an identity provider would issue it; every option bends one thing. */
export async function token(options: TokenOptions = {}): Promise<string> {
	const now = Math.floor(Date.now() / 1000);
	const keyName = options.key ?? (options.iss === OTHER_ISSUER ? "other" : "issuer");
	const jwk = testKey(keyName);
	const omit = new Set(options.omit ?? []);
	const claims: Record<string, unknown> = {
		iss: options.iss ?? TEST_ISSUER,
		aud: options.aud ?? "contact-vault",
		sub: options.sub ?? "courier-svc",
		iat: now + (options.issuedAt ?? 0),
		exp: now + (options.expiresIn ?? 300),
		...(options.scope !== undefined ? { scope: options.scope } : {}),
		...(options.role !== undefined ? { role: options.role } : {}),
		...(options.depot !== undefined ? { depot: options.depot } : {}),
		...(options.notBefore !== undefined ? { nbf: now + options.notBefore } : {}),
		...options.extra,
	};
	for (const claim of omit) delete claims[claim];
	const key = await importJWK(jwk, jwk.alg);
	return new SignJWT(claims).setProtectedHeader({ alg: jwk.alg, kid: options.kid ?? jwk.kid, typ: "JWT" }).sign(key);
}

export const serviceToken = (scope = "records:write records:read records:delete", sub = "courier-svc") => token({ sub, scope });

export const employeeToken = (role: "courier" | "clerk" | "supervisor", sub: string, depot: string, scope = "reveal") => token({ sub, role, depot, scope });

export function base64url(value: string | Uint8Array): string {
	const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
	return btoa(String.fromCharCode(...bytes))
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array {
	const binary = atob(
		text
			.replace(/-/g, "+")
			.replace(/_/g, "/")
			.padEnd(Math.ceil(text.length / 4) * 4, "="),
	);
	return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}
