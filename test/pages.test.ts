import { describe, expect, it } from "vitest";
import { PURPOSE_RULES, PURPOSES } from "../src/reveals/scope";
import { PAGE_CSP } from "../src/ui/page-headers";
import { call, callWith } from "./support/api";
import { PAGE_SCRIPTS } from "./support/page-scripts";

const PAGES = ["/", "/terminal", "/ops"];

describe("pages", () => {
	it.each(PAGES)("%s is HTML under the strict page policy, with no inline script or style", async (path) => {
		const response = await call("GET", path);
		expect(response.status).toBe(200);
		expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
		expect(response.headers.get("Content-Security-Policy")).toBe(PAGE_CSP);
		expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
		expect(response.headers.get("X-Frame-Options")).toBe("DENY");
		expect(response.headers.get("Cache-Control")).toBe("no-store");
		const page = await response.text();
		// Every script has a src on this origin; no inline handlers, no inline styles. The one inline
		// element is the catalog, a JSON data block the browser never runs (HTML §4.12.1.1).
		const CATALOG = /<script type="application\/json" id="i18n-catalog">[^<]*<\/script>/;
		const code = page.replace(CATALOG, "");
		expect(code.match(/<script\b[^>]*>/g)?.every((tag) => / src="\/ui\/[a-z-]+\.js"/.test(tag)) ?? true).toBe(true);
		expect(code).not.toMatch(/<script\b[^>]*>(?!<\/script>)/);
		expect(page).not.toMatch(/\son[a-z]+=/i);
		expect(page).not.toMatch(/<style\b|\sstyle=/i);
	});

	it("the policy allows no inline script, no framing, no form submission, and no HTML sinks", () => {
		expect(PAGE_CSP).toContain("default-src 'none'");
		expect(PAGE_CSP).toContain("script-src 'self'");
		expect(PAGE_CSP).not.toContain("unsafe");
		expect(PAGE_CSP).toContain("frame-ancestors 'none'");
		expect(PAGE_CSP).toContain("form-action 'none'");
		expect(PAGE_CSP).toContain("require-trusted-types-for 'script'");
	});

	it("every form posts (never GET), so a page whose script failed cannot put a token into a URL", async () => {
		for (const path of ["/terminal", "/ops"]) {
			const forms = (await (await call("GET", path)).text()).match(/<form\b[^>]*>/g) ?? [];
			expect(forms.length).toBeGreaterThan(0);
			for (const form of forms) expect(form, path).toContain('method="post"');
		}
	});

	it("every input and select on the pages has a label", async () => {
		for (const path of ["/terminal", "/ops"]) {
			const page = await (await call("GET", path)).text();
			const labelled = new Set([...page.matchAll(/<label for="([^"]+)"/g)].map((match) => match[1]));
			const controls = [...page.matchAll(/<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"/g)].map((match) => match[1]);
			expect(controls.length).toBeGreaterThan(0);
			expect(
				controls.filter((id) => !labelled.has(id)),
				path,
			).toEqual([]);
		}
	});

	it("the terminal tells its script how long a revealed value stays, from TERMINAL_REVEAL_SECONDS", async () => {
		expect(await (await call("GET", "/terminal")).text()).toContain('data-reveal-seconds="30"');
		expect(await (await callWith({ TERMINAL_REVEAL_SECONDS: "12" }, "GET", "/terminal")).text()).toContain('data-reveal-seconds="12"');
		const broken = await callWith({ TERMINAL_REVEAL_SECONDS: "3" }, "GET", "/terminal");
		expect(broken.status).toBe(503);
		expect(await broken.json()).toMatchObject({ type: "/problems/configuration-unavailable" });
	});

	it("the terminal offers the purposes an employee may state, with the parties and fields the vault's rules allow", async () => {
		const page = await (await call("GET", "/terminal")).text();
		const options = [...page.matchAll(/<option value="([a-z_]+)" data-parties="([^"]*)" data-fields="([^"]*)">/g)].map((match) => match.slice(1));
		expect(options).toEqual(
			PURPOSES.filter((purpose) => PURPOSE_RULES[purpose].principal === "employee").map((purpose) => [
				purpose,
				PURPOSE_RULES[purpose].parties.join(" "),
				PURPOSE_RULES[purpose].fields.join(" "),
			]),
		);
		expect(options.map(([purpose]) => purpose)).not.toContain("notify");
		expect(options).toContainEqual(["customer_service", "sender recipient", "phone"]);
	});

	it("the terminal signs its user out after TERMINAL_IDLE_SECONDS without use", async () => {
		expect(await (await call("GET", "/terminal")).text()).toContain('data-idle-seconds="300"');
		expect(await (await callWith({ TERMINAL_IDLE_SECONDS: "120" }, "GET", "/terminal")).text()).toContain('data-idle-seconds="120"');
		expect((await callWith({ TERMINAL_IDLE_SECONDS: "86400" }, "GET", "/terminal")).status).toBe(503);
	});

	it("serves the scripts and stylesheet from the assets under the same headers; nothing else of the assets is reachable", async () => {
		for (const [path, type] of [
			["/ui/terminal.js", "text/javascript"],
			["/ui/console.js", "text/javascript"],
			["/ui/session.js", "text/javascript"],
			["/ui/console/policies.js", "text/javascript"],
			["/ui/style.css", "text/css"],
		] as const) {
			const response = await call("GET", path);
			expect(response.status, path).toBe(200);
			expect(response.headers.get("Content-Type"), path).toContain(type);
			expect(response.headers.get("Content-Security-Policy"), path).toBe(PAGE_CSP);
			expect(response.headers.get("X-Content-Type-Options"), path).toBe("nosniff");
		}
		expect((await call("GET", "/ui/missing.js")).status).toBe(404);
		expect((await call("GET", "/terminal.js")).status).toBe(404);
		// Only what public/ui holds: no path out of it, and no property of the table the files are kept in.
		for (const path of ["/ui/../wrangler.toml", "/ui/%2e%2e/wrangler.toml", "/ui/constructor", "/ui/__proto__", "/ui/toString"]) {
			expect((await call("GET", path)).status, path).toBe(404);
		}
	});

	it("answers a script's revalidation with 304 while it is unchanged, and with the new bytes once it changed", async () => {
		const first = await call("GET", "/ui/terminal.js");
		const etag = first.headers.get("ETag") as string;
		expect(etag).toMatch(/^"[\w-]{22}"$/);
		expect(first.headers.get("Cache-Control")).toBe("no-cache");
		const body = await first.text();
		const again = await call("GET", "/ui/terminal.js", { headers: { "If-None-Match": `"stale", W/${etag}` } });
		expect(again.status).toBe(304);
		expect(await again.text()).toBe("");
		expect(again.headers.get("ETag")).toBe(etag);
		const changed = await call("GET", "/ui/terminal.js", { headers: { "If-None-Match": '"an-older-version"' } });
		expect(changed.status).toBe(200);
		expect(await changed.text()).toBe(body);
		// Another file's tag does not stand for this one.
		const style = await call("GET", "/ui/style.css");
		expect((await call("GET", "/ui/terminal.js", { headers: { "If-None-Match": style.headers.get("ETag") as string } })).status).toBe(200);
	});

	it("the scripts never touch web storage, cookies or HTML sinks; session.js keeps only the sign-in's state and verifier across the round trip", async () => {
		for (const script of [...PAGE_SCRIPTS]) {
			const source = await (await call("GET", `/ui/${script}`)).text();
			expect(source, script).not.toMatch(/localStorage|indexedDB|document\.cookie|innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(/);
			// sessionStorage only under the one key that holds {state, verifier} during the redirect to the identity provider.
			const uses = [...source.matchAll(/sessionStorage\.(\w+)\(([^,)]*)/g)].map((match) => `${match[1]}(${match[2]})`);
			expect(uses, script).toEqual(script === "session.js" ? ["setItem(RETURN_KEY)", "getItem(RETURN_KEY)", "removeItem(RETURN_KEY)"] : []);
			expect(source.replace(/sessionStorage\.(setItem|getItem|removeItem)\(RETURN_KEY/g, ""), script).not.toMatch(/sessionStorage\.|sessionStorage\[/);
		}
		const session = await (await call("GET", "/ui/session.js")).text();
		expect(session).toContain("sessionStorage.setItem(RETURN_KEY, JSON.stringify({ state, verifier, iss: option.iss, prompt }))");
	});
});
