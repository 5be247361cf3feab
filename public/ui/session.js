// @ts-check
/**
 * The signed-in session of one page. People sign in with OpenID Connect at an identity provider the
 * vault trusts (Core 1.0 §3.1: authorization code flow, public client, PKCE S256 per RFC 7636,
 * `state` and `nonce` checked); a developer may paste a token instead when the vault allows it.
 * The access token and the refresh token live in this module's memory and nowhere else (no
 * storage, no cookie, no URL), so closing or reloading the page forgets them.
 */
import { byId } from "./dom.js";
import { duration, t } from "./i18n.js";

/** @type {string | null} */
let bearer = null;
/** @type {string | null} The provider's refresh token (rotated on each use), in memory only. */
let refreshToken = null;
/** @type {SignInOption | null} The issuer this session came from, for renewing it. */
let signedInWith = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let renewTimer;
/** True while coming back from the identity provider: the Access probe must not race it. */
let returning = false;
/** The page's scope to ask for: `reveal` (terminal) or `ops` (console). */
const pageScope = document.body.dataset.scope ?? "";
/**
 * The one thing a sign-in keeps outside memory, under this key in sessionStorage, for the few
 * seconds of a round trip to the identity provider: the PKCE verifier and the `state`. Leaving
 * for the provider unloads this page and its memory, and the page the provider sends back must
 * prove it started this sign-in (`state`, RFC 6749 §10.12) and hold the verifier the code is
 * bound to (RFC 7636 §4.5). sessionStorage is per tab and per origin and ends with the tab; the
 * entry is removed the moment the page comes back, before anything else, and neither value is
 * a credential without the other and a code. A popup that posts the code back would keep even
 * these in memory, but the pages' Cross-Origin-Opener-Policy severs a popup that went to another
 * origin from its opener, and that isolation is worth more.
 */
const RETURN_KEY = "contact-vault.sign-in";
/** Renew this long before the access token expires. */
const RENEW_AHEAD_MS = 60_000;
/** @type {() => void} */
let onSignOut = () => {};
/** True while a pasted token is being checked. */
let verifying = false;
/**
 * Signed in through Cloudflare Access: no token here at all; Access's cookie goes along with each
 * call and Access hands the vault its own token for it.
 */
let viaAccess = false;

/**
 * @typedef {{ type?: string, title?: string, status?: number, detail?: string, errors?: { pointer: string, message: string }[], [key: string]: unknown }} Problem
 * @typedef {{ ok: boolean, status: number, headers: Headers, body: any, problem: Problem | null }} ApiAnswer
 * @typedef {{ iss: string, clientId: string, authorizationEndpoint: string, tokenEndpoint: string }} SignInOption
 * @typedef {{ check: (claims: Record<string, unknown>) => string | null, verify: () => Promise<string | null>, ready: (claims: Record<string, unknown>) => void, cleared: () => void }} SignInHandlers
 */

/**
 * Calls the vault's API with the session's token. Never throws for an HTTP status: the caller
 * reads `problem` (RFC 9457) to tell the user what happened. A 401 ends the session.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {Record<string, string>} [extraHeaders]
 * @returns {Promise<ApiAnswer>}
 */
export async function api(method, path, body, extraHeaders = {}) {
	if (bearer === null && !viaAccess)
		return { ok: false, status: 401, headers: new Headers(), body: null, problem: { title: t("session.signedOut"), status: 401 } };
	/** @type {Record<string, string>} */
	const headers = { ...extraHeaders };
	if (bearer !== null) headers.Authorization = `Bearer ${bearer}`;
	if (body !== undefined) headers["Content-Type"] = "application/json";
	let response;
	try {
		response = await fetch(path, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			cache: "no-store",
			// Behind Access its cookie must go along (same-origin) or the edge stops the call; with a
			// pasted token, that token is still what the vault reads.
			credentials: "same-origin",
		});
	} catch {
		return {
			ok: false,
			status: 0,
			headers: new Headers(),
			body: null,
			problem: { title: t("session.noAnswer") },
		};
	}
	const text = await response.text();
	/** @type {any} */
	let parsed = null;
	try {
		parsed = text ? JSON.parse(text) : null;
	} catch {
		parsed = null;
	}
	// While signing in, the sign-in says why the token was refused; later, a 401 ends the session.
	if (response.status === 401 && !verifying) signOut(t("session.invalid"));
	return {
		ok: response.ok,
		status: response.status,
		headers: response.headers,
		body: parsed,
		problem: response.ok ? null : (parsed ?? { status: response.status }),
	};
}

/**
 * The token's claims, read without verifying it: only to greet the user and to catch a token of the
 * wrong kind early. The vault verifies it on every call.
 * @param {string} token
 * @returns {Record<string, unknown> | null}
 */
export function claimsOf(token) {
	const parts = token.split(".");
	if (parts.length !== 3) return null;
	try {
		const binary = atob((parts[1] ?? "").replace(/-/g, "+").replace(/_/g, "/"));
		const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0))));
		return claims && typeof claims === "object" ? claims : null;
	} catch {
		return null;
	}
}

/** @param {string} [why] shown on the sign-in form */
export function signOut(why) {
	const wasSignedIn = bearer !== null || viaAccess;
	bearer = null;
	refreshToken = null;
	signedInWith = null;
	clearTimeout(renewTimer);
	viaAccess = false;
	byId("session", HTMLElement).hidden = true;
	byId("session-who", HTMLElement).textContent = "";
	byId("sign-in", HTMLElement).hidden = false;
	byId("sign-in-error", HTMLElement).textContent = why ?? "";
	showLanguages(true);
	if (wasSignedIn) onSignOut();
	firstSignInControl()?.focus();
}

/**
 * The language links lead to a reload, which forgets the session: they show only while signed out.
 * @param {boolean} shown
 */
function showLanguages(shown) {
	const languages = document.getElementById("languages");
	if (languages) languages.hidden = !shown;
}

/** The first sign-in button, or the token field when there is no button. */
function firstSignInControl() {
	return /** @type {HTMLElement | null} */ (document.querySelector("#sign-in .sign-in-with, #token"));
}

/** @type {SignInHandlers | null} */
let handlers = null;

/**
 * Opens the session for an access token the vault accepts: `check` says why its claims will not do
 * (or null), `verify` asks the vault, `ready` opens the page. Returns why not, or null.
 * @param {string} token
 * @param {string} who
 * @returns {Promise<string | null>}
 */
async function openSession(token, who) {
	if (!handlers) return t("session.notReady");
	const claims = claimsOf(token);
	const refusal = claims === null ? t("session.notAToken") : handlers.check(claims);
	if (refusal !== null || claims === null) return refusal;
	bearer = token;
	let problem;
	verifying = true;
	try {
		problem = await handlers.verify();
	} finally {
		verifying = false;
	}
	// Signed out meanwhile (idle, leaving the page): do not open a session without its token.
	if (bearer !== token) return t("session.signedOut");
	if (problem !== null) {
		bearer = null;
		return problem;
	}
	byId("sign-in-error", HTMLElement).textContent = "";
	byId("sign-in", HTMLElement).hidden = true;
	byId("session", HTMLElement).hidden = false;
	byId("session-who", HTMLElement).textContent = t("session.signedInAs", { who: who || String(claims.sub ?? "?") });
	showLanguages(false);
	handlers.ready(claims);
	return null;
}

/** @param {Uint8Array} bytes */
function base64url(bytes) {
	return btoa(String.fromCharCode(...bytes))
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");
}

/** @param {number} length */
function randomString(length) {
	return base64url(crypto.getRandomValues(new Uint8Array(length)));
}

/** @param {string} text */
async function sha256(text) {
	return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

/**
 * The nonce (OpenID Connect Core §3.1.2.1) is derived, not stored: a hash of the state and the
 * verifier, which only this sign-in knows together, and unlike the code challenge (a hash of the
 * verifier alone). The ID token must carry it back (§3.1.3.7, item 11).
 * @param {string} state
 * @param {string} verifier
 */
function nonceFor(state, verifier) {
	return sha256(`nonce.${state}.${verifier}`);
}

/** @param {HTMLElement} button */
function optionOf(button) {
	const { iss, clientId, authorizationEndpoint, tokenEndpoint } = button.dataset;
	if (!iss || !clientId || !authorizationEndpoint || !tokenEndpoint) return null;
	return { iss, clientId, authorizationEndpoint, tokenEndpoint };
}

function redirectUri() {
	return `${location.origin}${location.pathname}`;
}

/**
 * Sends the browser to the identity provider. `prompt=login` for a person pressing the button, so
 * whoever signs in at a shared terminal proves who they are even if the provider still has the
 * last person's session; `prompt=none` to renew silently (§3.1.2.1).
 * @param {SignInOption} option
 * @param {"login" | "none"} prompt
 */
async function goToProvider(option, prompt) {
	const state = randomString(16);
	const verifier = randomString(32);
	sessionStorage.setItem(RETURN_KEY, JSON.stringify({ state, verifier, iss: option.iss, prompt }));
	const url = new URL(option.authorizationEndpoint);
	url.search = new URLSearchParams({
		response_type: "code",
		client_id: option.clientId,
		redirect_uri: redirectUri(),
		scope: `openid ${pageScope}`,
		state,
		nonce: await nonceFor(state, verifier),
		code_challenge: await sha256(verifier),
		code_challenge_method: "S256",
		prompt,
	}).toString();
	location.assign(url.href);
}

/** @param {string} iss */
function optionFor(iss) {
	for (const button of document.querySelectorAll("#sign-in .sign-in-with")) {
		const option = optionOf(/** @type {HTMLElement} */ (button));
		if (option?.iss === iss) return option;
	}
	return null;
}

/**
 * A token request to the provider's token endpoint (RFC 6749 §4.1.3, §6): a cross-origin POST the
 * pages' connect-src names; no cookie goes along.
 * @param {SignInOption} option
 * @param {Record<string, string>} params
 * @returns {Promise<Record<string, unknown> | null>}
 */
async function tokenRequest(option, params) {
	try {
		const response = await fetch(option.tokenEndpoint, {
			method: "POST",
			headers: { "Content-Type": "application/x-www-form-urlencoded" },
			body: new URLSearchParams({ client_id: option.clientId, ...params }),
			credentials: "omit",
			cache: "no-store",
			referrerPolicy: "no-referrer",
		});
		if (!response.ok) return null;
		const body = await response.json();
		return body && typeof body === "object" ? body : null;
	} catch {
		return null;
	}
}

/**
 * Keeps tokens from a token response in memory and plans the next renewal.
 * @param {SignInOption} option
 * @param {Record<string, unknown>} answer
 */
function keepTokens(option, answer) {
	signedInWith = option;
	refreshToken = typeof answer.refresh_token === "string" ? answer.refresh_token : null;
	const seconds = typeof answer.expires_in === "number" ? answer.expires_in : 300;
	clearTimeout(renewTimer);
	renewTimer = setTimeout(renew, Math.max(10_000, seconds * 1000 - RENEW_AHEAD_MS));
}

/**
 * Before the access token expires: a new one with the refresh token, for the same person; without
 * one (or refused), the provider is asked again with `prompt=none`, which answers at once from its
 * session or says login_required, and then the sign-in form shows.
 */
async function renew() {
	const option = signedInWith;
	const current = bearer;
	if (option === null || current === null) return;
	const answer = refreshToken === null ? null : await tokenRequest(option, { grant_type: "refresh_token", refresh_token: refreshToken });
	if (bearer !== current) return;
	const token = typeof answer?.access_token === "string" ? answer.access_token : null;
	if (answer && token && claimsOf(token)?.sub === claimsOf(current)?.sub) {
		bearer = token;
		keepTokens(option, answer);
		return;
	}
	await goToProvider(option, "none");
}

/**
 * Back from the identity provider with `?code=…&state=…` (or `?error=…`): the stored state and
 * verifier are taken and removed at once, the URL loses code and state, and the code is exchanged.
 * @returns {Promise<void>}
 */
async function completeSignIn() {
	const params = new URLSearchParams(location.search);
	if (!params.has("state") || !(params.has("code") || params.has("error"))) return;
	returning = true;
	const stored = sessionStorage.getItem(RETURN_KEY);
	sessionStorage.removeItem(RETURN_KEY);
	// The code and state leave the address bar and the history entry before anything else.
	history.replaceState(null, "", location.pathname);
	const error = byId("sign-in-error", HTMLElement);
	try {
		/** @type {{ state?: unknown, verifier?: unknown, iss?: unknown, prompt?: unknown }} */
		let started = {};
		try {
			started = stored ? JSON.parse(stored) : {};
		} catch {
			started = {};
		}
		const option = typeof started.iss === "string" ? optionFor(started.iss) : null;
		if (option === null || typeof started.verifier !== "string" || started.state !== params.get("state")) {
			error.textContent = t("session.notStartedHere");
			return;
		}
		// RFC 9207: a provider that names itself must be the one this sign-in went to.
		if (params.has("iss") && params.get("iss") !== option.iss) {
			error.textContent = t("session.otherProvider");
			return;
		}
		const failure = params.get("error");
		if (failure !== null) {
			error.textContent = failure === "access_denied" ? t("session.denied") : started.prompt === "none" ? t("session.ranOut") : t("session.incomplete");
			return;
		}
		error.textContent = t("session.signingIn");
		const answer = await tokenRequest(option, {
			grant_type: "authorization_code",
			code: params.get("code") ?? "",
			redirect_uri: redirectUri(),
			code_verifier: started.verifier,
		});
		const accessToken = typeof answer?.access_token === "string" ? answer.access_token : null;
		const idClaims = typeof answer?.id_token === "string" ? claimsOf(answer.id_token) : null;
		// The ID token came straight from the token endpoint (Core §3.1.3.7, item 6: TLS stands in for
		// its signature here); the vault verifies the access token's signature on every call.
		const audiences = Array.isArray(idClaims?.aud) ? idClaims.aud : [idClaims?.aud];
		const idTokenValid =
			idClaims !== null &&
			idClaims.iss === option.iss &&
			audiences.includes(option.clientId) &&
			typeof idClaims.exp === "number" &&
			idClaims.exp * 1000 > Date.now() &&
			idClaims.nonce === (await nonceFor(String(started.state), started.verifier));
		if (answer === null || accessToken === null || !idTokenValid || claimsOf(accessToken)?.sub !== idClaims?.sub) {
			error.textContent = t("session.didNotCheckOut");
			return;
		}
		const refused = await openSession(accessToken, String(idClaims?.sub ?? ""));
		if (refused !== null) {
			error.textContent = refused;
			return;
		}
		keepTokens(option, answer);
	} finally {
		returning = false;
	}
}

/**
 * Wires the sign-in: the identity providers' buttons, the developer's token form when the page has
 * it, coming back from a provider, and signing out.
 * @param {SignInHandlers} pageHandlers
 */
export function wireSignIn(pageHandlers) {
	handlers = pageHandlers;
	onSignOut = pageHandlers.cleared;
	const error = byId("sign-in-error", HTMLElement);
	for (const button of document.querySelectorAll("#sign-in .sign-in-with")) {
		button.addEventListener("click", () => {
			const option = optionOf(/** @type {HTMLElement} */ (button));
			if (option) void goToProvider(option, "login");
		});
	}
	const form = document.getElementById("sign-in-form");
	if (form instanceof HTMLFormElement) wirePaste(form, error);
	byId("sign-out", HTMLButtonElement).addEventListener("click", () => {
		const throughAccess = viaAccess;
		signOut(t("session.signedOut"));
		// Access's session outlives this page: end it too, or the next load signs straight back in.
		if (throughAccess) location.assign("/cdn-cgi/access/logout");
	});
	// Leaving the page forgets the token even if the browser keeps the page in its back-forward cache.
	window.addEventListener("pagehide", () => signOut());
	void completeSignIn();
}

/**
 * The developer's token form (PAGES_TOKEN_PASTE=1).
 * @param {HTMLFormElement} form
 * @param {HTMLElement} error
 */
function wirePaste(form, error) {
	const input = byId("token", HTMLTextAreaElement);
	// A pasted token is one line: Enter signs in, as in a single-line field.
	input.addEventListener("keydown", (event) => {
		if (event.key === "Enter" && !event.shiftKey) {
			event.preventDefault();
			form.requestSubmit();
		}
	});
	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		const token = input.value.trim().replace(/^Bearer\s+/i, "");
		// The field never keeps the token: it lives in memory from here on.
		input.value = "";
		// One sign-in at a time: a second token pasted meanwhile must not mix identities.
		const submit = /** @type {HTMLButtonElement} */ (form.querySelector("button[type=submit]"));
		submit.disabled = true;
		input.disabled = true;
		let refused;
		try {
			refused = await openSession(token, "");
		} finally {
			submit.disabled = false;
			input.disabled = false;
		}
		if (refused !== null) {
			error.textContent = refused;
			input.focus();
		}
	});
}

/**
 * Signs out after `seconds` without a key press, click or touch: a terminal left signed in at a
 * counter would let the next person reveal under someone else's name.
 * @param {number} seconds
 */
export function signOutWhenIdle(seconds) {
	let lastUse = Date.now();
	const used = () => {
		lastUse = Date.now();
	};
	for (const type of ["keydown", "pointerdown", "touchstart"]) document.addEventListener(type, used, { capture: true, passive: true });
	setInterval(() => {
		if (bearer !== null && Date.now() - lastUse >= seconds * 1000) {
			signOut(t("session.idle", { duration: duration(seconds) }));
		}
	}, 1000);
}

/**
 * Behind Cloudflare Access the person is already signed in: asks the vault who the page's requests
 * come from, without any token, and opens the session if that is someone `check` accepts.
 * Anywhere else the vault answers 401 and the token form stays.
 * @param {(principal: { subject: string, scopes: string[] }) => boolean} check
 * @param {() => void} ready
 */
export async function signInThroughAccess(check, ready) {
	// How this page signs in, once known: "access", or "token" (paste one).
	document.body.dataset.signIn = "pending";
	let principal = null;
	try {
		const response = await fetch("/v1/principal", { cache: "no-store", credentials: "same-origin" });
		if (response.ok) principal = await response.json();
	} catch {
		principal = null;
	}
	if (principal === null || bearer !== null || returning || !check(principal)) {
		document.body.dataset.signIn = "token";
		return;
	}
	document.body.dataset.signIn = "access";
	viaAccess = true;
	byId("sign-in", HTMLElement).hidden = true;
	byId("session", HTMLElement).hidden = false;
	byId("session-who", HTMLElement).textContent = t("session.signedInAccess", { who: String(principal.subject) });
	showLanguages(false);
	ready();
}
