import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { catalogs } from "../i18n/catalogs";
import { carriedCatalog, type PageLanguage } from "../i18n/page-language";
import type { SignInOption } from "./sign-in-options";

export interface PageParts {
	language: PageLanguage;
	title: string;
	/** The page's module under /ui/; the only script the page runs. */
	script?: string;
	/** Read by the script: configuration the page needs, never a secret. */
	data?: Record<string, string | number>;
	content: HtmlEscapedString | Promise<HtmlEscapedString>;
}

/**
 * The shell every page shares. Values are escaped by `html`; the pages hold no data until signed in.
 * `<html lang>` is the page's language, and a page with a script carries its catalog (a JSON data
 * block the script reads; see carriedCatalog). The language links switch for the browser session.
 */
export function layout({ language, title, script, data = {}, content }: PageParts) {
	const { t, locale, others } = language;
	const attributes = Object.entries(data).map(([name, value]) => {
		// Values are escaped; names cannot be, so only plain ones are accepted.
		if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`bad data attribute name: ${name}`);
		return html` data-${name}="${String(value)}"`;
	});
	return html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · contact-vault</title>
<link rel="stylesheet" href="/ui/style.css">
${
	script
		? html`<script type="application/json" id="i18n-catalog">${raw(carriedCatalog(locale))}</script>
<script type="module" src="/ui/${script}"></script>
`
		: ""
}</head>
<body${attributes}>
<a class="skip" href="#main">${t("layout.skip")}</a>
<header class="bar">
<p class="brand"><a href="/">contact-vault</a> · ${title}</p>
<nav class="languages" id="languages" aria-label="${t("language.switch")}">${others.map(
		(other) => html`<a href="?lang=${other}" lang="${other}" hreflang="${other}">${String(catalogs[other]["language.name"])}</a>`,
	)}</nav>
<p class="session" id="session" hidden><span id="session-who"></span> <button type="button" id="sign-out">${t("layout.signOut")}</button></p>
</header>
<main id="main" tabindex="-1">
${content}
</main>
<noscript><p class="problem">${t("layout.noscript")}</p></noscript>
</body>
</html>`;
}

export interface SignInParts {
	language: PageLanguage;
	/** What the page is for, in words the person signing in knows. */
	intro: string;
	/** A second line under it (what happens to what they see), or nothing. */
	note?: string;
	/** The sign-in buttons, one per issuer with `sign_in`. */
	options: readonly SignInOption[];
	/** The developer's "paste a token" form too (PAGES_TOKEN_PASTE=1), with its label and hint. */
	paste: { label: string; hint: HtmlEscapedString | Promise<HtmlEscapedString> } | null;
}

/**
 * The sign-in both pages start with: one button per identity provider (OpenID Connect, code flow
 * with PKCE, done by session.js), and, only when PAGES_TOKEN_PASTE is set, the developer's token
 * form. The buttons carry the issuer's public sign-in values; no secret is on the page. The token
 * form is a masked textarea, not a password input: browsers offer to save what was typed into a
 * password field of a form that then disappears, which would put the token into a password manager.
 */
export function signInSection({ language, intro, note, options, paste }: SignInParts) {
	const { t } = language;
	return html`<section id="sign-in" aria-labelledby="sign-in-heading">
<h1 id="sign-in-heading">${t("signIn.heading")}</h1>
<p id="sign-in-intro">${intro}</p>
${note ? html`<p class="hint" id="sign-in-note">${note}</p>` : ""}
${
	options.length > 0
		? html`<ul class="sign-in-options">${options.map(
				(option) =>
					html`<li><button type="button" class="sign-in-with" data-iss="${option.iss}" data-client-id="${option.clientId}" data-authorization-endpoint="${option.authorizationEndpoint}" data-token-endpoint="${option.tokenEndpoint}">${t("signIn.with", { label: option.label })}</button></li>`,
			)}</ul>`
		: html`<p class="problem" id="sign-in-none">${t("signIn.none")}</p>`
}
<p class="field-error" id="sign-in-error" role="alert"></p>
${
	paste
		? html`<form id="sign-in-form" method="post" autocomplete="off" novalidate aria-labelledby="token-heading">
<h2 id="token-heading">${t("signIn.pasteHeading")}</h2>
<label for="token">${paste.label}</label>
<textarea id="token" name="token" class="secret" rows="3" autocomplete="off" autocapitalize="off" spellcheck="false" required aria-describedby="token-hint sign-in-error"></textarea>
<p class="hint" id="token-hint">${paste.hint} ${t("signIn.pasteHint")}</p>
<button type="submit">${t("signIn.pasteButton")}</button>
</form>`
		: ""
}
</section>`;
}

/**
 * A catalog text with one `{name}` placeholder filled with markup (a `<code>` sample): the text
 * around it is escaped as any text.
 */
export function withMarkup(text: string, name: string, markup: HtmlEscapedString | Promise<HtmlEscapedString>) {
	const [before = "", after = ""] = text.split(`{${name}}`);
	return html`${before}${markup}${after}`;
}
