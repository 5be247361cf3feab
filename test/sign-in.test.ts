import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PAGE_CSP, pageCsp } from "../src/ui/page-headers";
import { call, callWith, json } from "./support/api";

/** The development OpenID provider vitest.config.ts started, under its own issuer and key. */
const oidc = JSON.parse(env.TEST_OIDC) as {
	url: string;
	issuer: string;
	jwks: { keys: unknown[] };
	sign_in: { client_id: string; authorization_endpoint: string; token_endpoint: string };
};
const REDIRECT = "https://vault.test/terminal";

function issuersWith(signIn: Record<string, unknown>): string {
	const configured = JSON.parse(env.TRUSTED_ISSUERS as string) as unknown[];
	return JSON.stringify([...configured, { iss: oidc.issuer, jwks: oidc.jwks, alias: "dev-oidc", sign_in: signIn }]);
}
const WITH_SIGN_IN = issuersWith({ ...oidc.sign_in, label: "Dev IdP" });

function base64url(bytes: Uint8Array): string {
	return btoa(String.fromCharCode(...bytes))
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");
}

/**
 * The authorization code flow as the page runs it (OpenID Connect Core §3.1, PKCE S256), over real
 * HTTP to the provider: authorize, the provider's login page, back with a code. Answers the code
 * and the verifier it is bound to.
 */
async function signInAt(person: string, scope: string): Promise<{ code: string; verifier: string }> {
	const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
	const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
	const cookies = new Map<string, string>();
	const go = async (url: string, init: RequestInit = {}) => {
		const response = await fetch(new URL(url, oidc.url), {
			...init,
			redirect: "manual",
			headers: { ...(init.headers as Record<string, string>), cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; ") },
		});
		for (const cookie of response.headers.getSetCookie()) {
			const pair = cookie.split(";")[0] ?? "";
			cookies.set(pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
		}
		await response.arrayBuffer();
		return response;
	};
	const authorize = new URL(oidc.sign_in.authorization_endpoint);
	authorize.search = new URLSearchParams({
		response_type: "code",
		client_id: oidc.sign_in.client_id,
		redirect_uri: REDIRECT,
		scope: `openid ${scope}`,
		state: "state-1",
		nonce: "nonce-1",
		code_challenge: challenge,
		code_challenge_method: "S256",
		prompt: "login",
	}).toString();
	let response = await go(authorize.href);
	const interaction = new URL(response.headers.get("Location") ?? "", oidc.url).href;
	response = await go(`${interaction}/login`, {
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded" },
		body: new URLSearchParams({ login: person }).toString(),
	});
	response = await go(response.headers.get("Location") ?? "");
	const back = new URL(response.headers.get("Location") ?? "");
	expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
	expect(back.searchParams.get("state")).toBe("state-1");
	return { code: back.searchParams.get("code") ?? "", verifier };
}

function exchange(code: string, verifier: string): Promise<Response> {
	return fetch(oidc.sign_in.token_endpoint, {
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded" },
		body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: oidc.sign_in.client_id, code_verifier: verifier }),
	});
}

describe("the pages sign people in with OpenID Connect", () => {
	it.each([
		["/terminal", "reveal"],
		["/ops", "ops"],
	])("%s offers a button per issuer with sign_in, with public values only, and its CSP reaches that token endpoint and nothing more", async (path, scope) => {
		const response = await callWith({ TRUSTED_ISSUERS: WITH_SIGN_IN }, "GET", path);
		expect(response.status).toBe(200);
		const csp = response.headers.get("Content-Security-Policy") ?? "";
		expect(csp).toBe(pageCsp([oidc.sign_in.token_endpoint]));
		expect(csp).toContain(`connect-src 'self' ${oidc.sign_in.token_endpoint};`);
		expect(csp).toContain("form-action 'none'");
		expect(csp).toContain("script-src 'self';");
		const page = await response.text();
		expect(page).toContain(
			`<button type="button" class="sign-in-with" data-iss="${oidc.issuer}" data-client-id="${oidc.sign_in.client_id}" data-authorization-endpoint="${oidc.sign_in.authorization_endpoint}" data-token-endpoint="${oidc.sign_in.token_endpoint}">Sign in with Dev IdP</button>`,
		);
		expect(page).toContain(`data-scope="${scope}"`);
		// The developer's token form is off unless PAGES_TOKEN_PASTE says otherwise.
		expect(page).not.toContain('id="token"');
	});

	it("without an issuer that has sign_in, the pages say so, under the plain policy", async () => {
		const response = await call("GET", "/terminal");
		expect(response.headers.get("Content-Security-Policy")).toBe(PAGE_CSP);
		const page = await response.text();
		expect(page).toContain('id="sign-in-none"');
		expect(page).not.toContain("sign-in-with");
	});

	it("PAGES_TOKEN_PASTE=1 adds the token form; a value other than 0 or 1 fails closed", async () => {
		const paste = await (await callWith({ PAGES_TOKEN_PASTE: "1" }, "GET", "/terminal")).text();
		expect(paste).toContain('<textarea id="token"');
		expect(await (await callWith({ PAGES_TOKEN_PASTE: "0" }, "GET", "/ops")).text()).not.toContain('id="token"');
		const broken = await callWith({ PAGES_TOKEN_PASTE: "yes" }, "GET", "/terminal");
		expect(broken.status).toBe(503);
		expect(await json(broken)).toMatchObject({ type: "/problems/configuration-unavailable", variable: "PAGES_TOKEN_PASTE" });
	});

	it.each([
		["an http endpoint off loopback", { token_endpoint: "http://idp.example/token" }],
		["a token endpoint that would add a CSP source", { token_endpoint: "https://idp.example/token,https://evil.example" }],
		["a token endpoint that would end the directive", { token_endpoint: "https://idp.example/token;script-src" }],
		["a query on the authorization endpoint", { authorization_endpoint: "https://idp.example/auth?prompt=none" }],
		["credentials in an endpoint", { token_endpoint: "https://user:pass@idp.example/token" }],
		["a client id with a space", { client_id: "pages client" }],
		["an unknown member", { client_secret: "s3cret" }],
	])("refuses sign_in with %s: the pages and the API fail closed naming TRUSTED_ISSUERS", async (_, change) => {
		const broken = issuersWith({ ...oidc.sign_in, ...change });
		const response = await callWith({ TRUSTED_ISSUERS: broken }, "GET", "/terminal");
		expect(response.status).toBe(503);
		const body = await json(response);
		expect(body).toMatchObject({ type: "/problems/configuration-unavailable", variable: "TRUSTED_ISSUERS" });
		expect(JSON.stringify(body)).not.toContain("idp.example");
	});

	it("a courier and an ops person signed in at the development provider are people the vault accepts", async () => {
		const courier = await signInAt("courier-ur-ts-01-1", "reveal");
		const answer = await exchange(courier.code, courier.verifier);
		expect(answer.status).toBe(200);
		const tokens = await json<{ access_token: string; id_token: string; refresh_token: string }>(answer);
		expect(tokens.refresh_token).toEqual(expect.any(String));
		const quota = await callWith({ TRUSTED_ISSUERS: WITH_SIGN_IN }, "GET", "/v1/reveals/quota", { token: tokens.access_token });
		expect(quota.status).toBe(200);
		const who = await callWith({ TRUSTED_ISSUERS: WITH_SIGN_IN }, "GET", "/v1/principal", { token: tokens.access_token });
		expect(await json(who)).toMatchObject({ subject: "courier-ur-ts-01-1", kind: "employee", role: "courier", depot: "UR-TS-01", scopes: ["reveal"] });

		const ops = await signInAt("ops-alice", "ops");
		const opsTokens = await json<{ access_token: string }>(await exchange(ops.code, ops.verifier));
		expect((await callWith({ TRUSTED_ISSUERS: WITH_SIGN_IN }, "GET", "/v1/policies", { token: opsTokens.access_token })).status).toBe(200);
		// The courier's token is not an ops token, whoever issued it.
		expect((await callWith({ TRUSTED_ISSUERS: WITH_SIGN_IN }, "GET", "/v1/policies", { token: tokens.access_token })).status).toBe(403);
	});

	it("the provider binds the code to its verifier (RFC 7636 §4.6) and takes it once: another verifier gets no token, nor does a second exchange", async () => {
		const { code, verifier } = await signInAt("clerk-ur-ts-01-1", "reveal");
		const wrong = await exchange(code, base64url(crypto.getRandomValues(new Uint8Array(32))));
		expect(wrong.status).toBe(400);
		expect(await json(wrong)).toMatchObject({ error: "invalid_grant" });
		expect((await exchange(code, verifier)).status).toBe(200);
		const again = await exchange(code, verifier);
		expect(again.status).toBe(400);
		expect(await json(again)).toMatchObject({ error: "invalid_grant" });
	});
});
