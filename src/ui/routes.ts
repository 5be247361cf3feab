import { Hono } from "hono";
import { html } from "hono/html";
import { pagesTokenPaste, terminalIdleSeconds, terminalRevealSeconds, trustedIssuersConfig } from "../config";
import type { AppEnv } from "../http/app-env";
import { ifNoneMatchPasses, parseEntityTags } from "../http/preconditions";
import { ProblemError } from "../http/problem";
import { pageLanguage } from "../i18n/page-language";
import { consolePage } from "./console-page";
import { chosenLocale, languageSwitch } from "./language-choice";
import { layout } from "./layout";
import { PAGE_ASSETS } from "./page-assets";
import { pageCsp, pageHeaders } from "./page-headers";
import { signInOptions } from "./sign-in-options";
import { terminalPage } from "./terminal-page";

/** The pages: HTML shells rendered here, their scripts and stylesheet from public/ui (embedded in the worker: src/ui/page-assets.ts). */
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

uiRoutes.get("/ui/*", (c) => {
	const asset = Object.hasOwn(PAGE_ASSETS, c.req.path) ? PAGE_ASSETS[c.req.path] : undefined;
	if (!asset) throw new ProblemError("not-found", { detail: "No such script or stylesheet of the pages." });
	// Stored, but checked with the worker before each use (RFC 9111 §5.2.2.4): a deploy changes them.
	const headers = { ETag: asset.etag, "Cache-Control": "no-cache" };
	if (unchangedFor(c.req.header("If-None-Match"), asset.etag)) return c.body(null, 304, headers);
	return c.body(asset.body, 200, { ...headers, "Content-Type": asset.type });
});

/** Whether a GET's If-None-Match holds the current tag (RFC 9110 §13.1.2, weak comparison); a malformed one is ignored, as a cache would. */
function unchangedFor(ifNoneMatch: string | undefined, etag: string): boolean {
	if (ifNoneMatch === undefined) return false;
	try {
		return !ifNoneMatchPasses(parseEntityTags(ifNoneMatch), etag);
	} catch {
		return false;
	}
}
