import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export interface PageParts {
	title: string;
	/** The page's module under /ui/; the only script the page runs. */
	script?: string;
	/** Read by the script: configuration the page needs, never a secret. */
	data?: Record<string, string | number>;
	content: HtmlEscapedString | Promise<HtmlEscapedString>;
}

/** The shell every page shares. Values are escaped by `html`; the pages hold no data until signed in. */
export function layout({ title, script, data = {}, content }: PageParts) {
	const attributes = Object.entries(data).map(([name, value]) => {
		// Values are escaped; names cannot be, so only plain ones are accepted.
		if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`bad data attribute name: ${name}`);
		return html` data-${name}="${String(value)}"`;
	});
	return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · contact-vault</title>
<link rel="stylesheet" href="/ui/style.css">
${
	script
		? html`<script type="module" src="/ui/${script}"></script>
`
		: ""
}</head>
<body${attributes}>
<a class="skip" href="#main">Skip to content</a>
<header class="bar">
<p class="brand"><a href="/">contact-vault</a> · ${title}</p>
<p class="session" id="session" hidden><span id="session-who"></span> <button type="button" id="sign-out">Sign out</button></p>
</header>
<main id="main" tabindex="-1">
${content}
</main>
<noscript><p class="problem">This page needs JavaScript: it holds your token in memory only and talks to the vault's API.</p></noscript>
</body>
</html>`;
}

/**
 * The sign-in form both pages start with: the token stays in the page's memory, nowhere else. A
 * masked textarea, not a password input: browsers offer to save what was typed into a password
 * field of a form that then disappears, which would put the token into a synced password manager.
 */
export function signInForm(label: string, hint: HtmlEscapedString | Promise<HtmlEscapedString>) {
	return html`<section id="sign-in" aria-labelledby="sign-in-heading">
<h1 id="sign-in-heading">Sign in</h1>
<form id="sign-in-form" method="post" autocomplete="off" novalidate>
<label for="token">${label}</label>
<textarea id="token" name="token" class="secret" rows="3" autocomplete="off" autocapitalize="off" spellcheck="false" required aria-describedby="token-hint token-error"></textarea>
<p class="hint" id="token-hint">${hint}</p>
<p class="field-error" id="token-error" role="alert"></p>
<button type="submit">Sign in</button>
</form>
</section>`;
}
