/** Steps on the depot terminal and checks on any page, shared by the e2e suites. */
import type { Locator, Page } from "playwright-core";
import { expect } from "vitest";

/**
 * Looks a shipment up with the terminal's form and waits for the answer: the list's heading line
 * names the shipment and no longer says it is looking it up (in either language). Returns that line.
 */
export async function lookUp(page: Page, shipment: string, field: Locator = page.locator("#shipment")): Promise<string> {
	await field.fill(shipment);
	await field.press("Enter");
	const heading = page.locator("#records-empty");
	let text = "";
	await expect
		.poll(async () => {
			text = (await heading.textContent()) ?? "";
			return text.includes(shipment) && !/^(Looking up|正在查询)/.test(text);
		})
		.toBe(true);
	return text;
}

/**
 * Calls the record's customer for delivery with its Call button, as a delivery's phone is revealed
 * only after a call on the leg (DESIGN "Calls instead of numbers"), and waits for the call's number.
 */
export async function callFirst(page: Page, record: Locator): Promise<void> {
	await record.locator("select[name=purpose]").selectOption("delivery");
	const asked = page.waitForResponse((response) => response.url().endsWith("/v1/calls") && response.request().method() === "POST");
	await record.locator("button.call-button").click();
	expect((await asked).status()).toBe(201);
	await record.locator(".call-number").waitFor();
}

/** Controls with no accessible name: no label, no aria-label, no text. */
export const unlabelledControls = (page: Page): Promise<string[]> =>
	page.evaluate(() =>
		Array.from(document.querySelectorAll("input, select, textarea, button"))
			.filter((node) => {
				const control = node as HTMLInputElement;
				return control.labels?.length === 0 && !control.getAttribute("aria-label") && !(node.textContent ?? "").trim();
			})
			.map((node) => node.id || node.outerHTML),
	);
