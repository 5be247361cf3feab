import { html } from "hono/html";
import { AUDIT_KINDS } from "../audit/entry";
import { layout, signInSection } from "./layout";
import type { SignInOption } from "./sign-in-options";

const SECTIONS = [
	["policies", "Policies"],
	["employees", "Employees"],
	["alerts", "Alerts"],
	["audit", "Audit log"],
	["honeytokens", "Honeytokens"],
] as const;

/** A number field of the policy form, with its error slot next to it (filled from the 422's pointers). */
function limitField(name: string, label: string, hint: string) {
	return html`<div class="field">
<label for="policy-${name}">${label}</label>
<input id="policy-${name}" name="${name}" type="number" inputmode="numeric" min="1" step="1" aria-describedby="policy-${name}-hint policy-${name}-error">
<p class="hint" id="policy-${name}-hint">${hint}</p>
<p class="field-error" id="policy-${name}-error"></p>
</div>`;
}

/**
 * A field of the plant form. Its id follows the JSON Pointer (RFC 6901) the API names it by in a
 * 422, so the script puts each error next to its field: `/record/contact/phone` → `plant-record-contact-phone`.
 */
function plantField(pointer: string, label: string, control = "input") {
	const id = `plant${pointer.replace(/\//g, "-")}`;
	const input =
		control === "party"
			? html`<select id="${id}" name="${pointer}" aria-describedby="${id}-error"><option value="recipient">Recipient</option><option value="sender">Sender</option></select>`
			: html`<input id="${id}" name="${pointer}" spellcheck="false" autocomplete="off" aria-describedby="${id}-error">`;
	return html`<div class="field"><label for="${id}">${label}</label>${input}<p class="field-error" id="${id}-error"></p></div>`;
}

/** The ops console: policies, employees, alerts, audit, honeytokens; each section loads when opened. */
export function consolePage(signIn: { options: readonly SignInOption[]; paste: boolean }) {
	return layout({
		title: "Ops console",
		script: "console.js",
		data: { scope: "ops" },
		content: html`${signInSection({
			intro: "Sign in with your ops account. In production this page sits behind Cloudflare Access, which signs you in by itself (see the README).",
			options: signIn.options,
			paste: signIn.paste ? { label: "Ops token", hint: html`A bearer token with the <code>ops</code> scope. Kept in this page's memory only.` } : null,
		})}
<section id="console" hidden>
<nav aria-label="Console sections"><ul class="tabs">${SECTIONS.map(
			([id, label]) => html`<li><button type="button" class="tab" id="tab-${id}" aria-controls="${id}" aria-pressed="false">${label}</button></li>`,
		)}</ul></nav>
<p id="notice" class="notice" role="alert"></p>

<section id="policies" class="panel" hidden aria-labelledby="policies-heading">
<h1 id="policies-heading">Policies</h1>
<p>Layers resolve from the most specific down: employee, depot, role, default. For each limit, the most specific enforcing layer applies; report-only layers above it are evaluated and recorded, never refusing.</p>
<div id="policy-layers"></div>
<h2 id="policy-form-heading">Set a layer</h2>
<form id="policy-form" method="post" autocomplete="off" novalidate aria-labelledby="policy-form-heading">
<div class="field">
<label for="policy-layer">Layer</label>
<select id="policy-layer" name="layer"><option value="employee">Employee</option><option value="depot">Depot</option><option value="role">Role</option><option value="default">Default</option></select>
</div>
<div class="field">
<label for="policy-target">Target</label>
<input id="policy-target" name="target" spellcheck="false" aria-describedby="policy-target-hint policy-target-error">
<p class="hint" id="policy-target-hint">An employee's sub, a depot id, or a role (courier, clerk, supervisor, service). Empty for the default layer.</p>
<p class="field-error" id="policy-target-error"></p>
</div>
<div class="field">
<input id="policy-report-only" name="report_only" type="checkbox" role="switch" aria-describedby="policy-report-only-hint policy-mode-error">
<label for="policy-report-only">Report only</label>
<p class="hint" id="policy-report-only-hint">Record what this layer would refuse, refuse nothing: try a tighter limit before enforcing it.</p>
<p class="field-error" id="policy-mode-error"></p>
</div>
<fieldset><legend>Limits (empty defers to the layer below)</legend>
${limitField("burst_limit", "Burst limit", "Reveals per burst window, 1–1000.")}
${limitField("burst_window_seconds", "Burst window (seconds)", "10 seconds to 24 hours; set with the burst limit.")}
${limitField("daily_limit", "Daily limit", "Reveals per rolling 24 hours, 1–5000.")}
${limitField("distinct_limit", "Distinct records limit", "Different records per rolling 24 hours, at most the daily limit.")}
${limitField("ring_threshold", "Ring threshold", "Depot and default layers: employees at quota on one day that raise a ring alert.")}
${limitField("depot_daily_budget", "Depot daily budget", "Depot and default layers: reveals by the whole depot per 24 hours before a critical alert.")}
${limitField("lookup_limit", "Lookup limit", "Shipment scans and phone lookups per lookup window.")}
${limitField("lookup_window_seconds", "Lookup window (seconds)", "10 seconds to 24 hours; set with the lookup limit.")}
${limitField("lookup_daily_limit", "Daily lookup limit", "Lookups per rolling 24 hours.")}
${limitField("miss_limit", "Miss limit", "Employee scans per hour that find nothing of theirs; past it lookups stop and ops are alerted.")}
${limitField("refusal_limit", "Refusal budget", "Refused requests per hour audited one by one; past it 429, summed into one entry a minute.")}
</fieldset>
<button type="submit">Save layer</button>
</form>
<h2 id="effective-heading">Limits as they resolve for one employee</h2>
<form id="effective-form" method="post" autocomplete="off" novalidate aria-labelledby="effective-heading">
<div class="field"><label for="effective-subject">Employee sub</label><input id="effective-subject" name="subject" required spellcheck="false"></div>
<div class="field"><label for="effective-role">Role</label><select id="effective-role" name="role"><option value="courier">Courier</option><option value="clerk">Clerk</option><option value="supervisor">Supervisor</option></select></div>
<div class="field"><label for="effective-depot">Depot</label><input id="effective-depot" name="depot" spellcheck="false"></div>
<button type="submit">Resolve</button>
</form>
<div id="effective-result" aria-live="polite"></div>
</section>

<section id="employees" class="panel" hidden aria-labelledby="employees-heading">
<h1 id="employees-heading">Employees</h1>
<p>Employees who asked for a reveal in the last 24 hours, and everyone ever suspended or reinstated. Usage is read from each employee's limiter.</p>
<form id="employee-find" method="post" autocomplete="off" novalidate>
<label for="employee-subject">Show a principal by sub</label>
<input id="employee-subject" name="subject" spellcheck="false">
<label for="employee-kind">Principal kind</label>
<select id="employee-kind" name="kind"><option value="employee">Employee</option><option value="service">Service</option></select>
<button type="submit">Show</button>
</form>
<div id="employee-table"></div>
</section>

<section id="alerts" class="panel" hidden aria-labelledby="alerts-heading">
<h1 id="alerts-heading">Alerts</h1>
<p>Newest first. Each says what triggered it and whether the alert webhook has it.</p>
<button type="button" id="alerts-refresh">Refresh</button>
<div id="alert-table"></div>
</section>

<section id="audit" class="panel" hidden aria-labelledby="audit-heading">
<h1 id="audit-heading">Audit log</h1>
<form id="audit-filters" method="post" autocomplete="off" novalidate aria-label="Audit filters">
<div class="field"><label for="audit-actor">Actor (sub)</label><input id="audit-actor" name="actor" spellcheck="false"></div>
<div class="field"><label for="audit-kind">Kind</label><select id="audit-kind" name="kind"><option value="">Any</option>${AUDIT_KINDS.map((kind) => html`<option value="${kind}">${kind}</option>`)}</select></div>
<div class="field"><label for="audit-record">Record id</label><input id="audit-record" name="record_id" spellcheck="false"></div>
<div class="field"><label for="audit-from">From</label><input id="audit-from" name="from" type="datetime-local"></div>
<div class="field"><label for="audit-to">To (that minute included)</label><input id="audit-to" name="to" type="datetime-local"></div>
<button type="submit">Filter</button>
</form>
<button type="button" id="audit-verify">Verify chain</button>
<div id="audit-verify-result" aria-live="polite"></div>
<div id="audit-table"></div>
<button type="button" id="audit-more" hidden>Older entries</button>
</section>

<section id="honeytokens" class="panel" hidden aria-labelledby="honeytokens-heading">
<h1 id="honeytokens-heading">Honeytokens</h1>
<p>Decoy records, per depot. Any reveal ask for one suspends the asker and raises a critical alert; a leaked list that contains one tells which depot it came from.</p>
<div id="honeytoken-table"></div>
<h2 id="plant-heading">Plant a honeytoken</h2>
<p>Make it look like the depot's real parcels: a plausible shipment id, a courier of that depot, an invented customer. Nobody but ops can tell it apart.</p>
<form id="plant-form" method="post" autocomplete="off" novalidate aria-labelledby="plant-heading">
<fieldset><legend>Decoy record</legend>
${plantField("/record/depot", "Depot")}
${plantField("/record/shipment_id", "Shipment id")}
${plantField("/record/party", "Party", "party")}
${plantField("/record/courier", "Courier (optional)")}
${plantField("/record/contact/name", "Name")}
${plantField("/record/contact/phone", "Phone")}
${plantField("/record/contact/address", "Address")}
${plantField("/label", "Label for ops (optional)")}
</fieldset>
<button type="submit">Plant</button>
</form>
</section>
</section>`,
	});
}
