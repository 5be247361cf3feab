import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/app-env";

/**
 * The pages' Content-Security-Policy (CSP Level 3): scripts, styles and API calls from this origin
 * only, no inline script or style, nothing frames the page, and forms never submit by themselves
 * (`form-action 'none'`), so a page whose script failed cannot put a token into a URL. Trusted
 * Types with no policy make every HTML-parsing DOM sink throw: the scripts build nodes and set
 * text, so a customer's name can never become markup.
 *
 * `connect-src` adds exactly the token endpoints of the issuers the pages sign in with (full URLs,
 * so path-matched, CSP3 §6.7.2.8): the code exchange and refreshes are the only cross-origin
 * requests a page makes. Going to the authorization endpoint is a top-level navigation, which no
 * directive governs; `form-action` stays 'none'.
 */
export function pageCsp(tokenEndpoints: readonly string[] = []): string {
	return [
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		["connect-src 'self'", ...new Set(tokenEndpoints)].join(" "),
		"img-src 'self'",
		"form-action 'none'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
		"require-trusted-types-for 'script'",
		"trusted-types 'none'",
	].join("; ");
}

/** The policy of the pages without sign-in endpoints, and of their scripts and stylesheet. */
export const PAGE_CSP = pageCsp();

/** Headers for the pages and their assets; the app-wide middleware adds the rest (no-referrer, nosniff). */
export function pageHeaders(): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		await next();
		// A page that signs people in set its own (PAGE_CSP plus its issuers' token endpoints).
		if (!c.res.headers.has("Content-Security-Policy")) c.res.headers.set("Content-Security-Policy", PAGE_CSP);
		c.res.headers.set("X-Frame-Options", "DENY");
		c.res.headers.set("Cross-Origin-Opener-Policy", "same-origin");
		c.res.headers.set("Cross-Origin-Resource-Policy", "same-origin");
		c.res.headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()");
	};
}
