/**
 * The ops console and the depot terminal in headless Chromium against `wrangler dev`: what an ops
 * engineer and a courier do, through the pages only (fixtures are written through the API).
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessTeam, accessTeam } from "./support/access.ts";
import { launchBrowser, newPage, type PageOptions, screenshot, type WatchedPage } from "./support/browser.ts";
import { callFirst, lookUp, unlabelledControls } from "./support/terminal-steps.ts";
import { startVault, type Vault } from "./support/vault.ts";

const REVEAL_SECONDS = 30;
const DEPOT = "E2E-D1";
const COURIER = "e2e-courier";
const COURIER_2 = "e2e-courier-2";
const PHONE = "13912345678";
const PHONE_2 = "13698765432";
const PHONE_3 = "15617707587";
/** A demo depot: its clerk is one of the development identity provider's people. */
const DEMO_DEPOT = "UR-TS-01";
/** The vault keeps phones in E.164 and reveals them so; the terminal shows a mobile grouped 3-4-4. */
const e164 = (phone: string) => `+86${phone}`;
const grouped = (phone: string) => `+86 ${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;

let vault: Vault;
let access: AccessTeam;
let browser: Browser;
let opsToken: string;
let courierToken: string;
let courier2Token: string;
const opened: WatchedPage[] = [];
const recordIds: Record<string, string> = {};

async function createRecord(shipment: string, party: string, phone: string, courier: string | null, depot = DEPOT): Promise<string> {
	const { status, body } = await vault.serviceCall<{ id: string }>("POST", "/v1/records", {
		shipment_id: shipment,
		party,
		contact: { name: "王小明", phone, address: "广东省深圳市南山区科技园路1号" },
		depot,
		...(courier ? { courier } : {}),
	});
	expect(status).toBe(201);
	// Reveals follow the work: the courier service reports the round, as it would, so the parcel's leg is open.
	if (courier && party === "recipient") {
		const events = await vault.serviceCall("POST", "/v1/shipment-events", { events: [{ shipment_id: shipment, type: "out_for_delivery", courier, depot }] });
		expect(events.status).toBe(200);
	}
	return body.id;
}

beforeAll(async () => {
	access = await accessTeam(["carol@carrier.example"]);
	// The flows below that sign in with minted tokens (the test's own fixtures: E2E-D1 is not a demo
	// depot) use the developer's paste form, so this vault enables it; "signing in through the
	// identity provider" signs demo people in for real, the way the README tells.
	vault = await startVault({ TERMINAL_REVEAL_SECONDS: String(REVEAL_SECONDS), OPS_ACCESS: access.config, PAGES_TOKEN_PASTE: "1" });
	browser = await launchBrowser();
	opsToken = await vault.token("ops-e2e", "ops");
	courierToken = await vault.token(COURIER, "reveal", { role: "courier", depot: DEPOT, phoneNumber: "+8613912340011" });
	courier2Token = await vault.token(COURIER_2, "reveal", { role: "courier", depot: DEPOT, phoneNumber: "+8613912340022" });
	recordIds.first = await createRecord("E2E-0001", "recipient", PHONE, COURIER);
	await createRecord("E2E-0001", "sender", "13700001111", null);
	recordIds.second = await createRecord("E2E-0002", "recipient", "13800002222", COURIER);
	recordIds.third = await createRecord("E2E-0003", "recipient", "13800003333", COURIER);
	recordIds.real2 = await createRecord("E2E-0007", "recipient", PHONE_2, COURIER_2);
	recordIds.demoDepot = await createRecord("E2E-UR-01", "recipient", PHONE_3, "courier-ur-ts-01-2", DEMO_DEPOT);
	// A clerk's plaintext phone limit for deliveries is 0 by default; the demo clerk who reveals one below is allowed a few.
	const clerkLayer = await vault.opsCall("PUT", "/v1/policies/employee/clerk-ur-ts-01-1", { mode: "enforce", plaintext_phone_limit: 5 });
	expect(clerkLayer.status).toBe(201);
	const planted = await vault.opsCall("POST", "/v1/honeytokens", {
		record: {
			shipment_id: "E2E-TRAP",
			party: "recipient",
			contact: { name: "赵六", phone: "13500005555", address: "上海市浦东新区世纪大道100号" },
			depot: DEPOT,
			courier: COURIER_2,
		},
		label: "e2e decoy",
	});
	expect(planted.status).toBe(201);
}, 240_000);

afterAll(async () => {
	for (const { page, errors } of opened) {
		// No page ever broke its own Content-Security-Policy or Trusted Types, nor threw.
		expect(errors, page.url()).toEqual([]);
	}
	await browser?.close();
	// Every fixture and check call was an answer /openapi.json describes.
	await vault?.proxySettled();
	const violations = vault?.responseViolations() ?? [];
	vault?.stop();
	expect(violations).toEqual([]);
});

async function open(path: string, options: { fakeClock?: boolean; headers?: Record<string, string> } & PageOptions = {}): Promise<Page> {
	const watched = await newPage(browser, options.headers, { locale: options.locale, viewport: options.viewport });
	opened.push(watched);
	if (options.fakeClock) await watched.page.clock.install({ time: Date.now() });
	const response = await watched.page.goto(`${vault.url}${path}`);
	expect(response?.status()).toBe(200);
	// An installed clock still follows real time; paused, the page's time moves only by runFor, so
	// what the test waits for in real time (API answers, polls) cannot use up the page's seconds.
	if (options.fakeClock) await watched.page.clock.pauseAt(Date.now() + 5_000);
	return watched.page;
}

/** Signs in with a pasted token, keyboard only: Tab to the token field (past the skip link, the brand, the language link and the sign-in button), type, Enter. */
async function signIn(page: Page, token: string): Promise<void> {
	for (let step = 0; step < 5; step++) await page.keyboard.press("Tab");
	await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("token");
	await page.keyboard.type(token);
	await page.keyboard.press("Enter");
	await page.locator("#session").waitFor({ state: "visible" });
}

/** Opens a record's reveal controls: the counted exception, behind their own disclosure below the Call button. */
async function openReveal(record: ReturnType<Page["locator"]>): Promise<void> {
	const more = record.locator("details.reveal-more");
	if ((await more.getAttribute("open")) === null) await more.locator("summary").click();
}

/** Everything the page could still hold: its DOM and its storage. */
const pageHoldings = (page: Page) =>
	page.evaluate(() => ({
		html: document.documentElement.outerHTML,
		storage: localStorage.length + sessionStorage.length,
		cookies: document.cookie,
		url: location.href,
	}));

describe("depot terminal", () => {
	it("shows a revealed phone for the configured 30 seconds, then it is gone from the DOM; nothing is stored", async () => {
		const page = await open("/terminal", { fakeClock: true });
		await signIn(page, courierToken);
		// Keyboard only: the shipment field has focus after sign-in; a scanner types and sends Enter.
		await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("shipment");
		await page.keyboard.type("E2E-0001");
		await page.keyboard.press("Enter");
		const record = page.locator(`li[data-record-id="${recordIds.first}"]`);
		await record.waitFor();
		// The quota shows from sign-in, before any reveal, the calls beside the reveals.
		expect(await page.locator("#quota").textContent()).toBe(
			"30 of 30 in any 10 min400 of 400 in 24 hours300 of 300 different contacts in 24 hours400 of 400 calls in 24 hours",
		);
		// The sign-in field kept nothing; the controls the script built are labelled too.
		expect(await page.locator("#token").inputValue()).toBe("");
		expect(await unlabelledControls(page)).toEqual([]);
		// The courier sees only their own recipient, masked; the sender is not theirs.
		await expect.poll(() => page.locator("li.record").count()).toBe(1);
		expect(await record.locator("dd").nth(1).textContent()).toBe("1******5678");

		await record.getByLabel("Purpose", { exact: true }).selectOption("delivery");
		await openReveal(record);
		await record.getByLabel("Field", { exact: true }).selectOption("phone");
		// The phone before any call: the page says to call first and takes the person to Call.
		await record.getByRole("button", { name: "Reveal" }).click();
		await expect
			.poll(() => page.locator("#notice").textContent())
			.toBe("Call the customer with the Call button first. Their phone is shown only if a call on this parcel did not get through, and then it is counted.");
		await expect.poll(() => page.evaluate(() => document.activeElement?.classList.contains("call-button"))).toBe(true);
		await callFirst(page, record);
		await record.getByRole("button", { name: "Reveal" }).focus();
		await page.keyboard.press("Enter");
		const value = record.locator(".revealed-value");
		await expect.poll(() => value.textContent()).toBe(grouped(PHONE));
		// A link that dials it: the number as E.164, nothing else.
		expect(await value.getAttribute("href")).toBe(`tel:${e164(PHONE)}`);
		await expect
			.poll(() => page.locator("#quota").textContent())
			.toMatch(/^29 of 30 in any 10 min399 of 400 in 24 hours299 of 300 different contacts in 24 hours399 of 400 calls in 24 hours$/);
		await screenshot(page, "terminal-revealed");

		await page.clock.runFor((REVEAL_SECONDS - 1) * 1000);
		expect(await value.count()).toBe(1);
		await page.clock.runFor(1500);
		expect(await value.count()).toBe(0);
		const after = await pageHoldings(page);
		expect(after.html).not.toContain(PHONE);
		expect(after.storage).toBe(0);
		expect(after.cookies).toBe("");
		expect(after.url).toBe(`${vault.url}/terminal`);
		expect(after.html).not.toContain(courierToken);

		// Left alone at the counter, the terminal signs its user out after five minutes.
		await page.clock.runFor(265_000);
		expect(await page.locator("#session").isVisible()).toBe(true);
		await page.clock.runFor(5_000);
		await expect.poll(() => page.locator("#sign-in-error").textContent()).toBe("Signed out after 5 min without use.");
		expect(await page.locator("#terminal").isHidden()).toBe(true);
		expect(await page.locator("li.record").count()).toBe(0);
	});

	it("refuses a token the vault does not accept at sign-in, and says in plain words when a parcel is not the courier's", async () => {
		const page = await open("/terminal");
		const forged = `${courier2Token.slice(0, courier2Token.lastIndexOf("."))}.${"A".repeat(86)}`;
		await page.getByLabel("Employee token").fill(forged);
		await page.getByLabel("Employee token").press("Enter");
		await expect.poll(() => page.locator("#sign-in-error").textContent()).toBe("The vault does not accept this token: get a new one.");
		expect(await page.locator("#terminal").isHidden()).toBe(true);
		// Focus is back in the emptied field: type the right one.
		expect(await page.evaluate(() => document.activeElement?.id)).toBe("token");
		expect(await page.locator("#token").inputValue()).toBe("");
		await page.keyboard.type(courier2Token);
		await page.keyboard.press("Enter");
		await page.locator("#session").waitFor({ state: "visible" });
		await lookUp(page, "E2E-0002");
		expect(await page.locator("li.record").count()).toBe(0);
		expect(await page.locator("#records-empty").textContent()).toBe("No contact of shipment E2E-0002 is assigned to you or your depot.");
	});
});

describe("calling a customer from the terminal", () => {
	it("a courier calls through a virtual number that dials and says how long it stays valid, then ends the call", async () => {
		const caller = "e2e-courier-call";
		const customer = "13811112222";
		const id = await createRecord("E2E-CALL-1", "recipient", customer, caller);
		// The parcel is out for delivery with this courier: an open leg, which a call rides on.
		const events = await vault.serviceCall("POST", "/v1/shipment-events", {
			events: [{ shipment_id: "E2E-CALL-1", type: "out_for_delivery", courier: caller }],
		});
		expect(events.status).toBe(200);
		const page = await open("/terminal");
		await signIn(page, await vault.token(caller, "reveal", { role: "courier", depot: DEPOT, phoneNumber: "+8613912340099" }));
		await lookUp(page, "E2E-CALL-1");
		const record = page.locator(`li[data-record-id="${id}"]`);
		// Calling is the first control; the reveal waits behind a disclosure that says it is counted.
		expect(await record.locator("details.reveal-more summary").textContent()).toBe("Show the contact itself instead (counted)");
		expect(await record.getByRole("button", { name: "Reveal" }).isVisible()).toBe(false);
		await record.getByLabel("Purpose", { exact: true }).selectOption("delivery");
		const asked = page.waitForResponse((response) => response.url().endsWith("/v1/calls") && response.request().method() === "POST");
		await record.getByRole("button", { name: "Call", exact: true }).click();
		const answer = await (await asked).json();
		expect((await asked).status()).toBe(201);

		// The virtual number, grouped for reading, dialled as +86…; never the customer's own number.
		const number = record.locator(".call-number");
		const digits = String(answer.virtual_number).replace(/^\+?86/, "");
		await expect.poll(() => number.textContent()).toBe(grouped(digits));
		expect(await number.getAttribute("href")).toBe(`tel:${e164(digits)}`);
		expect(await number.getAttribute("aria-label")).toBe(`Call ${grouped(digits)}`);
		expect(digits).not.toBe(customer);
		expect((await pageHoldings(page)).html).not.toContain(customer);
		// How long it stays valid, in the reader's clock, and a minute count that matches expires_at.
		const validity = await record.locator(".call-expiry").textContent();
		expect(validity).toMatch(/^Valid until \d{1,2}:\d\d( [AP]M)? \(.+ left\)\.$/);
		expect(Date.parse(answer.expires_at)).toBeGreaterThan(Date.now());
		// The provider holds the binding, between the courier's phone and the customer's.
		const bindings = async () => {
			if (!vault.telephonyControl || !vault.telephonyPool) return null;
			const listed = (await (await fetch(`${vault.telephonyControl}/_sim/pools/${vault.telephonyPool}/bindings`)).json()) as {
				bindings: { secret_no: string }[];
			};
			return listed.bindings.filter((binding) => binding.secret_no.endsWith(digits)).length;
		};
		if (vault.telephonyControl) expect(await bindings()).toBe(1);
		await screenshot(page, "terminal-call");

		const ended = page.waitForResponse((response) => response.url().endsWith(`/v1/calls/${answer.call_id}`) && response.request().method() === "DELETE");
		await record.getByRole("button", { name: "End call" }).click();
		expect((await ended).status()).toBe(204);
		await expect.poll(() => page.locator("#notice").textContent()).toBe("Call ended: the virtual number no longer connects.");
		expect(await number.count()).toBe(0);
		if (vault.telephonyControl) await expect.poll(bindings).toBe(0);
		expect(await unlabelledControls(page)).toEqual([]);
	});
});

/**
 * Through the development identity provider, keyboard only: the sign-in button, the provider's
 * login page (an employee id, no password), and back to the page.
 */
async function signInThroughProvider(page: Page, person: string, expectSession = true): Promise<void> {
	// "Sign in with the development identity provider", or in Chinese "通过 the development identity provider 登录".
	const button = page.getByRole("button", { name: /the development identity provider/ });
	await button.focus();
	await page.keyboard.press("Enter");
	await page.waitForURL((url) => url.href.startsWith(`${vault.oidc.url}/interaction/`));
	if (person === "clerk-ur-ts-01-1") await screenshot(page, "dev-provider-login");
	await page.getByLabel("Employee id").fill(person);
	await page.keyboard.press("Enter");
	if (expectSession) await page.locator("#session").waitFor({ state: "visible" });
	else await page.waitForURL((url) => url.href.startsWith(vault.url));
}

describe("signing in through the identity provider", () => {
	it("a clerk signs in with their work account and reveals; no code, state, verifier or token is left in the URL or storage", async () => {
		const page = await open("/terminal");
		await screenshot(page, "terminal-sign-in");
		const requests: string[] = [];
		page.on("request", (request) => requests.push(`${request.method()} ${request.url()}`));
		await signInThroughProvider(page, "clerk-ur-ts-01-1");
		expect(await page.locator("#session-who").textContent()).toBe("Signed in as clerk-ur-ts-01-1");
		// Back on the page, the address holds neither code nor state, and the verifier is gone from sessionStorage.
		expect(page.url()).toBe(`${vault.url}/terminal`);
		let held = await pageHoldings(page);
		expect(held.storage).toBe(0);
		expect(held.cookies).toBe("");
		// The code went to the token endpoint, with the verifier; nothing but the vault's API otherwise.
		expect(requests).toContain(`POST ${vault.oidc.signIn.token_endpoint}`);
		await expect.poll(() => page.locator("#quota").textContent()).toMatch(/^20 of 20 in any 10 min/);

		await lookUp(page, "E2E-UR-01");
		const record = page.locator(`li[data-record-id="${recordIds.demoDepot}"]`);
		await callFirst(page, record);
		await record.getByLabel("Purpose", { exact: true }).selectOption("delivery");
		await openReveal(record);
		await record.getByLabel("Field", { exact: true }).selectOption("phone");
		await record.getByRole("button", { name: "Reveal" }).click();
		await expect.poll(() => record.locator(".revealed-value").textContent()).toBe(grouped(PHONE_3));
		await screenshot(page, "terminal-signed-in-through-provider");
		held = await pageHoldings(page);
		expect(held.url).toBe(`${vault.url}/terminal`);
		expect(held.storage).toBe(0);

		// Sign out, and the next sign-in asks who it is again: a shared terminal never hands on the last person.
		await page.getByRole("button", { name: "Sign out" }).click();
		await page.getByRole("button", { name: "Sign in with the development identity provider" }).click();
		await page.waitForURL((url) => url.href.startsWith(`${vault.oidc.url}/interaction/`));
		expect(await page.getByLabel("Employee id").inputValue()).toBe("");
	});

	it("ops sign in to the console, and the session renews itself before the access token expires", async () => {
		const ops = await open("/ops");
		await signInThroughProvider(ops, "ops-alice");
		expect(await ops.locator("#session-who").textContent()).toBe("Signed in as ops-alice");
		await ops.locator("#policy-layers table").first().waitFor();
		await screenshot(ops, "ops-signed-in-through-provider");
		// The e2e provider's access tokens last 70 s: the page renews 60 s ahead with its refresh token.
		const refreshed = await ops.waitForRequest(
			(request) => request.url() === vault.oidc.signIn.token_endpoint && (request.postData() ?? "").includes("grant_type=refresh_token"),
			{ timeout: 60_000 },
		);
		const answer = await refreshed.response();
		if (!answer) throw new Error("the refresh got no answer");
		expect(answer.status()).toBe(200);
		const renewed = ((await answer.json()) as { access_token: string }).access_token;
		// The next call carries the renewed token, and the vault accepts it.
		const [call] = await Promise.all([
			ops.waitForRequest((request) => request.url().includes("/v1/alerts")),
			ops.getByRole("button", { name: "Alerts" }).click(),
		]);
		expect(await call.headerValue("authorization")).toBe(`Bearer ${renewed}`);
		expect((await call.response())?.status()).toBe(200);
		expect(await ops.locator("#session").isVisible()).toBe(true);
	});

	it("without a usable refresh token, the page asks the provider again with prompt=none: back signed in while the provider's session lasts, signed out after", async () => {
		const ops = await open("/ops");
		await signInThroughProvider(ops, "ops-alice");
		// The provider refuses every refresh from here on, as it would a revoked or expired one.
		await ops.route(vault.oidc.signIn.token_endpoint, async (route) => {
			if ((route.request().postData() ?? "").includes("grant_type=refresh_token")) {
				await route.fulfill({ status: 400, contentType: "application/json", body: JSON.stringify({ error: "invalid_grant" }) });
			} else await route.continue();
		});
		const silent = ops.waitForRequest((request) => request.isNavigationRequest() && request.url().startsWith(vault.oidc.signIn.authorization_endpoint), {
			timeout: 60_000,
		});
		expect(new URL((await silent).url()).searchParams.get("prompt")).toBe("none");
		// The provider still knows ops-alice: straight back, signed in, with a clean URL and no login page shown.
		await ops.waitForURL(`${vault.url}/ops`);
		await expect.poll(() => ops.locator("#session-who").textContent()).toBe("Signed in as ops-alice");
		expect((await pageHoldings(ops)).storage).toBe(0);

		// Once the provider's session is gone too, the silent ask comes back with login_required and the sign-in shows.
		await ops.context().clearCookies();
		await ops.waitForRequest((request) => request.isNavigationRequest() && request.url().startsWith(vault.oidc.signIn.authorization_endpoint), {
			timeout: 60_000,
		});
		await ops.waitForURL(`${vault.url}/ops`);
		await expect.poll(() => ops.locator("#sign-in-error").textContent()).toBe("Your sign-in ran out: sign in again.");
		expect(await ops.locator("#console").isHidden()).toBe(true);
		expect((await pageHoldings(ops)).storage).toBe(0);
	});

	it("a courier who signs in at the console is turned away by the provider, and the page says so", async () => {
		const ops = await open("/ops");
		await signInThroughProvider(ops, "courier-ur-ts-01-1", false);
		await expect.poll(() => ops.locator("#sign-in-error").textContent()).toBe("This account may not use this page.");
		expect(ops.url()).toBe(`${vault.url}/ops`);
		expect(await ops.locator("#console").isHidden()).toBe(true);
	});
});

describe("ops change a courier's burst limit in the console; the terminal follows it", () => {
	it("shows validation errors next to the field, saves the layer, and the courier's next ask follows it", async () => {
		const ops = await open("/ops");
		await signIn(ops, opsToken);
		await ops.locator("#policy-layers table").first().waitFor();

		await ops.getByLabel("Layer", { exact: true }).selectOption("employee");
		await ops.getByLabel("Target").fill(COURIER);
		await ops.getByLabel("Burst limit", { exact: true }).fill("5000");
		await ops.getByRole("button", { name: "Save layer" }).click();
		await expect.poll(() => ops.locator("#policy-burst_limit-error").textContent()).toMatch(/1000/);
		expect(await ops.locator("#policy-burst_window_seconds-error").textContent()).toMatch(/burst_limit and burst_window_seconds go together/);
		expect(await ops.getByLabel("Burst limit", { exact: true }).getAttribute("aria-invalid")).toBe("true");
		await screenshot(ops, "ops-policies-validation");
		// Nothing was saved.
		expect((await vault.opsCall<{ policies: { target: string }[] }>("GET", "/v1/policies")).body.policies.some((p) => p.target === COURIER)).toBe(false);

		await ops.getByLabel("Burst limit", { exact: true }).fill("2");
		await ops.getByLabel("Burst window (seconds)", { exact: true }).fill("600");
		await ops.getByRole("button", { name: "Save layer" }).click();
		await expect.poll(() => ops.locator("#notice").textContent()).toMatch(/Saved the employee e2e-courier layer/);
		await ops.locator("#policy-layers td", { hasText: COURIER }).waitFor();
		expect(await ops.locator("#policy-burst_limit-error").textContent()).toBe("");

		// The report-only switch: a depot layer that records what it would refuse and refuses nothing.
		await ops.getByLabel("Layer", { exact: true }).selectOption("depot");
		await ops.getByLabel("Target").fill(DEPOT);
		await ops.getByRole("switch", { name: "Report only" }).check();
		await ops.getByLabel("Burst limit", { exact: true }).fill("");
		await ops.getByLabel("Burst window (seconds)", { exact: true }).fill("");
		await ops.getByLabel("Daily limit").fill("1");
		await ops.getByRole("button", { name: "Save layer" }).click();
		await expect.poll(() => ops.locator("#notice").textContent()).toMatch(/Saved the depot E2E-D1 layer/);
		const depotRow = ops.locator("#policy-layers tr", { hasText: DEPOT });
		await depotRow.waitFor();
		expect(await depotRow.textContent()).toContain("report only");

		// Layered as they resolve: the employee layer's burst over the role's daily and distinct.
		await ops.getByLabel("Employee sub").fill(COURIER);
		await ops.locator("#effective-role").selectOption("courier");
		await ops.locator("#effective-depot").fill(DEPOT);
		await ops.getByRole("button", { name: "Resolve" }).click();
		const enforced = ops.locator("#effective-result table").first();
		await enforced.waitFor();
		expect(await enforced.locator("tr", { hasText: "burst" }).textContent()).toContain(`employee ${COURIER}`);
		expect(await enforced.locator("tr", { hasText: "daily" }).textContent()).toContain("role courier");
		const shadow = ops.locator("#effective-result table", { hasText: "Report only" });
		expect(await shadow.locator("tr", { hasText: "daily" }).textContent()).toContain(`depot ${DEPOT}`);
		// Calls have limits of their own, the role's built-ins here.
		const calls = ops.locator("#effective-result table", { hasText: `Calls for ${COURIER}` });
		expect(await calls.locator("tr", { hasText: "burst" }).textContent()).toContain("role courier");
		await screenshot(ops, "ops-policies");

		// The courier already revealed once (above): the limit of 2 leaves one, then refuses.
		const terminal = await open("/terminal");
		await signIn(terminal, courierToken);
		await lookUp(terminal, "E2E-0002");
		const second = terminal.locator(`li[data-record-id="${recordIds.second}"]`);
		await callFirst(terminal, second);
		await openReveal(second);
		await second.getByLabel("Field", { exact: true }).selectOption("phone");
		await second.getByRole("button", { name: "Reveal" }).click();
		await expect.poll(() => second.locator(".revealed-value").textContent()).toBe(grouped("13800002222"));
		await expect.poll(() => terminal.locator("#quota").textContent()).toMatch(/0 of 2 in any 10 min; room again in \d+ min/);

		// A new lookup clears the value on show at once.
		await lookUp(terminal, "E2E-0003");
		expect(await terminal.locator(".revealed-value").count()).toBe(0);
		expect((await pageHoldings(terminal)).html).not.toContain("13800002222");
		const third = terminal.locator(`li[data-record-id="${recordIds.third}"]`);
		await openReveal(third);
		// The name: a phone would be refused for want of a call before the limit is even looked at.
		await third.getByLabel("Field", { exact: true }).selectOption("name");
		await third.getByRole("button", { name: "Reveal" }).click();
		await expect
			.poll(() => terminal.locator("#notice").textContent())
			.toMatch(/^You have reached your short-term limit\. You can reveal again in \d+ min \(at \d{1,2}:\d\d( [AP]M)?\)\.$/);
		expect(await third.locator(".revealed-value").count()).toBe(0);
		await screenshot(terminal, "terminal-limited");
	});

	it("the form saves a layer with every field set after changing one, and keeps every other field, in both languages", async () => {
		// A depot layer may set every field the API takes; no one in the test works at this depot.
		const everyField = {
			mode: "enforce",
			burst_limit: 7,
			burst_window_seconds: 120,
			daily_limit: 90,
			distinct_limit: 80,
			ring_threshold: 4,
			depot_daily_budget: 3000,
			lookup_limit: 50,
			lookup_window_seconds: 30,
			lookup_daily_limit: 900,
			miss_limit: 20,
			refusal_limit: 15,
			require_active_leg: 0,
			leg_grace_seconds: 0,
			stale_window_seconds: 3600,
			case_limit: 0,
			plaintext_phone_limit: 3,
			call_burst_limit: 12,
			call_burst_window_seconds: 300,
			call_daily_limit: 120,
			call_distinct_limit: 100,
		};
		expect((await vault.opsCall("PUT", "/v1/policies/depot/E2E-FORM", everyField)).status).toBe(201);
		type Layer = Record<string, unknown> & { layer: string; target: string; version: number };
		const formLayer = async () =>
			(await vault.opsCall<{ policies: Layer[] }>("GET", "/v1/policies")).body.policies.find((p) => p.layer === "depot" && p.target === "E2E-FORM") as Layer;
		const before = await formLayer();
		expect(before).toMatchObject(everyField);
		for (const { locale, plaintext, calls, leg, change, saved } of [
			{
				locale: "zh-CN",
				plaintext: "每日明文电话限额",
				calls: "每日通话限额",
				leg: "查看须有进行中的环节",
				change: (ops: Page) => ops.getByLabel("每日限额", { exact: true }).fill("91"),
				saved: /^已保存 网点 E2E-FORM 层/,
			},
			{
				locale: "en",
				plaintext: "Daily plaintext-phone limit",
				calls: "Daily call limit",
				leg: "Reveals need an open leg",
				change: (ops: Page) => ops.getByLabel("Reveals need an open leg", { exact: true }).selectOption("1"),
				saved: /Saved the depot E2E-FORM layer/,
			},
		] as const) {
			const ops = await open("/ops", { locale });
			await signIn(ops, opsToken);
			await ops.locator("#policy-layers tr", { hasText: "E2E-FORM" }).locator("button").first().click();
			// The form shows the layer as stored, 0 as a value of its own: the leg requirement reads 0, "no", not "inherit".
			await expect.poll(() => ops.getByLabel(plaintext, { exact: true }).inputValue()).toBe("3");
			expect(await ops.getByLabel(plaintext, { exact: true }).getAttribute("min")).toBe("0");
			expect(await ops.getByLabel(leg, { exact: true }).inputValue()).toBe("0");
			expect(await ops.getByLabel(calls, { exact: true }).inputValue()).toBe("120");
			await change(ops);
			await ops.locator("#policy-form button[type=submit]").click();
			await expect.poll(() => ops.locator("#notice").textContent()).toMatch(saved);
		}
		// One field changed per language; every other field reads back through the API as it was set.
		const after = await formLayer();
		expect(after.version).toBe(before.version + 2);
		expect(after).toMatchObject({ ...everyField, daily_limit: 91, require_active_leg: 1 });
	});

	it("shows the API's refusal of a field next to that field", async () => {
		const ops = await open("/ops");
		await signIn(ops, opsToken);
		await ops.locator("#policy-layers tr", { hasText: "clerk-ur-ts-01-1" }).locator("button").first().click();
		await expect.poll(() => ops.getByLabel("Daily plaintext-phone limit", { exact: true }).inputValue()).toBe("5");
		// An employee layer cannot set the grace after a leg closes (layerErrors): the 422 points at it.
		await ops.getByLabel("Grace after a leg closes (seconds)", { exact: true }).fill("600");
		await ops.locator("#policy-form button[type=submit]").click();
		await expect.poll(() => ops.locator("#policy-leg_grace_seconds-error").textContent()).toBe("only depot and default layers take this");
		expect(await ops.getByLabel("Grace after a leg closes (seconds)", { exact: true }).getAttribute("aria-invalid")).toBe("true");
		const clerk = (await vault.opsCall<{ policies: { target: string; leg_grace_seconds: number | null }[] }>("GET", "/v1/policies")).body.policies.find(
			(p) => p.target === "clerk-ur-ts-01-1",
		);
		expect(clerk?.leg_grace_seconds).toBeNull();
	});
});

describe("a suspended employee, reinstated from the console", () => {
	it("sees the refusal, ops see the alert and reinstate, and the terminal works again", async () => {
		const terminal = await open("/terminal");
		await signIn(terminal, courier2Token);
		// The decoy looks like any other parcel of theirs: asking for it suspends them.
		await lookUp(terminal, "E2E-TRAP");
		await openReveal(terminal.locator("li.record"));
		await terminal.locator("li.record").getByRole("button", { name: "Reveal" }).click();
		await expect
			.poll(() => terminal.locator("#notice").textContent())
			.toBe("Reveals are suspended for your account. Ask your supervisor or ops to reinstate you.");
		await lookUp(terminal, "E2E-0007");
		const real = terminal.locator(`li[data-record-id="${recordIds.real2}"]`);
		await terminal.locator("#notice").evaluate((node) => {
			node.textContent = "";
		});
		await openReveal(real);
		await real.getByRole("button", { name: "Reveal" }).click();
		await expect
			.poll(() => terminal.locator("#notice").textContent())
			.toBe("Reveals are suspended for your account. Ask your supervisor or ops to reinstate you.");
		expect(await real.locator(".revealed-value").count()).toBe(0);
		await screenshot(terminal, "terminal-suspended");
		// Signing in again while suspended says so at once.
		const again = await open("/terminal");
		await signIn(again, courier2Token);
		expect(await again.locator("#notice").textContent()).toBe("Reveals are suspended for your account. Ask your supervisor or ops to reinstate you.");

		const ops = await open("/ops");
		await signIn(ops, opsToken);
		await ops.getByRole("button", { name: "Alerts" }).click();
		const alert = ops.locator("#alert-table tr", { hasText: "Honeytoken touched" });
		await alert.waitFor();
		expect(await alert.textContent()).toContain(COURIER_2);
		expect(await alert.textContent()).toContain("critical");
		await screenshot(ops, "ops-alerts");
		// Triage: a note is required, then the alert says who is on it and why.
		await alert.getByRole("button", { name: "Acknowledge" }).click();
		expect(await alert.locator(".field-error").textContent()).toBe("Write a note: what was done or found.");
		await alert.getByLabel("Note").fill("training decoy; courier briefed");
		await alert.getByRole("button", { name: "Acknowledge" }).click();
		await expect.poll(() => ops.locator("#notice").textContent()).toBe("Honeytoken touched: acknowledged.");
		await expect
			.poll(() => ops.locator("#alert-table tr", { hasText: "Honeytoken touched" }).textContent())
			.toMatch(/Acknowledged.*Acknowledged by ops-e2e, .+: training decoy; courier briefed/);

		await ops.getByRole("button", { name: "Employees" }).click();
		const row = ops.locator("#employee-table tr", { hasText: COURIER_2 });
		await row.waitFor();
		expect(await unlabelledControls(ops)).toEqual([]);
		expect(await row.textContent()).toMatch(/Suspended \(asked for a honeytoken, by detection/);
		const other = ops.locator("#employee-table tr", { hasText: `${COURIER}courier` });
		expect(await other.textContent()).toMatch(/Active.*2 of 2/);
		await screenshot(ops, "ops-employees-suspended");
		await row.getByLabel(`Reason to reinstate ${COURIER_2}`).fill("decoy touched during training");
		await row.getByRole("button", { name: "Reinstate" }).click();
		await expect.poll(() => ops.locator("#notice").textContent()).toBe(`${COURIER_2} is reinstated.`);
		await expect.poll(() => ops.locator("#employee-table tr", { hasText: COURIER_2 }).textContent()).toMatch(/Active/);
		// Reinstated, the row still tells they were suspended, each change with its audit entry.
		const history = ops.locator("#employee-table tr", { hasText: COURIER_2 }).locator("details.fold");
		await history.locator("summary", { hasText: "History: 2 changes" }).click();
		const changes = (await history.locator("li").allTextContents()).join("\n");
		expect(changes).toMatch(/suspended \(asked for a honeytoken\) by detection, audit #\d+/);
		expect(changes).toMatch(/reinstated \(decoy touched during training\) by ops-e2e, audit #\d+/);
		await screenshot(ops, "ops-employees");

		// Reinstated: the call first, then the phone, as for anyone.
		await callFirst(terminal, real);
		await real.getByRole("button", { name: "Reveal" }).click();
		await expect.poll(() => real.locator(".revealed-value").textContent()).toBe(grouped(PHONE_2));

		// Signing out clears the value on show at once, and the records with it.
		await terminal.getByRole("button", { name: "Sign out" }).click();
		expect(await terminal.locator(".revealed-value").count()).toBe(0);
		const after = await pageHoldings(terminal);
		expect(after.html).not.toContain(PHONE_2);
		expect(after.html).not.toContain("E2E-0007");
	});
});

describe("audit log", () => {
	it("verifies the chain and shows the reveals just made", async () => {
		// The limiter's flush brings them to the log seconds after the decision: the page is read after it.
		await expect
			.poll(async () => (await vault.opsCall<{ entries: unknown[] }>("GET", `/v1/audit?actor=${COURIER}&kind=reveal.redeemed`)).body.entries.length, {
				timeout: 30_000,
				interval: 500,
			})
			.toBe(2);
		const ops = await open("/ops");
		await signIn(ops, opsToken);
		await ops.getByRole("button", { name: "Audit log" }).click();
		await ops.locator("#audit-table table").waitFor();
		await ops.getByLabel("Actor (sub)").fill(COURIER);
		await ops.getByLabel("Kind", { exact: true }).selectOption("reveal.redeemed");
		await ops.getByRole("button", { name: "Filter" }).click();
		await expect.poll(() => ops.locator("#audit-table tbody tr").count()).toBe(2);
		const rows = await ops.locator("#audit-table tbody tr").allTextContents();
		expect(rows.some((row) => row.includes(recordIds.first as string))).toBe(true);
		expect(rows.some((row) => row.includes(recordIds.second as string))).toBe(true);
		// Never the value itself.
		expect(rows.join("\n")).not.toContain(PHONE);

		await ops.getByRole("button", { name: "Verify chain" }).click();
		await expect
			.poll(() => ops.locator("#audit-verify-result").textContent())
			.toMatch(/^Chain intact: [\d,]+ entries checked up to #\d+\. [\d,]+ signed checkpoints verified\.$/);
		await screenshot(ops, "ops-audit");
	});
});

describe("the console behind Cloudflare Access", () => {
	it("signs the person Access let through straight in, and their changes are audited under their email", async () => {
		// What Access's edge does: add its token to every request of the signed-in person.
		const ops = await open("/ops", { headers: { "Cf-Access-Jwt-Assertion": await access.tokenFor("carol@carrier.example") } });
		await expect.poll(() => ops.locator("#session-who").textContent()).toBe("Signed in through Cloudflare Access as carol@carrier.example");
		expect(await ops.locator("#sign-in").isHidden()).toBe(true);
		await ops.locator("#policy-layers table").first().waitFor();
		await ops.getByLabel("Layer", { exact: true }).selectOption("depot");
		await ops.getByLabel("Target").fill("E2E-ACCESS");
		await ops.getByLabel("Daily limit").fill("77");
		await ops.getByRole("button", { name: "Save layer" }).click();
		await expect.poll(() => ops.locator("#notice").textContent()).toMatch(/Saved the depot E2E-ACCESS layer/);
		const audit = await vault.opsCall<{ entries: { actor: { subject: string } }[] }>("GET", "/v1/audit?kind=policy.changed&limit=1");
		expect(audit.body.entries[0]?.actor.subject).toBe("carol@carrier.example");
		await screenshot(ops, "ops-through-access");
		// Signing out ends Access's session too, or the next load would sign straight back in.
		await Promise.all([ops.waitForURL(`${vault.url}/cdn-cgi/access/logout`), ops.getByRole("button", { name: "Sign out" }).click()]);
	});

	it.each([
		["without Access's token", undefined],
		["for someone Access let through who is not on the ops list", "dave@carrier.example"],
	])("%s, the console asks for a token, as locally", async (_, email) => {
		const watched = await newPage(browser, email ? { "Cf-Access-Jwt-Assertion": await access.tokenFor(email) } : undefined);
		opened.push(watched);
		const probe = watched.page.waitForResponse((response) => response.url().endsWith("/v1/principal"));
		await watched.page.goto(`${vault.url}/ops`);
		expect((await probe).status()).toBe(401);
		await watched.page.locator('body[data-sign-in="token"]').waitFor({ state: "attached" });
		// The probe's 401 leaves no message behind: the token form is simply there.
		expect(await watched.page.locator("#sign-in").isVisible()).toBe(true);
		expect(await watched.page.locator("#console").isHidden()).toBe(true);
		expect(await watched.page.locator("#sign-in-error").textContent()).toBe("");
	});
});

describe("honeytokens and the pages themselves", () => {
	it("lists honeytokens per depot", async () => {
		const ops = await open("/ops");
		await signIn(ops, opsToken);
		await ops.getByRole("button", { name: "Honeytokens" }).click();
		const depot = ops.locator("#honeytoken-table table", { hasText: `Depot ${DEPOT} (1)` });
		await depot.waitFor();
		expect(await depot.textContent()).toContain("e2e decoy");

		// Planting from the console: an error lands next to its field, then the decoy is listed.
		const plant = ops.locator("#plant-form");
		await plant.getByLabel("Depot", { exact: true }).fill("E2E-D2");
		await plant.getByLabel("Shipment id").fill("E2E-DECOY-2");
		await plant.getByLabel("Courier (optional)").fill("e2e-courier-9");
		await plant.getByLabel("Name", { exact: true }).fill("钱七");
		await plant.getByLabel("Phone", { exact: true }).fill("12345");
		await plant.getByLabel("Address", { exact: true }).fill("浙江省杭州市西湖区文三路1号");
		await plant.getByLabel("Label for ops (optional)").fill("console decoy");
		await plant.getByRole("button", { name: "Plant" }).click();
		await expect.poll(() => ops.locator("#plant-record-contact-phone-error").textContent()).not.toBe("");
		expect(await plant.getByLabel("Phone", { exact: true }).getAttribute("aria-invalid")).toBe("true");
		expect(await ops.locator("#plant-record-depot-error").textContent()).toBe("");
		await plant.getByLabel("Phone", { exact: true }).fill("13311112222");
		await plant.getByRole("button", { name: "Plant" }).click();
		const planted = ops.locator("#honeytoken-table table", { hasText: "Depot E2E-D2 (1)" });
		await planted.waitFor();
		expect(await planted.textContent()).toContain("console decoy");
		expect(await ops.locator("#notice").textContent()).toMatch(/^Planted rec_\w+ at depot E2E-D2\.$/);
		await screenshot(ops, "ops-honeytokens");

		// A half-typed decoy does not outlive the session: the next person to sign in sees nothing of it.
		await plant.getByLabel("Shipment id").fill("E2E-DECOY-3");
		await ops.getByRole("button", { name: "Sign out" }).click();
		expect(await ops.locator("#plant-record-shipment_id").inputValue()).toBe("");
		expect(await ops.locator("#honeytoken-table").textContent()).toBe("");
	});

	it("every page and asset carries the security headers; every control has a label", async () => {
		for (const path of ["/", "/terminal", "/ops", "/ui/terminal.js", "/ui/console.js", "/ui/style.css"]) {
			const response = await fetch(`${vault.url}${path}`);
			expect(response.status, path).toBe(200);
			const csp = response.headers.get("Content-Security-Policy") ?? "";
			expect(csp, path).toContain("script-src 'self'");
			expect(csp, path).not.toContain("unsafe-inline");
			expect(csp, path).toContain("frame-ancestors 'none'");
			expect(response.headers.get("Referrer-Policy"), path).toBe("no-referrer");
		}
		for (const path of ["/terminal", "/ops"]) {
			const page = await open(path);
			const unlabelled = await unlabelledControls(page);
			expect(unlabelled, path).toEqual([]);
			expect(await page.locator('script:not([src]):not([type="application/json"])').count(), path).toBe(0);
		}
		await screenshot(await open("/"), "home");
	});
});

/** The page is no wider than the window: nothing scrolls sideways. */
const fitsViewport = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

/** Looks a demo shipment up and reveals its recipient's phone for delivery; returns the value shown. */
async function revealDemoPhone(page: Page, shipmentLabel: string, revealLabel: string) {
	await lookUp(page, "E2E-UR-01", page.getByLabel(shipmentLabel));
	const record = page.locator(`li[data-record-id="${recordIds.demoDepot}"]`);
	await record.waitFor();
	await callFirst(page, record);
	await openReveal(record);
	await record.locator("select[name=field]").selectOption("phone");
	await record.getByRole("button", { name: revealLabel, exact: true }).click();
	const value = record.locator(".revealed-value");
	await expect.poll(() => value.textContent()).toBe(grouped(PHONE_3));
	return value;
}

describe("the pages in Chinese, at a desk and on a phone", () => {
	it("a clerk with a zh-CN browser signs in through the identity provider, sees the terminal in Chinese, and reveals a grouped phone that dials", async () => {
		const page = await open("/terminal", { locale: "zh-CN" });
		expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
		expect(await page.locator("#sign-in-heading").textContent()).toBe("登录");
		expect(await page.locator("#sign-in-intro").textContent()).toContain("工作账号");
		await screenshot(page, "zh-CN-terminal-sign-in");
		await signInThroughProvider(page, "clerk-ur-ts-01-1");
		expect(await page.locator("#session-who").textContent()).toBe("已登录：clerk-ur-ts-01-1");
		expect(await page.locator("#terminal-heading").textContent()).toBe("查看联系方式");
		await expect.poll(() => page.locator("#quota").textContent()).toMatch(/剩余/);
		const value = await revealDemoPhone(page, "运单号", "查看");
		expect(await value.getAttribute("href")).toBe(`tel:${e164(PHONE_3)}`);
		expect(await value.getAttribute("aria-label")).toBe(`拨打 ${grouped(PHONE_3)}`);
		// The call's virtual number shows first, then the phone revealed after it.
		expect(await page.locator(".revealed-label").allTextContents()).toContain("电话");
		// A clerk's words, not a developer's: no English left on the screen the clerk works in.
		expect(await page.locator("#terminal").textContent()).not.toMatch(/\b(Reveal|Purpose|Field|Shipment|Clears)\b/);
		await screenshot(page, "zh-CN-terminal-revealed");
	});

	it.each([
		["zh-CN", "运单号", "查看"],
		["en", "Shipment id", "Reveal"],
	])("at 390 × 844 (%s) the terminal fits the phone: no sideways scroll, before or after a reveal", async (locale, shipmentLabel, revealLabel) => {
		const page = await open("/terminal", { locale, viewport: { width: 390, height: 844 } });
		expect(await fitsViewport(page)).toBe(true);
		await signInThroughProvider(page, "clerk-ur-ts-01-1");
		// The header keeps the name whole: one line for who is signed in.
		const who = page.locator("#session-who");
		const box = await who.boundingBox();
		const lineHeight = await who.evaluate((node) => Number.parseFloat(getComputedStyle(node).lineHeight) || 24);
		expect(box?.height ?? 0).toBeLessThan(lineHeight * 1.6);
		const value = await revealDemoPhone(page, shipmentLabel, revealLabel);
		expect(await value.getAttribute("href")).toBe(`tel:${e164(PHONE_3)}`);
		expect(await fitsViewport(page)).toBe(true);
		await screenshot(page, `${locale}-terminal-390`);
	});

	it("the audit page with a 1,000-record batch entry stays within the viewport; the ids fold behind their count and open on demand", async () => {
		const batch = Array.from({ length: 1000 }, (_, index) => ({
			shipment_id: `E2E-BATCH-${String(index).padStart(4, "0")}`,
			party: "recipient",
			contact: { name: "李四", phone: `1380000${String(index).padStart(4, "0")}`, address: "广东省深圳市南山区科技园路2号" },
			depot: DEPOT,
		}));
		const created = await vault.serviceCall<{ ids: string[] }>("POST", "/v1/records/batch", { records: batch });
		expect(created.status).toBe(201);
		for (const [locale, summary] of [
			["en", "1,000 records"],
			["zh-CN", "1,000 条记录"],
		] as const) {
			const ops = await open("/ops", { locale });
			await signIn(ops, opsToken);
			await ops.locator("#tab-audit").click();
			await ops.locator("#audit-table table").waitFor();
			await ops.locator("#audit-kind").selectOption("record.batch_created");
			await ops.locator("#audit-filters button[type=submit]").click();
			const fold = ops.locator("#audit-table details.fold", { hasText: summary });
			await fold.waitFor();
			expect(await fitsViewport(ops)).toBe(true);
			expect(await fold.locator("li").first().isVisible()).toBe(false);
			await fold.locator("summary").click();
			expect(await fold.locator("li").count()).toBe(1000);
			expect(await fold.locator("li").first().isVisible()).toBe(true);
			expect(await fitsViewport(ops)).toBe(true);
			await screenshot(ops, `${locale}-ops-audit-batch`);

			// A policy change reads as labelled fields and what changed, never as JSON.
			await ops.locator("#audit-kind").selectOption("policy.changed");
			await ops.locator("#audit-filters button[type=submit]").click();
			await ops.locator("#audit-table dl.details").first().waitFor();
			expect(await ops.locator("#audit-table tbody").textContent()).not.toContain('{"');
			expect(await fitsViewport(ops)).toBe(true);
		}
	});

	it("every page in both languages, for the record (screenshots in test-artifacts/e2e)", async () => {
		for (const locale of ["en", "zh-CN"]) {
			await screenshot(await open("/", { locale }), `${locale}-home`);
			await screenshot(await open("/ops", { locale }), `${locale}-ops-sign-in`);
			const ops = await open("/ops", { locale });
			expect(await ops.getAttribute("html", "lang")).toBe(locale);
			await signIn(ops, opsToken);
			for (const section of ["policies", "employees", "alerts", "audit", "honeytokens"]) {
				await ops.locator(`#tab-${section}`).click();
				await ops.locator(`#${section} table, #${section} [id$="-table"] > p`).first().waitFor();
				expect(await fitsViewport(ops), `${locale} ${section}`).toBe(true);
				await screenshot(ops, `${locale}-ops-${section}`);
			}
			const terminal = await open("/terminal", { locale });
			await signIn(terminal, courierToken);
			await lookUp(terminal, "E2E-0001");
			await terminal.locator(`li[data-record-id="${recordIds.first}"]`).waitFor();
			await screenshot(terminal, `${locale}-terminal-signed-in`);
		}
	});
});

describe("tracing a leak", () => {
	it("ops trace a list made of what the clerk revealed, see the clerk ranked first with the evidence, and download the signed report", async () => {
		// The list as a dealer would post it: the contact the demo clerk revealed above (the
		// courier holding that parcel never revealed it), the depot's honeytoken, and a number the
		// vault never held; names beside some lines.
		const list = [`${PHONE_3},王小明`, "135 0000 5555,赵六", "13011112222"].join("\n");
		const ops = await open("/ops");
		await signIn(ops, opsToken);
		await ops.getByRole("button", { name: "Trace a leak" }).click();
		// An empty list is refused next to the field, with nothing sent.
		await ops.getByRole("button", { name: "Trace", exact: true }).click();
		expect(await ops.locator("#trace-list-error").textContent()).toBe("The list is empty: paste at least one phone number.");
		expect(await ops.getByLabel("The list").getAttribute("aria-invalid")).toBe("true");

		// Uploaded from a file: its text lands in the form, and nowhere else.
		await ops.getByLabel("Or open a text or CSV file").setInputFiles({ name: "dealer-sample.csv", mimeType: "text/csv", buffer: Buffer.from(list) });
		await expect.poll(() => ops.getByLabel("The list").inputValue()).toBe(list);
		await ops.getByLabel("Where it was found (optional)").fill("INC-E2E-1");
		const sent = ops.waitForRequest((request) => request.url().endsWith("/v1/leaks/attribute"));
		await ops.getByRole("button", { name: "Trace", exact: true }).click();
		const request = await sent;
		expect(request.method()).toBe("POST");
		expect(request.url()).toBe(`${vault.url}/v1/leaks/attribute`);
		expect(request.postDataJSON()).toEqual({
			phones: [PHONE_3, "135 0000 5555", "13011112222"],
			names: ["王小明", "赵六", ""],
			source: "INC-E2E-1",
			days: 30,
		});

		await expect
			.poll(() => ops.locator("#trace-summary").textContent())
			.toBe("2 of 3 entries match contacts the vault holds. Distinct records, honeytokens aside: 1. Entries not readable as a phone: 0.");
		const honeytokens = ops.locator("#trace-result table", { hasText: "1 honeytoken in the list" });
		expect(await honeytokens.locator("tbody tr").count()).toBe(1);
		expect(await honeytokens.locator("tbody").textContent()).toContain(DEPOT);
		const suspects = ops.locator("#trace-result table", { hasText: "most likely first" });
		const first = suspects.locator("tbody tr").first();
		const cells = await first.locator("td").allTextContents();
		expect(cells[0]).toBe("1");
		expect(cells[1]).toContain("clerk-ur-ts-01-1");
		expect(cells[2]).toBe("Clerk");
		expect(cells[4]).toBe("1");
		expect(cells[5]).toBe("Phone 1");
		// The courier who held the parcel and never revealed it ranks below.
		const courierRow = suspects.locator("tbody tr", { hasText: "courier-ur-ts-01-2" });
		expect(await courierRow.locator("td").first().textContent()).not.toBe("1");
		// The evidence: the audit entries behind the clerk's figures, by seq and hash.
		await first.locator("details.fold summary").click();
		expect(await first.locator("details.fold li").first().textContent()).toMatch(/^#\d+ [\w-]{20,}$/);
		expect(await ops.locator("#trace-result").textContent()).toContain("UR-TS-01");

		// Neither the page's address nor its storage ever held the list, and the answer echoes no phone.
		const held = await pageHoldings(ops);
		expect(held.url).toBe(`${vault.url}/ops`);
		expect(held.storage).toBe(0);
		expect(held.cookies).not.toContain(PHONE_3);
		expect(await ops.locator("#trace-result").textContent()).not.toContain(PHONE_3.slice(3));

		const [download] = await Promise.all([ops.waitForEvent("download"), ops.getByRole("button", { name: "Download signed report" }).click()]);
		expect(download.suggestedFilename()).toMatch(/^leak-report-\d{4}-\d{2}-\d{2}\.jws$/);
		const stream = await download.createReadStream();
		const chunks: Buffer[] = [];
		for await (const chunk of stream) chunks.push(chunk as Buffer);
		const jws = Buffer.concat(chunks).toString("utf8");
		const parts = jws.split(".");
		expect(parts).toHaveLength(3);
		expect(parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part))).toBe(true);
		const header = JSON.parse(Buffer.from(parts[0] as string, "base64url").toString("utf8"));
		expect(header.typ).toBe("leak-report+jws");
		const payload = JSON.parse(Buffer.from(parts[1] as string, "base64url").toString("utf8"));
		expect(payload.source).toBe("INC-E2E-1");
		expect(payload.suspects[0].subject).toBe("clerk-ur-ts-01-1");
		expect(JSON.stringify(payload)).not.toContain(PHONE_3.slice(3));
		await screenshot(ops, "ops-trace-a-leak");

		// Signing out forgets the list and the answer.
		await ops.getByRole("button", { name: "Sign out" }).click();
		expect(await ops.locator("#trace-list").inputValue()).toBe("");
		expect(await ops.locator("#trace-result").textContent()).toBe("");
	});
});

describe("the dashboard", () => {
	it("ranks the employee at their limit first with the flag, charts each depot's hours, and a number leads to the audit", async () => {
		const ops = await open("/ops");
		await signIn(ops, opsToken);
		await ops.getByRole("button", { name: "Dashboard" }).click();
		const employees = ops.locator("#dashboard-result table", { hasText: "most used first" });
		await employees.waitFor();
		// The courier whose burst limit ops lowered to 2 used both: first, flagged near quota.
		const first = employees.locator("tbody tr").first();
		const cells = await first.locator("td").allTextContents();
		expect(cells[0]).toBe(COURIER);
		expect(cells[4]).toBe("100%");
		expect(cells[7]).toContain("near quota");
		// Each chart says in words what it draws.
		const chart = ops.locator(`#dashboard-result svg.reveals-chart[role=img][aria-label^="Depot ${DEPOT}:"]`);
		expect(await chart.getAttribute("aria-label")).toMatch(new RegExp(`^Depot ${DEPOT}: [\\d,]+ reveals? and [\\d,]+ refused over \\d+ hours$`));
		expect(await ops.locator("#dashboard-result ol.timeline li").count()).toBeGreaterThan(0);
		expect(await unlabelledControls(ops)).toEqual([]);
		expect(await fitsViewport(ops)).toBe(true);
		await screenshot(ops, "ops-dashboard");

		// The reveal count opens the audit filtered to that person's grants.
		await first.locator("td").nth(5).getByRole("button").click();
		await expect.poll(() => ops.locator("#audit").isVisible()).toBe(true);
		expect(await ops.locator("#audit-actor").inputValue()).toBe(COURIER);
		await ops.locator("#audit-table tbody tr").first().waitFor();
		const rows = await ops.locator("#audit-table tbody tr").allTextContents();
		expect(rows.every((row) => row.includes(COURIER) && row.includes("Reveal granted"))).toBe(true);
	});

	it("a what-if lowering a courier's daily limit shows the refusals it would have caused, before saving", async () => {
		const ops = await open("/ops");
		await signIn(ops, opsToken);
		await ops.locator("#policy-layers table").first().waitFor();
		// The courier's own layer (burst 2, saved above), edited: a daily limit of 1 on top.
		await ops.locator("#policy-layers tr", { hasText: COURIER }).getByRole("button", { name: "Edit" }).click();
		await expect.poll(() => ops.getByLabel("Burst limit", { exact: true }).inputValue()).toBe("2");
		await ops.getByLabel("Daily limit").fill("1");
		await ops.getByRole("button", { name: "Preview on last week" }).click();
		const summary = ops.locator("#policy-preview-summary");
		await summary.waitFor();
		const [, asks, current, proposed] =
			/^Of ([\d,]+) asks of the last 7 days, today's limits refuse ([\d,]+); with this layer, ([\d,]+)\.$/.exec((await summary.textContent()) ?? "") ?? [];
		expect(Number(asks?.replace(/,/g, ""))).toBeGreaterThan(0);
		expect(Number(proposed?.replace(/,/g, ""))).toBeGreaterThan(Number(current?.replace(/,/g, "")));
		// The courier who revealed more than once a day would have been refused, and the chart says so in words.
		const table = ops.locator("#policy-preview-result table");
		const row = table.locator("tbody tr", { hasText: COURIER });
		const cells = await row.first().locator("td").allTextContents();
		expect(Number(cells[5])).toBeGreaterThan(Number(cells[4]));
		expect(await ops.locator("#policy-preview-result svg[role=img]").first().getAttribute("aria-label")).toMatch(/daily: \d+ today, [1-9]\d* with this layer/);
		// The courier's calls (made above) are replayed too, under call limits this layer leaves as they are.
		const [, calls, callsNow, callsProposed] =
			/^Of ([\d,]+) calls of the same days, today's call limits refuse ([\d,]+); with this layer, ([\d,]+)\.$/.exec(
				(await ops.locator("#policy-preview-calls").textContent()) ?? "",
			) ?? [];
		expect(Number(calls?.replace(/,/g, ""))).toBeGreaterThan(0);
		expect(callsProposed).toBe(callsNow);
		// Nothing was saved by the preview; saving after it works.
		const layers = await vault.opsCall<{ policies: { target: string; daily_limit: number | null }[] }>("GET", "/v1/policies");
		expect(layers.body.policies.find((p) => p.target === COURIER)?.daily_limit ?? null).toBeNull();
		await screenshot(ops, "ops-policy-preview");
		await ops.getByRole("button", { name: "Save layer" }).click();
		await expect.poll(() => ops.locator("#notice").textContent()).toMatch(/Saved the employee e2e-courier layer/);
	});
});

describe("a row changed straight in the database", () => {
	it("is named on the audit page: the layer a DBA raised fails its MAC and is not used as it reads", async () => {
		const saved = await vault.opsCall("PUT", "/v1/policies/depot/E2E-DBA", { mode: "enforce", daily_limit: 50 });
		expect(saved.status).toBe(201);
		// The edit a DBA with the D1 console could make: the layer's limit raised, its MAC left as it was.
		vault.dba("UPDATE policies SET daily_limit = 100000 WHERE layer = 'depot' AND target = 'E2E-DBA'");
		const ops = await open("/ops");
		await signIn(ops, opsToken);
		await ops.getByRole("button", { name: "Audit log" }).click();
		await ops.getByRole("button", { name: "Verify chain" }).click();
		await expect
			.poll(() => ops.locator("#audit-verify-result").textContent())
			.toMatch(/^1 row fails its MAC and is not used as it reads \(policies depot\S*E2E-DBA: mac_invalid\)\.$/);
		expect(await ops.locator("#audit-broken").isVisible()).toBe(true);
	});
});
