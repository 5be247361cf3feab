import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AUDIT_KINDS } from "../src/audit/entry";
import { ROLES } from "../src/auth/principal";
import { problemTypes } from "../src/http/problem-types";
import { catalogs } from "../src/i18n/catalogs";
import { LOCALES, negotiateLocale } from "../src/i18n/locales";
import type { Message } from "../src/i18n/message";
import { ACTIVITY_KINDS, LIMIT_KINDS, PLAINTEXT_PHONE } from "../src/limits/policy";
import { PURPOSES } from "../src/reveals/scope";
import { call } from "./support/api";
import { PAGE_SCRIPTS } from "./support/page-scripts";

/** Every alert kind the detection rules raise (src/limits/decide.ts, activity.ts, src/detection/). */
const ALERT_KINDS = [
	"honeytoken_touched",
	"out_of_scope_probing",
	"daily_quota_reached",
	"depot_ring_suspected",
	"depot_budget_exceeded",
	"key_missing",
	"lookup_limit_reached",
	"lookup_misses_exceeded",
	"refusal_budget_exhausted",
	"near_quota_streak",
	"depot_ring_near_quota",
	"work_ratio_outlier",
	"reveals_after_close",
	"row_mac_failed",
];
/** Every refusal reason a decision or a redeem records (src/limits/decide.ts `Refusal`, redeem outcomes), and suspension reasons. */
const REASONS = [
	"suspended",
	"honeytoken",
	"out_of_scope_probing",
	"out_of_scope",
	"purpose_mismatch",
	...LIMIT_KINDS,
	...ACTIVITY_KINDS,
	"already_redeemed",
	"ops",
	"stale",
	"no_open_leg",
	"case_required",
	"cases",
	"call_first",
	"plaintext_phone",
	"assignment_unverified",
];

const texts = (message: Message) => (typeof message === "string" ? [message] : Object.values(message));
const placeholders = (message: Message) => new Set(texts(message).flatMap((text) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1])));

/** The keys a script names: `t("key")`, and the prefixes of keys it builds (`t(\`audit.col.${column}\`)`, `nameOf("alert", kind)`). */
function keysUsed(source: string) {
	return {
		exact: [...source.matchAll(/\bt\(\s*"([^"]+)"/g)].map((match) => match[1] as string),
		prefixes: [
			...[...source.matchAll(/\bt\(\s*`([^`$]+)\$\{/g)].map((match) => match[1] as string),
			...[...source.matchAll(/\bnameOf\(\s*"([^"]+)"/g)].map((match) => `${match[1]}.`),
		],
		// Ternaries choosing between two keys: t(cond ? "a" : "b", ...).
		chosen: [...source.matchAll(/\bt\(\s*[^,()"]+\?\s*"([^"]+)"\s*:\s*"([^"]+)"/g)].flatMap((match) => [match[1] as string, match[2] as string]),
	};
}

describe("the pages' catalogs", () => {
	it("have the same keys in every language, each with the same placeholders, and no empty text", () => {
		const english = catalogs.en;
		for (const locale of LOCALES) {
			const catalog = catalogs[locale];
			expect(Object.keys(catalog).sort(), locale).toEqual(Object.keys(english).sort());
			for (const [key, message] of Object.entries(catalog)) {
				expect(
					texts(message).every((text) => text.trim() !== ""),
					`${locale} ${key}`,
				).toBe(true);
				expect([...placeholders(message)].sort(), `${locale} ${key}`).toEqual([...placeholders(english[key as keyof typeof english])].sort());
			}
		}
	});

	it("name every purpose, refusal reason, alert kind, audit kind, problem type, role and limit in every language", () => {
		const needed = [
			...PURPOSES.map((purpose) => `purpose.${purpose}`),
			...REASONS.map((reason) => `reason.${reason}`),
			...ALERT_KINDS.map((kind) => `alert.${kind}`),
			...AUDIT_KINDS.map((kind) => `audit.${kind}`),
			...Object.keys(problemTypes).map((slug) => `problem.${slug}`),
			...[...ROLES, "service"].map((role) => `role.${role}`),
			...[...LIMIT_KINDS, ...ACTIVITY_KINDS, PLAINTEXT_PHONE].map((kind) => `limit.${kind}`),
			...[...LIMIT_KINDS, ...ACTIVITY_KINDS].map((kind) => `policies.kind.${kind}`),
		];
		for (const locale of LOCALES)
			expect(
				needed.filter((key) => !(key in catalogs[locale])),
				locale,
			).toEqual([]);
	});

	it("hold every key the page scripts use", async () => {
		const english = catalogs.en as Record<string, Message>;
		let used = 0;
		for (const script of PAGE_SCRIPTS) {
			const source = await (await call("GET", `/ui/${script}`)).text();
			const { exact, prefixes, chosen } = keysUsed(source);
			used += exact.length + prefixes.length;
			expect(
				[...exact, ...chosen].filter((key) => !(key in english)),
				script,
			).toEqual([]);
			expect(
				prefixes.filter((prefix) => !Object.keys(english).some((key) => key.startsWith(prefix))),
				script,
			).toEqual([]);
		}
		// The scan found the scripts' keys: a script that stopped calling t() would pass trivially.
		expect(used).toBeGreaterThan(100);
	});

	it("a key missing from a catalog is caught by the scan", () => {
		const { exact } = keysUsed('say(t("terminal.noSuchKey", { shipment }));');
		expect(exact.filter((key) => !(key in catalogs.en))).toEqual(["terminal.noSuchKey"]);
	});
});

describe("the page language", () => {
	it("follows Accept-Language (RFC 9110 §12.5.4): weights, order, any zh to Chinese, English otherwise", () => {
		expect(negotiateLocale(undefined)).toBe("en");
		expect(negotiateLocale("zh-CN,zh;q=0.9,en;q=0.8")).toBe("zh-CN");
		expect(negotiateLocale("en-US,en;q=0.9,zh-CN;q=0.8")).toBe("en");
		expect(negotiateLocale("fr-FR, zh-TW;q=0.5")).toBe("zh-CN");
		expect(negotiateLocale("en;q=0.2, zh;q=0.7")).toBe("zh-CN");
		expect(negotiateLocale("zh;q=0, en")).toBe("en");
		expect(negotiateLocale("de, fr")).toBe("en");
	});

	it.each(["/", "/terminal", "/ops"])("%s is rendered in Chinese for a zh-CN browser, with <html lang> and its catalog", async (path) => {
		const page = await (await call("GET", path, { headers: { "Accept-Language": "zh-CN,zh;q=0.9" } })).text();
		expect(page).toContain('<html lang="zh-CN">');
		expect(page).not.toContain("Sign in with your");
		if (path !== "/") {
			expect(page).toContain("登录");
			const carried = page.match(/<script type="application\/json" id="i18n-catalog">([^<]*)<\/script>/)?.[1];
			expect(JSON.parse(carried ?? "null")).toEqual({ locale: "zh-CN", messages: catalogs["zh-CN"] });
		}
		expect(page).toContain('<a href="?lang=en" lang="en" hreflang="en">English</a>');
	});

	/** A page asked for without following its redirect, as a browser sees the 303 itself. */
	const unfollowed = (path: string, headers: Record<string, string> = {}) =>
		exports.default.fetch(new Request(`https://vault.test${path}`, { headers, redirect: "manual" }));

	it("the switch keeps a language for the browser session in a cookie that holds nothing else, and wins over Accept-Language", async () => {
		const switched = await unfollowed("/terminal?lang=zh-CN", { "Accept-Language": "en" });
		expect(switched.status).toBe(303);
		expect(switched.headers.get("Location")).toBe("/terminal");
		const cookie = switched.headers.get("Set-Cookie") ?? "";
		expect(cookie).toMatch(/^lang=zh-CN; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
		// A session cookie: no Max-Age, no Expires.
		expect(cookie).not.toMatch(/Max-Age|Expires/i);
		const page = await call("GET", "/terminal", { headers: { "Accept-Language": "en", Cookie: "lang=zh-CN" } });
		expect(await page.text()).toContain('<html lang="zh-CN">');
		expect(page.headers.get("Vary")).toContain("Accept-Language");
		// An unknown language is ignored: back to the page, no cookie.
		const unknown = await unfollowed("/ops?lang=xx");
		expect(unknown.status).toBe(303);
		expect(unknown.headers.get("Set-Cookie")).toBeNull();
		expect(await (await call("GET", "/ops", { headers: { Cookie: "lang=xx", "Accept-Language": "zh" } })).text()).toContain('<html lang="zh-CN">');
	});
});
