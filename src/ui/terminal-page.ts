import { html } from "hono/html";
import { PURPOSE_RULES, PURPOSES } from "../reveals/scope";
import { layout, signInSection } from "./layout";
import type { SignInOption } from "./sign-in-options";

const PURPOSE_LABELS: Record<string, string> = {
	delivery: "Delivery (recipient)",
	pickup: "Pickup (sender)",
	return: "Return (sender or recipient)",
	customer_service: "Customer service (phone only)",
};

/** The depot terminal: scan a parcel, see its masked contacts, reveal one field for a purpose. */
export function terminalPage(revealSeconds: number, idleSeconds: number, signIn: { options: readonly SignInOption[]; paste: boolean }) {
	// The purposes an employee may state, with the parties and fields each allows, from the one
	// table every reveal is judged by: the page offers nothing the vault would refuse on purpose.
	const purposes = PURPOSES.filter((purpose) => PURPOSE_RULES[purpose].principal === "employee");
	return layout({
		title: "Depot terminal",
		script: "terminal.js",
		data: { "reveal-seconds": revealSeconds, "idle-seconds": idleSeconds, scope: "reveal" },
		content: html`${signInSection({
			intro: "Sign in with your work account to see the contacts of your parcels.",
			options: signIn.options,
			paste: signIn.paste
				? {
						label: "Employee token",
						hint: html`A token from <code>npm run token</code>. It is kept in this page's memory only and forgotten when you sign out or leave.`,
					}
				: null,
		})}
<section id="terminal" hidden aria-labelledby="terminal-heading">
<h1 id="terminal-heading">Reveal a contact</h1>
<form id="scan-form" method="post" autocomplete="off" novalidate>
<label for="shipment">Shipment id</label>
<input id="shipment" name="shipment" autocomplete="off" spellcheck="false" required maxlength="64" aria-describedby="shipment-hint">
<p class="hint" id="shipment-hint">Type it, or scan the parcel's barcode into this field.</p>
<button type="submit">Look up</button>
</form>
<section class="quota" aria-labelledby="quota-heading">
<h2 id="quota-heading">Your remaining reveals</h2>
<p id="quota" aria-live="polite">—</p>
</section>
<p id="notice" class="notice" role="alert"></p>
<section aria-labelledby="records-heading">
<h2 id="records-heading">Contacts</h2>
<p id="records-empty" aria-live="polite">Look up a shipment to see its contacts, masked.</p>
<ul id="records" class="records"></ul>
</section>
<template id="purpose-options">${purposes.map(
			(purpose) =>
				html`<option value="${purpose}" data-parties="${PURPOSE_RULES[purpose].parties.join(" ")}" data-fields="${PURPOSE_RULES[purpose].fields.join(" ")}">${PURPOSE_LABELS[purpose] ?? purpose}</option>`,
		)}</template>
</section>`,
	});
}
