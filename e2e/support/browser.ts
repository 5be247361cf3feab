/** Debian's Chromium, headless, driven by playwright-core; screenshots go to test-artifacts/e2e. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

export const ARTIFACTS = join("test-artifacts", "e2e");
const EXECUTABLE = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
	mkdirSync(ARTIFACTS, { recursive: true });
	return chromium.launch({
		executablePath: EXECUTABLE,
		// No sandbox: CI runs as root in a container. The rest keep Chromium off the network.
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
	});
}

export interface WatchedPage {
	page: Page;
	/**
	 * Uncaught script errors and policy violations (CSP, Trusted Types). Failed API answers are not
	 * here: a refusal is a 4xx the page handles, which Chromium also logs.
	 */
	errors: string[];
}

export interface PageOptions {
	/** The browser's language (its Accept-Language and Intl default), e.g. "zh-CN". */
	locale?: string;
	viewport?: { width: number; height: number };
}

/** A page in a context of its own: nothing (storage, cache) is shared with another test's page. */
export async function newPage(browser: Browser, extraHTTPHeaders?: Record<string, string>, options: PageOptions = {}): Promise<WatchedPage> {
	const context = await browser.newContext({
		viewport: options.viewport ?? { width: 1280, height: 900 },
		extraHTTPHeaders,
		...(options.locale ? { locale: options.locale } : {}),
	});
	const page = await context.newPage();
	const errors: string[] = [];
	page.on("console", (message) => {
		if (message.type() === "error" && /Content Security Policy|Trusted Type|Refused to/i.test(message.text())) errors.push(message.text());
	});
	page.on("pageerror", (error) => errors.push(error.message));
	return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
	await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
