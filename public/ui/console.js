// @ts-check
/**
 * The ops console: one section at a time, each loaded from the API when opened. Everything shown is
 * what the API returned at that moment; nothing is kept beyond the page's memory. Each section is a
 * module of its own (console/*.js) with `load` (fill it from the API) and `reset` (forget it all).
 */
import * as alerts from "./console/alerts.js";
import * as audit from "./console/audit.js";
import * as dashboard from "./console/dashboard.js";
import * as employees from "./console/employees.js";
import * as honeytokens from "./console/honeytokens.js";
import * as leaks from "./console/leaks.js";
import { problemText, say } from "./console/notice.js";
import * as policies from "./console/policies.js";
import { byId } from "./dom.js";
import { t } from "./i18n.js";
import { api, signInThroughAccess, wireSignIn } from "./session.js";

/** @typedef {{ load: () => Promise<void>, reset: () => void }} Section */

/** @type {Record<string, Section>} */
const SECTIONS = { dashboard, policies, employees, alerts, audit, honeytokens, leaks };

/** @param {string} section */
async function open(section) {
	for (const id of Object.keys(SECTIONS)) {
		byId(id, HTMLElement).hidden = id !== section;
		byId(`tab-${id}`, HTMLButtonElement).setAttribute("aria-pressed", String(id === section));
	}
	say("");
	await SECTIONS[section]?.load();
}

for (const id of Object.keys(SECTIONS)) byId(`tab-${id}`, HTMLButtonElement).addEventListener("click", () => open(id));

function openConsole() {
	byId("console", HTMLElement).hidden = false;
	open("policies");
	byId("tab-policies", HTMLButtonElement).focus();
}

wireSignIn({
	check: (claims) =>
		String(claims.scope ?? "")
			.split(" ")
			.includes("ops")
			? null
			: t("console.notOps"),
	verify: async () => {
		const answer = await api("GET", "/v1/policies");
		return answer.ok ? null : answer.status === 403 ? t("console.noOpsScope") : problemText(answer);
	},
	ready: () => openConsole(),

	cleared: () => {
		byId("console", HTMLElement).hidden = true;
		for (const section of Object.values(SECTIONS)) section.reset();
		// Nothing typed stays for whoever sits down next: a half-planted decoy, filters, a layer being edited.
		for (const form of document.querySelectorAll("#console form")) {
			/** @type {HTMLFormElement} */ (form).reset();
			for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
			for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
		}
		say("");
	},
});

// Behind Cloudflare Access, no token to paste: the person Access let in is signed in already.
signInThroughAccess(
	(principal) => principal.scopes.includes("ops"),
	() => openConsole(),
);
