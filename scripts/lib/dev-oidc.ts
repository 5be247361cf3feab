/**
 * The development OpenID provider (`oidc-provider`, OpenID Connect Core 1.0): the demo depots'
 * staff and an ops person sign in to the terminal and the console with the authorization code
 * flow and PKCE (RFC 7636), as they would at the company's identity provider. It runs on Node in
 * scripts, tests and e2e only; the worker never bundles it.
 *
 * Its tokens are what the vault accepts from any issuer: a JWT access token (RFC 9068) with
 * `aud` contact-vault, `sub`, `scope` (`reveal`, or `ops`), `role`, `depot`, `phone_number`,
 * `iat`, `exp`, signed EdDSA, and an ID token for the page (aud its client id). Sign-in is
 * password-less: type the employee id (the login page lists some). Nothing is persisted; a
 * restart forgets every session.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider, { type KoaContextWithOIDC } from "oidc-provider";
import { type DemoPerson, demoPeople } from "./demo-data.ts";
import { memoryStore } from "./dev-oidc-store.ts";

/** The public client the pages are (RFC 6749 §2.1): no secret, PKCE required. */
export const DEV_OIDC_CLIENT_ID = "contact-vault-pages";
/** The resource indicator (RFC 8707) of the vault's API; its tokens' `aud` is contact-vault. */
const RESOURCE = "urn:contact-vault";
const AUDIENCE = "contact-vault";
const RESOURCE_SCOPES = ["reveal", "ops"];

export interface DevOidcOptions {
	/** `iss` of its tokens: by default the URL it listens on. */
	issuer?: string;
	/** Private signing JWK (Ed25519 or P-256) with `kid`; a fresh Ed25519 key by default. */
	signingKey?: JWK & { kid: string };
	/** Where the pages live: each gets `/terminal` and `/ops` as redirect URIs. */
	pageOrigins: string[];
	port?: number;
	/** Access-token lifetime; the pages refresh before it ends. */
	accessTokenSeconds?: number;
	people?: DemoPerson[];
}

export interface DevOidc {
	/** Where it listens, `http://127.0.0.1:<port>`. */
	url: string;
	issuer: string;
	/** The TRUSTED_ISSUERS `sign_in` member that points pages here. */
	signIn: { client_id: string; authorization_endpoint: string; token_endpoint: string };
	/** Its public keys, as TRUSTED_ISSUERS' inline `jwks` takes them. */
	jwks: { keys: JWK[] };
	close: () => Promise<void>;
}

function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
	let body = "";
	for await (const chunk of req) {
		body += chunk;
		if (body.length > 4096) break;
	}
	return new URLSearchParams(body);
}

function loginPage(uid: string, wanted: string, error: string, typed: string): string {
	const examples = ["courier-ur-ts-01-1", "clerk-ur-ts-01-1", "supervisor-ur-ts-01-1", "ops-alice"];
	return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · development identity provider</title></head>
<body>
<h1>Development identity provider</h1>
<p>Sign in to <strong>${escapeHtml(wanted)}</strong>. There is no password here: this provider exists for local development only.</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="login">Employee id</label>
<input id="login" name="login" required autofocus spellcheck="false" value="${escapeHtml(typed)}" aria-describedby="login-hint login-error">
<p id="login-hint">Demo people: ${examples.map(escapeHtml).join(", ")} (couriers <code>courier-&lt;depot&gt;-1</code> to <code>-5</code>, a clerk and a supervisor per demo depot).</p>
<p id="login-error" role="alert">${escapeHtml(error)}</p>
<button type="submit">Sign in</button>
</form>
</body></html>`;
}

function send(res: ServerResponse, status: number, html: string): void {
	res.writeHead(status, {
		"Content-Type": "text/html; charset=utf-8",
		"Cache-Control": "no-store",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
		"Referrer-Policy": "no-referrer",
	});
	res.end(html);
}

export async function startDevOidc(options: DevOidcOptions): Promise<DevOidc> {
	const people = new Map((options.people ?? demoPeople()).map((person) => [person.sub, person]));
	let signingKey = options.signingKey;
	if (!signingKey) {
		const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
		signingKey = { ...(await exportJWK(privateKey)), kid: `dev-oidc-${Date.now()}`, alg: "EdDSA" };
	}
	const alg = signingKey.kty === "EC" ? "ES256" : "EdDSA";
	const { d: _private, ...publicKey } = signingKey;
	const accessTokenSeconds = options.accessTokenSeconds ?? 600;

	let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => send(res, 503, "starting");
	const server = createServer((req, res) => handler(req, res));
	await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
	// It serves whoever started it; it must not keep a finished test run alive.
	server.unref();
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const issuer = options.issuer ?? url;

	const redirectUris = options.pageOrigins.flatMap((origin) => [`${origin}/terminal`, `${origin}/ops`]);
	const provider = new Provider(issuer, {
		adapter: memoryStore(),
		clients: [
			{
				client_id: DEV_OIDC_CLIENT_ID,
				token_endpoint_auth_method: "none",
				grant_types: ["authorization_code", "refresh_token"],
				response_types: ["code"],
				redirect_uris: redirectUris,
				id_token_signed_response_alg: alg,
			},
		],
		jwks: { keys: [{ ...signingKey, alg, use: "sig" }] as never },
		cookies: { keys: [randomBytes(32).toString("base64url")] },
		pkce: { required: () => true },
		// The token endpoint answers the pages' cross-origin fetch (the code exchange, refreshes) from their own origins only.
		clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false,
		claims: { openid: ["sub"] },
		features: {
			devInteractions: { enabled: false },
			resourceIndicators: {
				enabled: true,
				defaultResource: () => RESOURCE,
				useGrantedResource: () => true,
				getResourceServerInfo: (_ctx, indicator) => {
					if (indicator !== RESOURCE) throw new Error("unknown resource");
					return {
						scope: RESOURCE_SCOPES.join(" "),
						audience: AUDIENCE,
						accessTokenTTL: accessTokenSeconds,
						accessTokenFormat: "jwt",
						jwt: { sign: { alg } },
					};
				},
			},
		},
		findAccount: (_ctx, sub) => {
			const person = people.get(sub);
			return person ? { accountId: sub, claims: () => ({ sub }) } : undefined;
		},
		// The claims the vault reads from an access token (README "Authentication").
		extraTokenClaims: (_ctx: KoaContextWithOIDC, token) => {
			if (token.kind !== "AccessToken" || !token.accountId) return undefined;
			const person = people.get(token.accountId);
			if (!person) return undefined;
			const { role, depot, phone_number } = person;
			return { ...(role ? { role } : {}), ...(depot ? { depot } : {}), ...(phone_number ? { phone_number } : {}) };
		},
		// Refresh tokens for the public client (rotated on each use, OAuth 2.0 Security BCP §4.14.2):
		// the pages renew their access token without sending the person back through sign-in.
		issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
		ttl: {
			AccessToken: accessTokenSeconds,
			AuthorizationCode: 60,
			IdToken: 600,
			Interaction: 600,
			Session: 12 * 3600,
			Grant: 12 * 3600,
			RefreshToken: 8 * 3600,
		},
		interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
		renderError: (ctx, out) => {
			ctx.type = "html";
			ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><h1>Sign-in error</h1><p>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ""))}</p></body></html>`;
		},
	});
	provider.on("server_error", (_ctx, error) => console.error(`dev OpenID provider: ${error.message}`));

	const callback = provider.callback();
	handler = (req, res) => {
		if (req.url?.startsWith("/interaction/")) {
			interaction(req, res).catch((error) => {
				console.error(`dev OpenID provider: ${(error as Error).message}`);
				if (!res.headersSent) send(res, 400, "<!doctype html><p>Sign-in failed: start again from the page.</p>");
			});
		} else callback(req, res);
	};

	/** Login (any prompt asks who you are) and consent (granted at once, for what the person may have). */
	async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const details = await provider.interactionDetails(req, res);
		const wanted = String(details.params.scope ?? "")
			.split(" ")
			.filter((scope) => RESOURCE_SCOPES.includes(scope));
		const page = wanted.includes("ops") ? "the ops console" : "the depot terminal";
		let accountId = details.session?.accountId;
		if (details.prompt.name === "login") {
			if (req.method !== "POST") return send(res, 200, loginPage(details.uid, page, "", ""));
			const typed = ((await readForm(req)).get("login") ?? "").trim();
			if (!people.has(typed)) return send(res, 200, loginPage(details.uid, page, typed ? "No such person here." : "Type an employee id.", typed));
			accountId = typed;
		}
		const person = accountId ? people.get(accountId) : undefined;
		if (!person) return send(res, 400, loginPage(details.uid, page, "Sign in first.", ""));
		const refused = wanted.filter((scope) => scope !== person.scope);
		if (refused.length > 0) {
			await provider.interactionFinished(
				req,
				res,
				{ error: "access_denied", error_description: `${person.sub} may not use ${page}` },
				{ mergeWithLastSubmission: false },
			);
			return;
		}
		const grant = new provider.Grant({ accountId: person.sub, clientId: String(details.params.client_id) });
		grant.addOIDCScope("openid");
		grant.addResourceScope(RESOURCE, wanted.join(" "));
		const grantId = await grant.save();
		await provider.interactionFinished(req, res, { login: { accountId: person.sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
	}

	return {
		url,
		issuer,
		signIn: { client_id: DEV_OIDC_CLIENT_ID, authorization_endpoint: `${url}/auth`, token_endpoint: `${url}/token` },
		jwks: { keys: [{ ...publicKey, alg, use: "sig" }] },
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
