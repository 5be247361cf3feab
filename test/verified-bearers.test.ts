import { createLocalJWKSet, type JWTVerifyGetKey } from "jose";
import { describe, expect, it } from "vitest";
import { TokenRejectedError } from "../src/auth/errors";
import type { TrustedIssuer } from "../src/auth/trusted-issuers";
import { REVERIFY_AFTER_MS } from "../src/auth/verified-bearers";
import { verifyBearer } from "../src/auth/verify-bearer";
import { call } from "./support/api";
import { base64url, fromBase64url, TEST_ISSUER, testKey, token } from "./support/tokens";

/** The test issuer's key set, with a switch that withdraws its key and a count of the signature checks that looked a key up. */
function issuerWithWithdrawableKey() {
	const { d: _d, ...publicKey } = testKey("issuer");
	const keySet = createLocalJWKSet({ keys: [publicKey] });
	const state = { withdrawn: false, lookups: 0 };
	const keys: JWTVerifyGetKey = (header, jws) => {
		state.lookups++;
		if (state.withdrawn) return createLocalJWKSet({ keys: [] })(header, jws);
		return keySet(header, jws);
	};
	const issuers = new Map<string, TrustedIssuer>([[TEST_ISSUER, { iss: TEST_ISSUER, keys, algorithms: [publicKey.alg as string] }]]);
	return { issuers, state };
}

describe("a bearer token verified once is recalled, within bounds", () => {
	it("checks the signature once per minute, and a key the issuer withdrew stops being honoured within that minute", async () => {
		const { issuers, state } = issuerWithWithdrawableKey();
		const bearer = await token({ scope: "reveal", expiresIn: 3600 });
		const start = Date.now();
		const first = await verifyBearer(bearer, issuers, new Date(start));
		expect(first.subject).toBe("courier-svc");
		expect(state.lookups).toBe(1);
		await verifyBearer(bearer, issuers, new Date(start + REVERIFY_AFTER_MS - 1_000));
		expect(state.lookups).toBe(1);

		state.withdrawn = true;
		// Recalled until the minute is over, then checked again: the key is gone, so the token is refused.
		await verifyBearer(bearer, issuers, new Date(start + REVERIFY_AFTER_MS - 1));
		await expect(verifyBearer(bearer, issuers, new Date(start + REVERIFY_AFTER_MS))).rejects.toMatchObject({ reason: "no_matching_key" });
		expect(state.lookups).toBe(2);
		// A refusal is not remembered: the next use is checked again and refused again.
		await expect(verifyBearer(bearer, issuers, new Date(start + REVERIFY_AFTER_MS + 1))).rejects.toBeInstanceOf(TokenRejectedError);
		expect(state.lookups).toBe(3);
	});

	it("is not recalled past the token's own expiry", async () => {
		const { issuers } = issuerWithWithdrawableKey();
		const bearer = await token({ scope: "reveal", expiresIn: 20 });
		const now = Date.now();
		await verifyBearer(bearer, issuers, new Date(now));
		await expect(verifyBearer(bearer, issuers, new Date(now + 21_000))).rejects.toMatchObject({ reason: "expired" });
	});

	it("is not recalled past the maximum token age counted from iat", async () => {
		const { issuers } = issuerWithWithdrawableKey();
		// Issued 24 hours less 30 seconds ago, valid for an hour more by its exp: 30 seconds of age left.
		const bearer = await token({ scope: "reveal", issuedAt: -(24 * 3600 - 30), expiresIn: 3600 });
		const now = Date.now();
		await verifyBearer(bearer, issuers, new Date(now));
		await expect(verifyBearer(bearer, issuers, new Date(now + 45_000))).rejects.toBeInstanceOf(TokenRejectedError);
	});

	it("never recalls a token whose claims were changed under a copied signature, even right after the original passed", async () => {
		const bearer = await token({ sub: "courier-svc", scope: "records:read" });
		expect((await call("GET", "/v1/principal", { token: bearer })).status).toBe(200);
		const [header, payload, signature] = bearer.split(".") as [string, string, string];
		const claims = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as Record<string, unknown>;
		const widened = `${header}.${base64url(JSON.stringify({ ...claims, scope: "records:read ops" }))}.${signature}`;
		const answer = await call("GET", "/v1/principal", { token: widened });
		expect(answer.status).toBe(401);
		// And the original still works: the forged one did not replace it.
		expect((await call("GET", "/v1/principal", { token: bearer })).status).toBe(200);
	});
});
