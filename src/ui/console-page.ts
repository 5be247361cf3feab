import type { z } from "@hono/zod-openapi";
import { html } from "hono/html";
import { AUDIT_KINDS } from "../audit/entry";
import { ROLES } from "../auth/principal";
import type { MessageKey } from "../i18n/catalogs";
import type { PageLanguage } from "../i18n/page-language";
import type { PolicyInput } from "../limits/schemas";
import { layout, signInSection, withMarkup } from "./layout";
import type { SignInOption } from "./sign-in-options";

const SECTIONS = ["dashboard", "policies", "employees", "alerts", "audit", "honeytokens", "leaks"] as const;
/**
 * How the policy form shows each field `PUT /v1/policies/…` takes (PolicyInput): a Record over the
 * schema's keys, so a field added to the API and not to the form fails the typecheck. `min` is the
 * schema's lower bound: 0 where 0 is a value of its own (no grace, no plaintext phones), not "unset".
 */
type PolicyField = Exclude<keyof z.input<typeof PolicyInput>, "mode">;
const POLICY_FIELDS: Record<PolicyField, { group: "limits" | "calls" | "work"; min: number } | { group: "work"; choice: "boolean" }> = {
	burst_limit: { group: "limits", min: 1 },
	burst_window_seconds: { group: "limits", min: 10 },
	daily_limit: { group: "limits", min: 1 },
	distinct_limit: { group: "limits", min: 1 },
	ring_threshold: { group: "limits", min: 2 },
	depot_daily_budget: { group: "limits", min: 1 },
	lookup_limit: { group: "limits", min: 1 },
	lookup_window_seconds: { group: "limits", min: 10 },
	lookup_daily_limit: { group: "limits", min: 1 },
	miss_limit: { group: "limits", min: 1 },
	refusal_limit: { group: "limits", min: 1 },
	case_limit: { group: "limits", min: 0 },
	plaintext_phone_limit: { group: "limits", min: 0 },
	call_burst_limit: { group: "calls", min: 1 },
	call_burst_window_seconds: { group: "calls", min: 10 },
	call_daily_limit: { group: "calls", min: 1 },
	call_distinct_limit: { group: "calls", min: 1 },
	require_active_leg: { group: "work", choice: "boolean" },
	leg_grace_seconds: { group: "work", min: 0 },
	stale_window_seconds: { group: "work", min: 0 },
};
export const POLICY_FORM_FIELDS = Object.keys(POLICY_FIELDS) as PolicyField[];

/**
 * A field of the policy form, with its error slot next to it (filled from the 422's pointers). Its
 * `data-policy-field` names the API's field: the script reads and fills the form by it. A yes/no
 * field is a select whose empty choice is null, "inherit": the layer below decides.
 */
function policyField({ t }: PageLanguage, name: PolicyField) {
	const spec = POLICY_FIELDS[name];
	const described = `policy-${name}-hint policy-${name}-error`;
	const control =
		"choice" in spec
			? html`<select id="policy-${name}" name="${name}" data-policy-field="${name}" data-kind="boolean" aria-describedby="${described}"><option value="">${t("policies.inherit")}</option><option value="1">${t("policies.yes")}</option><option value="0">${t("policies.no")}</option></select>`
			: html`<input id="policy-${name}" name="${name}" data-policy-field="${name}" type="number" inputmode="numeric" min="${spec.min}" step="1" aria-describedby="${described}">`;
	return html`<div class="field">
<label for="policy-${name}">${t(`policies.${name}`)}</label>
${control}
<p class="hint" id="policy-${name}-hint">${t(`policies.${name}.hint`)}</p>
<p class="field-error" id="policy-${name}-error"></p>
</div>`;
}

/**
 * A field of the plant form. Its id follows the JSON Pointer (RFC 6901) the API names it by in a
 * 422, so the script puts each error next to its field: `/record/contact/phone` → `plant-record-contact-phone`.
 */
function plantField({ t }: PageLanguage, pointer: string, label: MessageKey, control = "input") {
	const id = `plant${pointer.replace(/\//g, "-")}`;
	const input =
		control === "party"
			? html`<select id="${id}" name="${pointer}" aria-describedby="${id}-error"><option value="recipient">${t("party.recipient")}</option><option value="sender">${t("party.sender")}</option></select>`
			: html`<input id="${id}" name="${pointer}" spellcheck="false" autocomplete="off" aria-describedby="${id}-error">`;
	return html`<div class="field"><label for="${id}">${t(label)}</label>${input}<p class="field-error" id="${id}-error"></p></div>`;
}

/** The ops console: dashboard, policies, employees, alerts, audit, honeytokens, leak tracing; each section loads when opened. */
export function consolePage(language: PageLanguage, signIn: { options: readonly SignInOption[]; paste: boolean }) {
	const { t } = language;
	return layout({
		language,
		title: t("page.console"),
		script: "console.js",
		data: { scope: "ops" },
		content: html`${signInSection({
			language,
			intro: t("signIn.consoleIntro"),
			options: signIn.options,
			paste: signIn.paste ? { label: t("signIn.consoleToken"), hint: withMarkup(t("signIn.consoleTokenHint"), "scope", html`<code>ops</code>`) } : null,
		})}
<section id="console" hidden>
<nav aria-label="${t("console.sections")}"><ul class="tabs">${SECTIONS.map(
			(id) => html`<li><button type="button" class="tab" id="tab-${id}" aria-controls="${id}" aria-pressed="false">${t(`section.${id}`)}</button></li>`,
		)}</ul></nav>
<p id="notice" class="notice" role="alert"></p>

<section id="dashboard" class="panel" hidden aria-labelledby="dashboard-heading">
<h1 id="dashboard-heading">${t("section.dashboard")}</h1>
<p>${t("dashboard.intro")}</p>
<form id="dashboard-form" method="post" autocomplete="off" novalidate aria-labelledby="dashboard-heading">
<label for="dashboard-days">${t("dashboard.days")}</label>
<select id="dashboard-days" name="days"><option value="1">${t("dashboard.days.1")}</option><option value="7">${t("dashboard.days.7")}</option></select>
<button type="submit">${t("dashboard.refresh")}</button>
</form>
<div id="dashboard-result" aria-live="polite"></div>
</section>

<section id="policies" class="panel" hidden aria-labelledby="policies-heading">
<h1 id="policies-heading">${t("section.policies")}</h1>
<p>${t("policies.intro")}</p>
<div id="policy-layers"></div>
<h2 id="policy-form-heading">${t("policies.formHeading")}</h2>
<form id="policy-form" method="post" autocomplete="off" novalidate aria-labelledby="policy-form-heading">
<div class="field">
<label for="policy-layer">${t("policies.layer")}</label>
<select id="policy-layer" name="layer">${(["employee", "depot", "role", "default"] as const).map(
			(layer) => html`<option value="${layer}">${t(`policies.layer.${layer}`)}</option>`,
		)}</select>
</div>
<div class="field">
<label for="policy-target">${t("policies.target")}</label>
<input id="policy-target" name="target" spellcheck="false" aria-describedby="policy-target-hint policy-target-error">
<p class="hint" id="policy-target-hint">${t("policies.targetHint")}</p>
<p class="field-error" id="policy-target-error"></p>
</div>
<div class="field">
<input id="policy-report-only" name="report_only" type="checkbox" role="switch" aria-describedby="policy-report-only-hint policy-mode-error">
<label for="policy-report-only">${t("policies.reportOnly")}</label>
<p class="hint" id="policy-report-only-hint">${t("policies.reportOnlyHint")}</p>
<p class="field-error" id="policy-mode-error"></p>
</div>
<fieldset><legend>${t("policies.limits")}</legend>
${POLICY_FORM_FIELDS.filter((name) => POLICY_FIELDS[name].group === "limits").map((name) => policyField(language, name))}
</fieldset>
<fieldset><legend>${t("policies.calls")}</legend>
${POLICY_FORM_FIELDS.filter((name) => POLICY_FIELDS[name].group === "calls").map((name) => policyField(language, name))}
</fieldset>
<fieldset><legend>${t("policies.work")}</legend>
${POLICY_FORM_FIELDS.filter((name) => POLICY_FIELDS[name].group === "work").map((name) => policyField(language, name))}
</fieldset>
<button type="button" id="policy-preview">${t("policies.preview")}</button>
<button type="submit">${t("policies.save")}</button>
</form>
<div id="policy-preview-result" aria-live="polite"></div>
<h2 id="effective-heading">${t("policies.effectiveHeading")}</h2>
<form id="effective-form" method="post" autocomplete="off" novalidate aria-labelledby="effective-heading">
<div class="field"><label for="effective-subject">${t("policies.subject")}</label><input id="effective-subject" name="subject" required spellcheck="false"></div>
<div class="field"><label for="effective-role">${t("policies.role")}</label><select id="effective-role" name="role">${ROLES.map(
			(role) => html`<option value="${role}">${t(`role.${role}`)}</option>`,
		)}</select></div>
<div class="field"><label for="effective-depot">${t("policies.depot")}</label><input id="effective-depot" name="depot" spellcheck="false"></div>
<button type="submit">${t("policies.resolve")}</button>
</form>
<div id="effective-result" aria-live="polite"></div>
</section>

<section id="employees" class="panel" hidden aria-labelledby="employees-heading">
<h1 id="employees-heading">${t("section.employees")}</h1>
<p>${t("employees.intro")}</p>
<form id="employee-find" method="post" autocomplete="off" novalidate>
<label for="employee-subject">${t("employees.find")}</label>
<input id="employee-subject" name="subject" spellcheck="false">
<label for="employee-kind">${t("employees.kind")}</label>
<select id="employee-kind" name="kind"><option value="employee">${t("employees.kind.employee")}</option><option value="service">${t("employees.kind.service")}</option></select>
<button type="submit">${t("employees.show")}</button>
</form>
<div id="employee-table"></div>
</section>

<section id="alerts" class="panel" hidden aria-labelledby="alerts-heading">
<h1 id="alerts-heading">${t("section.alerts")}</h1>
<p>${t("alerts.intro")}</p>
<button type="button" id="alerts-refresh">${t("alerts.refresh")}</button>
<div id="alert-table"></div>
</section>

<section id="audit" class="panel" hidden aria-labelledby="audit-heading">
<h1 id="audit-heading">${t("section.audit")}</h1>
<form id="audit-filters" method="post" autocomplete="off" novalidate aria-label="${t("audit.filters")}">
<div class="field"><label for="audit-actor">${t("audit.actor")}</label><input id="audit-actor" name="actor" spellcheck="false"></div>
<div class="field"><label for="audit-kind">${t("audit.kind")}</label><select id="audit-kind" name="kind"><option value="">${t("audit.anyKind")}</option>${AUDIT_KINDS.map(
			(kind) => html`<option value="${kind}">${t(`audit.${kind}`)}</option>`,
		)}</select></div>
<div class="field"><label for="audit-record">${t("audit.record")}</label><input id="audit-record" name="record_id" spellcheck="false"></div>
<div class="field"><label for="audit-from">${t("audit.from")}</label><input id="audit-from" name="from" type="datetime-local"></div>
<div class="field"><label for="audit-to">${t("audit.to")}</label><input id="audit-to" name="to" type="datetime-local"></div>
<button type="submit">${t("audit.filter")}</button>
</form>
<button type="button" id="audit-verify">${t("audit.verify")}</button>
<div id="audit-verify-result" aria-live="polite"></div>
<div id="audit-table"></div>
<button type="button" id="audit-more" hidden>${t("audit.older")}</button>
</section>

<section id="honeytokens" class="panel" hidden aria-labelledby="honeytokens-heading">
<h1 id="honeytokens-heading">${t("section.honeytokens")}</h1>
<p>${t("honeytokens.intro")}</p>
<div id="honeytoken-table"></div>
<h2 id="plant-heading">${t("honeytokens.plantHeading")}</h2>
<p>${t("honeytokens.plantIntro")}</p>
<form id="plant-form" method="post" autocomplete="off" novalidate aria-labelledby="plant-heading">
<fieldset><legend>${t("honeytokens.decoy")}</legend>
${plantField(language, "/record/depot", "honeytokens.depot")}
${plantField(language, "/record/shipment_id", "honeytokens.shipment")}
${plantField(language, "/record/party", "honeytokens.party", "party")}
${plantField(language, "/record/courier", "honeytokens.courier")}
${plantField(language, "/record/contact/name", "field.name")}
${plantField(language, "/record/contact/phone", "field.phone")}
${plantField(language, "/record/contact/address", "field.address")}
${plantField(language, "/label", "honeytokens.label")}
</fieldset>
<button type="submit">${t("honeytokens.plant")}</button>
</form>
</section>

<section id="leaks" class="panel" hidden aria-labelledby="leaks-heading">
<h1 id="leaks-heading">${t("section.leaks")}</h1>
<p>${t("leaks.intro")}</p>
<form id="trace-form" method="post" autocomplete="off" novalidate aria-labelledby="leaks-heading">
<div class="field">
<label for="trace-list">${t("leaks.list")}</label>
<textarea id="trace-list" name="list" rows="8" spellcheck="false" autocomplete="off" aria-describedby="trace-list-hint trace-list-error"></textarea>
<p class="hint" id="trace-list-hint">${t("leaks.listHint")}</p>
<p class="field-error" id="trace-list-error"></p>
</div>
<div class="field">
<label for="trace-file">${t("leaks.file")}</label>
<input id="trace-file" name="file" type="file" accept=".txt,.csv,.tsv,text/plain,text/csv">
</div>
<div class="field">
<label for="trace-source">${t("leaks.source")}</label>
<input id="trace-source" name="source" spellcheck="false" maxlength="200" aria-describedby="trace-source-hint trace-source-error">
<p class="hint" id="trace-source-hint">${t("leaks.sourceHint")}</p>
<p class="field-error" id="trace-source-error"></p>
</div>
<div class="field">
<label for="trace-days">${t("leaks.days")}</label>
<input id="trace-days" name="days" type="number" inputmode="numeric" min="1" max="90" step="1" value="30">
</div>
<button type="submit">${t("leaks.trace")}</button>
</form>
<div id="trace-result" aria-live="polite"></div>
</section>
</section>`,
	});
}
