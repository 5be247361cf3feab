import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../http/app-env";
import { isLocale, type Locale, negotiateLocale } from "../i18n/locales";

/** The cookie that holds a language switched to, for the browser session: a locale, nothing else. */
export const LANGUAGE_COOKIE = "lang";

/**
 * The page's language: the one switched to in this browser session, else the best of the
 * browser's Accept-Language (RFC 9110 §12.5.4), else English.
 */
export function chosenLocale(c: Context<AppEnv>): Locale {
	const switched = getCookie(c, LANGUAGE_COOKIE);
	return isLocale(switched) ? switched : negotiateLocale(c.req.header("Accept-Language"));
}

/**
 * The language switch: `?lang=zh-CN` on a page keeps that language for the browser session (a
 * session cookie, HttpOnly, holding only the locale: no token, no contact data) and sends the
 * browser back to the page without the query (303, RFC 9110 §15.4.4). An unknown language is
 * ignored. The page's answer varies by the cookie and the browser's languages.
 */
export function languageSwitch(): MiddlewareHandler<AppEnv> {
	return async (c, next) => {
		const asked = c.req.query("lang");
		if (asked !== undefined) {
			const url = new URL(c.req.url);
			if (isLocale(asked)) {
				setCookie(c, LANGUAGE_COOKIE, asked, { path: "/", httpOnly: true, sameSite: "Lax", secure: url.protocol === "https:" });
			}
			url.searchParams.delete("lang");
			return c.redirect(`${url.pathname}${url.search}`, 303);
		}
		await next();
		c.res.headers.append("Vary", "Accept-Language, Cookie");
	};
}
