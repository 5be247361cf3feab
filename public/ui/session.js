// @ts-check
/**
 * The signed-in session of one page: the bearer token lives in this module's memory and nowhere
 * else (no storage, no cookie, no URL), so closing or reloading the page forgets it.
 */
import { byId, duration } from "./dom.js";

/** @type {string | null} */
let bearer = null;
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
	if (bearer === null && !viaAccess) return { ok: false, status: 401, headers: new Headers(), body: null, problem: { title: "Signed out", status: 401 } };
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
			problem: { title: "The vault did not answer", detail: "Check the network and try again." },
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
	if (response.status === 401 && !verifying) signOut("Your sign-in is no longer valid: sign in again.");
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
	viaAccess = false;
	byId("session", HTMLElement).hidden = true;
	byId("session-who", HTMLElement).textContent = "";
	byId("sign-in", HTMLElement).hidden = false;
	byId("token-error", HTMLElement).textContent = why ?? "";
	if (wasSignedIn) onSignOut();
	byId("token", HTMLTextAreaElement).focus();
}

/**
 * Wires the sign-in form: `check` says why a token will not do (or null), `ready` opens the page.
 * @param {{ check: (claims: Record<string, unknown>) => string | null, verify: () => Promise<string | null>, ready: (claims: Record<string, unknown>) => void, cleared: () => void }} handlers
 */
export function wireSignIn({ check, verify, ready, cleared }) {
	onSignOut = cleared;
	const form = byId("sign-in-form", HTMLFormElement);
	const input = byId("token", HTMLTextAreaElement);
	const error = byId("token-error", HTMLElement);
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
		const claims = claimsOf(token);
		const refusal = claims === null ? "That is not a token: paste the whole JWT (three parts separated by dots)." : check(claims);
		if (refusal !== null || claims === null) {
			error.textContent = refusal;
			input.focus();
			return;
		}
		// One sign-in at a time: a second token pasted meanwhile must not mix identities.
		const submit = /** @type {HTMLButtonElement} */ (form.querySelector("button[type=submit]"));
		submit.disabled = true;
		input.disabled = true;
		bearer = token;
		let problem;
		verifying = true;
		try {
			problem = await verify();
		} finally {
			verifying = false;
			submit.disabled = false;
			input.disabled = false;
		}
		// Signed out meanwhile (idle, leaving the page): do not open a session without its token.
		if (bearer !== token) return;
		if (problem !== null) {
			bearer = null;
			error.textContent = problem;
			input.focus();
			return;
		}
		error.textContent = "";
		byId("sign-in", HTMLElement).hidden = true;
		byId("session", HTMLElement).hidden = false;
		byId("session-who", HTMLElement).textContent = `Signed in as ${String(claims.sub ?? "?")}`;
		ready(claims);
	});
	byId("sign-out", HTMLButtonElement).addEventListener("click", () => {
		const throughAccess = viaAccess;
		signOut("Signed out.");
		// Access's session outlives this page: end it too, or the next load signs straight back in.
		if (throughAccess) location.assign("/cdn-cgi/access/logout");
	});
	// Leaving the page forgets the token even if the browser keeps the page in its back-forward cache.
	window.addEventListener("pagehide", () => signOut());
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
			signOut(`Signed out after ${duration(seconds)} without use.`);
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
	if (principal === null || bearer !== null || !check(principal)) {
		document.body.dataset.signIn = "token";
		return;
	}
	document.body.dataset.signIn = "access";
	viaAccess = true;
	byId("sign-in", HTMLElement).hidden = true;
	byId("session", HTMLElement).hidden = false;
	byId("session-who", HTMLElement).textContent = `Signed in through Cloudflare Access as ${String(principal.subject)}`;
	ready();
}
