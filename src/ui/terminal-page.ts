import { html } from "hono/html";
import type { PageLanguage } from "../i18n/page-language";
import { PURPOSE_RULES, PURPOSES } from "../reveals/scope";
import { layout, signInSection, withMarkup } from "./layout";
import type { SignInOption } from "./sign-in-options";

/** The idle time in the sign-in's words ("5 minutes"), through Intl for the page's locale. */
function idleWords(locale: string, seconds: number): string {
	const minutes = Math.round(seconds / 60);
	return seconds % 60 === 0
		? new Intl.NumberFormat(locale, { style: "unit", unit: "minute", unitDisplay: "long" }).format(minutes)
		: new Intl.NumberFormat(locale, { style: "unit", unit: "second", unitDisplay: "long" }).format(seconds);
}

/** The depot terminal: scan a parcel, see its masked contacts, reveal one field for a purpose. */
export function terminalPage(language: PageLanguage, revealSeconds: number, idleSeconds: number, signIn: { options: readonly SignInOption[]; paste: boolean }) {
	const { t } = language;
	// The purposes an employee may state, with the parties and fields each allows, from the one
	// table every reveal is judged by: the page offers nothing the vault would refuse on purpose.
	const purposes = PURPOSES.filter((purpose) => PURPOSE_RULES[purpose].principal === "employee");
	return layout({
		language,
		title: t("page.terminal"),
		script: "terminal.js",
		data: { "reveal-seconds": revealSeconds, "idle-seconds": idleSeconds, scope: "reveal" },
		content: html`${signInSection({
			language,
			intro: t("signIn.terminalIntro"),
			note: t("signIn.terminalPrivacy", { duration: idleWords(language.locale, idleSeconds) }),
			options: signIn.options,
			paste: signIn.paste
				? { label: t("signIn.terminalToken"), hint: withMarkup(t("signIn.terminalTokenHint"), "command", html`<code>npm run token</code>`) }
				: null,
		})}
<section id="terminal" hidden aria-labelledby="terminal-heading">
<h1 id="terminal-heading">${t("terminal.heading")}</h1>
<form id="scan-form" method="post" autocomplete="off" novalidate>
<label for="shipment">${t("terminal.shipment")}</label>
<input id="shipment" name="shipment" autocomplete="off" spellcheck="false" required maxlength="64" aria-describedby="shipment-hint">
<p class="hint" id="shipment-hint">${t("terminal.shipmentHint")}</p>
<button type="submit">${t("terminal.lookUp")}</button>
</form>
<section class="quota" aria-labelledby="quota-heading">
<h2 id="quota-heading">${t("terminal.quotaHeading")}</h2>
<p id="quota" aria-live="polite">—</p>
</section>
<p id="notice" class="notice" role="alert"></p>
<section aria-labelledby="records-heading">
<h2 id="records-heading">${t("terminal.contactsHeading")}</h2>
<p id="records-empty" aria-live="polite">${t("terminal.empty")}</p>
<p id="records-hint" class="hint" hidden></p>
<ul id="records" class="records"></ul>
</section>
<template id="purpose-options">${purposes.map(
			(purpose) =>
				html`<option value="${purpose}" data-parties="${PURPOSE_RULES[purpose].parties.join(" ")}" data-fields="${PURPOSE_RULES[purpose].fields.join(" ")}">${t(`purpose.${purpose}`)}</option>`,
		)}</template>
</section>`,
	});
}
