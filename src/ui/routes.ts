import { Hono } from "hono";
import { html } from "hono/html";
import { pagesTokenPaste, terminalIdleSeconds, terminalRevealSeconds, trustedIssuersConfig } from "../config";
import type { AppEnv } from "../http/app-env";
import { pageLanguage } from "../i18n/page-language";
import { consolePage } from "./console-page";
import { chosenLocale, languageSwitch } from "./language-choice";
import { layout } from "./layout";
import { pageCsp, pageHeaders } from "./page-headers";
import { signInOptions } from "./sign-in-options";
import { terminalPage } from "./terminal-page";

/** The pages: HTML shells rendered here, scripts and styles from public/ui through the assets binding. */
export const uiRoutes = new Hono<AppEnv>();

uiRoutes.use("*", pageHeaders());
for (const page of ["/", "/terminal", "/ops"]) uiRoutes.use(page, languageSwitch());

uiRoutes.get("/", (c) => {
	const language = pageLanguage(chosenLocale(c));
	const { t } = language;
	return c.html(
		layout({
			language,
			title: t("page.home"),
			content: html`<h1>contact-vault</h1>
<ul class="links">
<li><a href="/terminal">${t("home.terminal")}</a>: ${t("home.terminalWhat")}</li>
<li><a href="/ops">${t("home.console")}</a>: ${t("home.consoleWhat")}</li>
<li><a href="/docs">${t("home.docs")}</a></li>
</ul>`,
		}),
	);
});
/** The pages that sign people in: their sign-in options and the CSP that lets them reach the token endpoints. */
function signInOf(env: AppEnv["Bindings"]) {
	const options = signInOptions(trustedIssuersConfig(env));
	return { signIn: { options, paste: pagesTokenPaste(env) }, headers: { "Content-Security-Policy": pageCsp(options.map((option) => option.tokenEndpoint)) } };
}

uiRoutes.get("/terminal", (c) => {
	const { signIn, headers } = signInOf(c.env);
	return c.html(terminalPage(pageLanguage(chosenLocale(c)), terminalRevealSeconds(c.env), terminalIdleSeconds(c.env), signIn), 200, headers);
});
uiRoutes.get("/ops", (c) => {
	const { signIn, headers } = signInOf(c.env);
	return c.html(consolePage(pageLanguage(chosenLocale(c)), signIn), 200, headers);
});

uiRoutes.get("/ui/*", async (c) => {
	const asset = await c.env.ASSETS.fetch(c.req.raw);
	// A fetched response's headers are immutable; copy it so the header middleware can add to it.
	return new Response(asset.body, asset);
});
