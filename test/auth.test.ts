import { env } from "cloudflare:workers";
import { importJWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { call, json, recordBody } from "./support/api";
import { countRecords } from "./support/db";
import { base64url, fromBase64url, OTHER_ISSUER, TEST_ISSUER, testKey, token } from "./support/tokens";

const WRITE = "records:write records:read";

/** A JWS assembled by hand, for headers and algorithms no honest library would produce. */
function unsignedJws(header: Record<string, unknown>, claims: Record<string, unknown>, signature = ""): string {
	return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}.${signature}`;
}

function goodClaims(): Record<string, unknown> {
	const now = Math.floor(Date.now() / 1000);
	return { iss: TEST_ISSUER, aud: "contact-vault", sub: "attacker", scope: WRITE, iat: now, exp: now + 300 };
}

async function hs256(secret: Uint8Array, header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
	const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
	const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(signingInput)));
	return `${signingInput}.${base64url(mac)}`;
}

function publicJwk(name: "issuer" | "issuerEc") {
	const { d: _d, ...pub } = testKey(name);
	return pub;
}

const refused: [string, () => Promise<string | undefined> | string | undefined][] = [
	["expired by one second", () => token({ scope: WRITE, expiresIn: -1 })],
	["wrong aud", () => token({ scope: WRITE, aud: "some-other-api" })],
	["aud missing", () => token({ scope: WRITE, omit: ["aud"] })],
	["iss missing", () => token({ scope: WRITE, omit: ["iss"] })],
	["sub missing", () => token({ scope: WRITE, omit: ["sub"] })],
	["exp missing", () => token({ scope: WRITE, omit: ["exp"] })],
	["iat missing", () => token({ scope: WRITE, omit: ["iat"] })],
	["unknown iss", () => token({ scope: WRITE, iss: "https://evil.example" })],
	["iss of another trusted issuer, signed with this issuer's key", () => token({ scope: WRITE, iss: OTHER_ISSUER, key: "issuer" })],
	["not yet valid (nbf a minute ahead)", () => token({ scope: WRITE, notBefore: 60 })],
	["issued a minute in the future", () => token({ scope: WRITE, issuedAt: 60, expiresIn: 600 })],
	["older than the maximum token age", () => token({ scope: WRITE, issuedAt: -25 * 3600, expiresIn: 600 })],
	["signed by an unlisted key that reuses a trusted kid", () => token({ scope: WRITE, key: "rogue" })],
	["signed by an unlisted RSA key", () => token({ scope: WRITE, key: "rogueRsa" })],
	["kid injection", () => token({ scope: WRITE, key: "rogue", kid: "' OR 1=1 --/../../jwks" })],
	["alg none", () => unsignedJws({ alg: "none", typ: "JWT" }, goodClaims())],
	["alg None", () => unsignedJws({ alg: "None" }, goodClaims())],
	["alg NONE with a signature", () => unsignedJws({ alg: "NONE" }, goodClaims(), "c2ln")],
	[
		"HS256 keyed with the issuer's raw public key",
		() => hs256(fromBase64url(publicJwk("issuer").x as string), { alg: "HS256", kid: "issuer-ed-1" }, goodClaims()),
	],
	[
		"HS256 keyed with the issuer's public JWK as JSON",
		() => hs256(new TextEncoder().encode(JSON.stringify(publicJwk("issuerEc"))), { alg: "HS256", kid: "issuer-ec-1" }, goodClaims()),
	],
	[
		"embedded jwk header carrying the attacker's key",
		async () => {
			const rogue = testKey("rogue");
			const { d: _d, ...roguepublic } = rogue;
			return new SignJWT(goodClaims()).setProtectedHeader({ alg: "EdDSA", jwk: roguepublic }).sign(await importJWK(rogue, "EdDSA"));
		},
	],
	[
		"jku header pointing at the attacker's key set",
		async () => {
			const rogue = testKey("rogue");
			return new SignJWT(goodClaims())
				.setProtectedHeader({ alg: "EdDSA", jku: "https://evil.example/jwks.json", kid: "x" })
				.sign(await importJWK(rogue, "EdDSA"));
		},
	],
	[
		"payload edited after signing",
		async () => {
			const [header, , signature] = (await token({ scope: "records:read" })).split(".");
			return `${header}.${base64url(JSON.stringify(goodClaims()))}.${signature}`;
		},
	],
	["not a JWT at all", () => "not-a-jwt"],
	["role outside the enum", () => token({ scope: WRITE, role: "admin", depot: "SZ-NS-01" })],
	["employee without a depot", () => token({ scope: WRITE, role: "clerk" })],
	["a depot without a role (half an employee)", () => token({ scope: WRITE, depot: "SZ-NS-01" })],
];

describe("bearer authentication", () => {
	it("accepts valid tokens from each trusted issuer (positive control)", async () => {
		for (const bearer of [await token({ scope: WRITE }), await token({ scope: WRITE, key: "issuerEc" }), await token({ scope: WRITE, iss: OTHER_ISSUER })]) {
			const response = await call("POST", "/v1/records", { token: bearer, body: recordBody() });
			expect(response.status).toBe(201);
		}
	});

	it("tolerates a few seconds of issuer clock skew on nbf and iat", async () => {
		const response = await call("POST", "/v1/records", { token: await token({ scope: WRITE, notBefore: 3, issuedAt: 3 }), body: recordBody() });
		expect(response.status).toBe(201);
	});

	it("refuses a missing token with a bare challenge", async () => {
		const response = await call("POST", "/v1/records", { body: recordBody() });
		expect(response.status).toBe(401);
		expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="contact-vault"');
	});

	it("refuses a non-Bearer authorization header", async () => {
		const response = await call("POST", "/v1/records", { headers: { Authorization: "Basic dXNlcjpwYXNz" }, body: recordBody() });
		expect(response.status).toBe(401);
	});

	const bodies = new Set<string>();
	for (const [name, make] of refused) {
		it(`refuses: ${name}; the handler does not run`, async () => {
			const before = await countRecords();
			const response = await call("POST", "/v1/records", { token: await make(), body: recordBody() });
			expect(response.status).toBe(401);
			expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="contact-vault", error="invalid_token"');
			bodies.add(await response.text());
			expect(await countRecords()).toBe(before);
		});
	}

	it("every refusal reads the same: the caller never learns which check failed", () => {
		expect(bodies.size).toBe(1);
		expect(JSON.parse([...bodies][0] as string)).toEqual({
			type: "/problems/unauthorized",
			title: "Unauthorized",
			status: 401,
			detail: "A valid bearer token is required: send Authorization: Bearer with a current token from a trusted issuer (get a new one if it expired).",
		});
	});

	it("a valid token without the route's scope is 403 insufficient_scope, and nothing is written", async () => {
		const before = await countRecords();
		const readOnly = await token({ scope: "records:read" });
		const response = await call("POST", "/v1/records", { token: readOnly, body: recordBody() });
		expect(response.status).toBe(403);
		expect(response.headers.get("WWW-Authenticate")).toContain('error="insufficient_scope", scope="records:write"');
		expect((await json(response)).type).toBe("/problems/forbidden");
		expect(await countRecords()).toBe(before);
		const noScope = await call("POST", "/v1/records/lookup", { token: await token({}), body: { phone: "13800001111" } });
		expect(noScope.status).toBe(403);
		const deleteNeedsItsOwnScope = await call("DELETE", "/v1/records/rec_00000000000000000000000000", { token: await token({ scope: WRITE }) });
		expect(deleteNeedsItsOwnScope.status).toBe(403);
	});

	it("runs against the test issuers, not a developer's .dev.vars", () => {
		const configured = JSON.parse(env.TRUSTED_ISSUERS as string) as { iss: string }[];
		expect(configured.map((i) => i.iss)).toEqual([TEST_ISSUER, OTHER_ISSUER]);
	});
});
