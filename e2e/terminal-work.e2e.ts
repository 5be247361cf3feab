/**
 * The depot terminal and the work behind each parcel, in headless Chromium against `wrangler dev`:
 * "not yours" told apart from a number the depot does not hold, each parcel's leg shown, a stale
 * refusal that refreshes the list instead of inviting another tap, a customer-service reveal with
 * its case id, and calls beside reveals on the ops dashboard. Fixtures go through the API.
 *
 * With `README_SCREENSHOTS=1` the last test also writes the README's two screenshots to
 * docs/screenshots/ at fixed sizes (`npm run screenshots`); otherwise they go to test-artifacts/ only.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, launchBrowser, newPage, type PageOptions, type WatchedPage } from "./support/browser.ts";
import { callFirst, lookUp, unlabelledControls } from "./support/terminal-steps.ts";
import { startVault, type Vault } from "./support/vault.ts";

const DEPOT = "E2E-W1";
const OTHER_DEPOT = "E2E-W2";
const COURIER = "e2e-work-courier";
const COLLEAGUE = "e2e-work-colleague";
const COURIER_PHONE = "+8613912340077";
/** The README's pictures: fixed viewports, so they look the same run after run. */
const README_SHOTS = join("docs", "screenshots");

let vault: Vault;
let browser: Browser;
let courierToken: string;
const opened: WatchedPage[] = [];

async function createRecord(shipment: string, party: string, phone: string, courier: string, depot = DEPOT): Promise<string> {
	const { status, body } = await vault.serviceCall<{ id: string }>("POST", "/v1/records", {
		shipment_id: shipment,
		party,
		contact: { name: "陈小红", phone, address: "广东省深圳市福田区深南大道100号" },
		depot,
		courier,
	});
	expect(status).toBe(201);
	return body.id;
}

async function events(list: Record<string, unknown>[]): Promise<void> {
	const { status } = await vault.serviceCall("POST", "/v1/shipment-events", { events: list });
	expect(status).toBe(200);
}

beforeAll(async () => {
	vault = await startVault({ PAGES_TOKEN_PASTE: "1" });
	browser = await launchBrowser();
	courierToken = await vault.token(COURIER, "reveal", { role: "courier", depot: DEPOT, phoneNumber: COURIER_PHONE });
}, 240_000);

afterAll(async () => {
	for (const { page, errors } of opened) expect(errors, page.url()).toEqual([]);
	await browser?.close();
	await vault?.proxySettled();
	const violations = vault?.responseViolations() ?? [];
	vault?.stop();
	expect(violations).toEqual([]);
});

async function open(path: string, options: PageOptions = {}): Promise<Page> {
	const watched = await newPage(browser, undefined, options);
	opened.push(watched);
	const response = await watched.page.goto(`${vault.url}${path}`);
	expect(response?.status()).toBe(200);
	return watched.page;
}

/** Signs in with a pasted token (the developer's form this vault enables), in any language. */
async function signIn(page: Page, token: string): Promise<void> {
	await page.locator("#token").fill(token);
	await page.locator("#token").press("Enter");
	await page.locator("#session").waitFor({ state: "visible" });
}

describe("the terminal tells what it found", () => {
	it("a colleague's parcel at the depot is 'not yours'; a mistyped number and another depot's parcel are both 'no such shipment here'", async () => {
		await createRecord("E2E-W-COLLEAGUE", "recipient", "13800110011", COLLEAGUE);
		await createRecord("E2E-W-ELSEWHERE", "recipient", "13800110022", "e2e-work-far", OTHER_DEPOT);
		const page = await open("/terminal");
		await signIn(page, courierToken);

		expect(await lookUp(page, "E2E-W-COLLEAGUE")).toBe("No contact of shipment E2E-W-COLLEAGUE is assigned to you or your depot.");
		expect(await page.locator("#records-hint").textContent()).toBe(
			"It is at your depot, assigned to someone else. If it should be yours, ask your supervisor to assign it to you.",
		);
		expect(await page.locator("#records-hint").isVisible()).toBe(true);

		expect(await lookUp(page, "E2E-W-COLEAGUE")).toBe("Your depot has no shipment E2E-W-COLEAGUE. Check the number on the label; it may be mistyped.");
		expect(await page.locator("#records-hint").isVisible()).toBe(false);
		// Another depot's parcel reads exactly as a typo: the terminal learns nothing of other depots.
		expect(await lookUp(page, "E2E-W-ELSEWHERE")).toBe("Your depot has no shipment E2E-W-ELSEWHERE. Check the number on the label; it may be mistyped.");
		expect(await page.locator("li.record").count()).toBe(0);
	});
});

describe("each parcel shows the work on it", () => {
	it("shows an open delivery leg and none on a parcel without one, and opens on the purpose of the open work", async () => {
		const open_ = await createRecord("E2E-W-OPEN", "recipient", "13800220011", COURIER);
		await events([{ shipment_id: "E2E-W-OPEN", type: "out_for_delivery", courier: COURIER, depot: DEPOT }]);
		const idle = await createRecord("E2E-W-IDLE", "sender", "13800220022", COURIER);
		const page = await open("/terminal");
		await signIn(page, courierToken);

		await lookUp(page, "E2E-W-OPEN");
		const record = page.locator(`li[data-record-id="${open_}"]`);
		expect(await record.locator(".leg").textContent()).toBe("Work: Delivery open");
		expect(await record.locator(".leg").getAttribute("data-leg")).toBe("open");
		expect(await record.getByLabel("Purpose", { exact: true }).inputValue()).toBe("delivery");

		await lookUp(page, "E2E-W-IDLE");
		const other = page.locator(`li[data-record-id="${idle}"]`);
		expect(await other.locator(".leg").textContent()).toBe("Work: no delivery, pickup or return of yours");
		expect(await other.locator(".leg").getAttribute("data-leg")).toBe("none");
		expect(await unlabelledControls(page)).toEqual([]);
	});

	it("after a stale refusal the page says so, refreshes the list, and the parcel's controls stay off instead of inviting another tap", async () => {
		const id = await createRecord("E2E-W-STALE", "recipient", "13800330011", COURIER);
		await events([{ shipment_id: "E2E-W-STALE", type: "out_for_delivery", courier: COURIER, depot: DEPOT }]);
		const page = await open("/terminal");
		await signIn(page, courierToken);
		await lookUp(page, "E2E-W-STALE");
		const record = page.locator(`li[data-record-id="${id}"]`);
		expect(await record.locator(".leg").getAttribute("data-leg")).toBe("open");

		// Dispatch cancels the delivery while the courier's screen still shows it open.
		await events([{ shipment_id: "E2E-W-STALE", type: "cancelled" }]);
		await record.locator("details.reveal-more summary").click();
		await record.getByLabel("Field", { exact: true }).selectOption("name");
		const asked = page.waitForResponse((response) => response.url().endsWith("/v1/reveals") && response.request().method() === "POST");
		const refreshed = page.waitForResponse((response) => response.url().includes("/v1/records?shipment_id=E2E-W-STALE"));
		await record.getByRole("button", { name: "Reveal" }).click();
		expect((await asked).status()).toBe(403);
		expect(((await (await asked).json()) as { type: string; refresh?: boolean }).refresh).toBe(true);
		// The list was looked up again on its own, and says what happened.
		expect((await refreshed).status()).toBe(200);
		await expect
			.poll(() => page.locator("#notice").textContent())
			.toBe("This parcel's delivery, pickup or return has just closed or moved to someone else. Your list was out of date and has been refreshed.");
		const fresh = page.locator(`li[data-record-id="${id}"]`);
		await expect.poll(() => fresh.locator(".leg").getAttribute("data-leg")).toBe("closed");
		expect(await fresh.locator(".leg").textContent()).toBe("Work: Delivery closed");
		expect(await fresh.getByRole("button", { name: "Call", exact: true }).isDisabled()).toBe(true);
		expect(await fresh.locator(".reveal-more-body button[type=submit]").isDisabled()).toBe(true);
		expect(await fresh.locator(".work-ended").isVisible()).toBe(true);
		// Customer service is a case, not work on the parcel: it stays open.
		await fresh.getByLabel("Purpose", { exact: true }).selectOption("customer_service");
		expect(await fresh.getByRole("button", { name: "Call", exact: true }).isDisabled()).toBe(false);
		expect(await fresh.locator(".work-ended").isVisible()).toBe(false);
	});

	it("customer service asks for the case id before anything is sent, then reveals the phone for that case", async () => {
		const phone = "13800440011";
		const id = await createRecord("E2E-W-CASE", "recipient", phone, COURIER);
		const page = await open("/terminal");
		await signIn(page, courierToken);
		await lookUp(page, "E2E-W-CASE");
		const record = page.locator(`li[data-record-id="${id}"]`);
		const caseField = record.getByLabel("Case id");
		expect(await caseField.isVisible()).toBe(false);
		await record.getByLabel("Purpose", { exact: true }).selectOption("customer_service");
		expect(await caseField.isVisible()).toBe(true);
		await record.locator("details.reveal-more summary").click();
		expect(await record.getByLabel("Field", { exact: true }).inputValue()).toBe("phone");

		const sent: string[] = [];
		page.on("request", (request) => {
			if (request.url().endsWith("/v1/reveals")) sent.push(request.postData() ?? "");
		});
		await record.getByRole("button", { name: "Reveal" }).click();
		expect(await record.locator(".case-field .field-error").textContent()).toBe("Type the case id first.");
		expect(await caseField.getAttribute("aria-invalid")).toBe("true");
		expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("case_id");
		expect(sent).toEqual([]);

		await caseField.fill("CS-E2E-0042");
		await record.getByRole("button", { name: "Reveal" }).click();
		await expect.poll(() => record.locator(".revealed-value").textContent()).toBe(`+86 ${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`);
		expect(JSON.parse(sent[0] ?? "{}")).toEqual({ record_id: id, fields: ["phone"], purpose: "customer_service", case_id: "CS-E2E-0042" });
		// The case is in the audit entry, once the limiter has flushed it (seconds).
		const caseOfGrant = async () =>
			(await vault.opsCall<{ entries: { details: { case_id?: string } }[] }>("GET", `/v1/audit?record_id=${id}&kind=reveal.granted`)).body.entries[0]?.details
				.case_id;
		await expect.poll(caseOfGrant, { timeout: 30_000, interval: 1_000 }).toBe("CS-E2E-0042");
	});
});

/** Calls the vault straight (not through the validating proxy) as an employee, as a terminal would. */
async function asEmployee(bearer: string, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
	const response = await fetch(`${vault.url}${path}`, {
		method: "POST",
		headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
		body: JSON.stringify(body),
	});
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * Two more depots at work, so the dashboard shows what ops look for: a clerk at E2E-W2 revealing
 * 17 of their 20 in ten minutes (near quota, at the top), and a courier at E2E-W3 calling three
 * customers and revealing two addresses.
 */
async function busyDepots(): Promise<void> {
	const parcels = (depot: string, courier: string, count: number) =>
		Array.from({ length: count }, (_, index) => ({
			shipment_id: `E2E-${depot}-${String(index).padStart(3, "0")}`,
			party: "recipient",
			contact: { name: "周小军", phone: `1370000${depot.slice(-1)}${String(index).padStart(3, "0")}`, address: "广东省广州市天河区体育西路1号" },
			depot,
			courier,
		}));
	const create = async (records: ReturnType<typeof parcels>) => {
		const created = await vault.serviceCall<{ ids: string[] }>("POST", "/v1/records/batch", { records });
		expect(created.status).toBe(201);
		await events(records.map((record) => ({ shipment_id: record.shipment_id, type: "out_for_delivery", courier: record.courier, depot: record.depot })));
		return created.body.ids;
	};
	const clerk = await vault.token("e2e-work-clerk", "reveal", { role: "clerk", depot: "E2E-W2" });
	for (const id of await create(parcels("E2E-W2", "e2e-work-w2", 17))) {
		expect((await asEmployee(clerk, "/v1/reveals", { record_id: id, fields: ["name"], purpose: "delivery" })).status).toBe(201);
	}
	const caller = await vault.token("e2e-work-w3", "reveal", { role: "courier", depot: "E2E-W3", phoneNumber: "+8613912340078" });
	const ids = await create(parcels("E2E-W3", "e2e-work-w3", 3));
	for (const id of ids) expect((await asEmployee(caller, "/v1/calls", { record_id: id, purpose: "delivery" })).status).toBe(201);
	for (const id of ids.slice(0, 2)) {
		expect((await asEmployee(caller, "/v1/reveals", { record_id: id, fields: ["address"], purpose: "delivery" })).status).toBe(201);
	}
}

describe("ops see calls beside reveals", () => {
	it("the dashboard charts each depot's calls per hour next to its reveals, with the counts in the table", async () => {
		const id = await createRecord("E2E-W-CALL", "recipient", "13800550011", COURIER);
		await events([{ shipment_id: "E2E-W-CALL", type: "out_for_delivery", courier: COURIER, depot: DEPOT }]);
		const terminal = await open("/terminal", { locale: "zh-CN", viewport: { width: 390, height: 844 } });
		await signIn(terminal, courierToken);
		await lookUp(terminal, "E2E-W-CALL");
		const record = terminal.locator(`li[data-record-id="${id}"]`);
		expect(await record.locator(".leg").textContent()).toBe("任务： 派送进行中");
		await callFirst(terminal, record);
		expect(await terminal.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
		await terminal.screenshot({ path: join(ARTIFACTS, "readme-terminal-zh-CN.png") });

		// The limiter flushes its audit entries within seconds; the dashboard reads them from the log.
		await expect
			.poll(
				async () => {
					const { body } = await vault.opsCall<{ hours: { depot: string | null; calls: number }[] }>("GET", `/v1/dashboard?depot=${DEPOT}`);
					return body.hours.reduce((sum, row) => sum + row.calls, 0);
				},
				{ timeout: 30_000, interval: 1_000 },
			)
			.toBe(1);
		await busyDepots();
		const ops = await open("/ops", { viewport: { width: 1280, height: 800 } });
		await signIn(ops, await vault.token("ops-e2e-work", "ops"));
		await ops.getByRole("button", { name: "Dashboard" }).click();
		const calls = ops.locator(`#dashboard-result svg.calls-chart[aria-label^="Depot ${DEPOT}:"]`);
		await calls.waitFor();
		expect(await calls.getAttribute("aria-label")).toMatch(new RegExp(`^Depot ${DEPOT}: 1 call and 0 refused over \\d+ hours$`));
		expect(await calls.locator("rect.bar-call").count()).toBe(1);
		const row = ops.locator("#dashboard-result table tr", { hasText: DEPOT }).first();
		const cells = await row.locator("td").allTextContents();
		// Depot | reveals | refused | calls | calls refused: the customer-service reveal above, and the one refused stale ask.
		expect(cells.slice(3)).toEqual(["1", "0"]);
		expect(await ops.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
		await ops.screenshot({ path: join(ARTIFACTS, "readme-ops-dashboard.png") });

		if (process.env.README_SCREENSHOTS === "1") {
			mkdirSync(README_SHOTS, { recursive: true });
			copyFileSync(join(ARTIFACTS, "readme-terminal-zh-CN.png"), join(README_SHOTS, "terminal-zh-CN.png"));
			copyFileSync(join(ARTIFACTS, "readme-ops-dashboard.png"), join(README_SHOTS, "ops-dashboard.png"));
		}
	});
});
