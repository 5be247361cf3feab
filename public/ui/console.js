// @ts-check
/**
 * The ops console: one section at a time, each loaded from the API when opened. Everything shown is
 * what the API returned at that moment; nothing is kept beyond the page's memory.
 */
import { byId, duration, el, table, when } from "./dom.js";
import { api, signInThroughAccess, wireSignIn } from "./session.js";

const notice = byId("notice", HTMLElement);
const SECTIONS = ["policies", "employees", "alerts", "audit", "honeytokens"];
const LAYER_ORDER = ["employee", "depot", "role", "default"];
const LAYER_NAMES = /** @type {Record<string, string>} */ ({
	employee: "Employee layers",
	depot: "Depot layers",
	role: "Role layers",
	default: "Default layer",
});
const LIMIT_FIELDS = [
	"burst_limit",
	"burst_window_seconds",
	"daily_limit",
	"distinct_limit",
	"ring_threshold",
	"depot_daily_budget",
	"lookup_limit",
	"lookup_window_seconds",
	"lookup_daily_limit",
	"miss_limit",
	"refusal_limit",
];

/** @param {string} message */
function say(message) {
	notice.textContent = message;
}

/** @param {import("./session.js").ApiAnswer} answer */
function problemText(answer) {
	const problem = answer.problem ?? {};
	if (answer.status === 0) return "The vault did not answer. Check the network and try again.";
	if (answer.status === 403) return "This token may not do that (it needs the ops scope, and nobody changes their own limits or status).";
	return [problem.title, problem.detail].filter(Boolean).join(": ") || `The vault answered ${answer.status}.`;
}

/** @param {Record<string, unknown>} details */
function describeDetails(details) {
	return Object.entries(details)
		.filter(([, value]) => value !== null && value !== undefined)
		.map(([key, value]) => `${key.replace(/_/g, " ")}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`)
		.join("; ");
}

// ---------------------------------------------------------------- sections

/** @type {Record<string, () => Promise<void>>} */
const loaders = {};

/** @param {string} section */
async function open(section) {
	for (const id of SECTIONS) {
		byId(id, HTMLElement).hidden = id !== section;
		byId(`tab-${id}`, HTMLButtonElement).setAttribute("aria-pressed", String(id === section));
	}
	say("");
	await loaders[section]?.();
}

for (const id of SECTIONS) byId(`tab-${id}`, HTMLButtonElement).addEventListener("click", () => open(id));

// ---------------------------------------------------------------- policies

/** @typedef {{ layer: string, target: string, target_issuer?: string, mode: string, version: number, updated_by: string, updated_at: number, [field: string]: unknown }} Policy */

const policyForm = byId("policy-form", HTMLFormElement);
/** The version of the layer being edited, for If-Match (RFC 9110 §13.1.1); null for a new layer. */
let editingVersion = /** @type {number | null} */ (null);
/** The issuer of the employee layer being edited: an employee is the pair (issuer, subject). */
let editingIssuer = /** @type {string | null} */ (null);

/**
 * The path of a layer; an employee layer names its issuer (`?issuer=`, else the employee issuer).
 * @param {string} layer @param {string} target @param {string | null | undefined} issuer
 */
function layerPath(layer, target, issuer) {
	if (layer === "default") return "/v1/policies/default";
	const path = `/v1/policies/${layer}/${encodeURIComponent(target)}`;
	return layer === "employee" && issuer ? `${path}?${new URLSearchParams({ issuer })}` : path;
}

/** @param {unknown} value */
const limitText = (value) => (value === null || value === undefined ? "—" : String(value));

/**
 * Shows the layers as stored, and returns them (null when the vault refused, which it says).
 * @returns {Promise<Policy[] | null>}
 */
async function loadPolicies() {
	const answer = await api("GET", "/v1/policies");
	const holder = byId("policy-layers", HTMLElement);
	if (!answer.ok) {
		say(problemText(answer));
		return null;
	}
	const policies = /** @type {Policy[]} */ (answer.body.policies);
	holder.replaceChildren(
		...LAYER_ORDER.map((layer) => {
			const rows = policies.filter((policy) => policy.layer === layer);
			return table(
				`${LAYER_NAMES[layer]} (${rows.length})`,
				["Target", "Mode", "Burst", "Daily", "Distinct", "Ring threshold", "Depot budget", "Changed", "Actions"],
				rows.map((policy) => [
					policy.target || "(everyone)",
					policy.mode === "report-only" ? "report only" : "enforce",
					policy.burst_limit == null ? "—" : `${policy.burst_limit} per ${duration(Number(policy.burst_window_seconds))}`,
					limitText(policy.daily_limit),
					limitText(policy.distinct_limit),
					limitText(policy.ring_threshold),
					limitText(policy.depot_daily_budget),
					policy.updated_at === 0 ? `v${policy.version}, as installed` : `v${policy.version} by ${policy.updated_by}, ${when(policy.updated_at)}`,
					policyActions(policy),
				]),
			);
		}),
	);
	return policies;
}

loaders.policies = async () => {
	await loadPolicies();
};

/** @param {Policy} policy */
function policyActions(policy) {
	const name = policy.target ? `${policy.layer} ${policy.target}` : policy.layer;
	const edit = el("button", { type: "button", "aria-label": `Edit ${name}` }, "Edit");
	edit.addEventListener("click", () => editPolicy(policy));
	if (policy.layer === "default") return edit;
	const remove = el("button", { type: "button", "aria-label": `Remove ${name}` }, "Remove");
	remove.addEventListener("click", async () => {
		// If-Match with the version shown: a layer changed since is not removed unseen (412).
		const answer = await api("DELETE", layerPath(policy.layer, policy.target, policy.target_issuer), undefined, { "If-Match": `"${policy.version}"` });
		say(answer.ok ? `Removed the ${name} layer.` : problemText(answer));
		await loaders.policies?.();
	});
	return el("span", {}, edit, " ", remove);
}

/** @param {string} name */
const policyInput = (name) => byId(`policy-${name}`, HTMLInputElement);

/** @param {Policy} policy */
function editPolicy(policy) {
	clearPolicyErrors();
	byId("policy-layer", HTMLSelectElement).value = policy.layer;
	policyInput("target").value = policy.target;
	policyInput("report-only").checked = policy.mode === "report-only";
	for (const field of LIMIT_FIELDS) policyInput(field).value = policy[field] == null ? "" : String(policy[field]);
	editingVersion = policy.version;
	editingIssuer = policy.target_issuer || null;
	policyInput("burst_limit").focus();
}

function clearPolicyErrors() {
	for (const slot of policyForm.querySelectorAll(".field-error")) slot.textContent = "";
	for (const input of policyForm.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

/**
 * Puts each error next to its field: the 422's `errors` carry JSON Pointers (RFC 6901) into the body.
 * @param {{ pointer: string, message: string }[]} errors
 */
function showPolicyErrors(errors) {
	let first = /** @type {HTMLElement | null} */ (null);
	for (const { pointer, message } of errors) {
		const field = pointer.replace(/^\//, "").split("/")[0] || "mode";
		const slot = document.getElementById(`policy-${field}-error`) ?? byId("policy-mode-error", HTMLElement);
		slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
		const input = document.getElementById(`policy-${field === "mode" ? "report-only" : field}`);
		input?.setAttribute("aria-invalid", "true");
		first ??= input;
	}
	first?.focus();
}

byId("policy-layer", HTMLSelectElement).addEventListener("change", () => {
	editingVersion = null;
});
policyInput("target").addEventListener("input", () => {
	editingVersion = null;
	editingIssuer = null;
});

policyForm.addEventListener("submit", async (event) => {
	event.preventDefault();
	clearPolicyErrors();
	const layer = byId("policy-layer", HTMLSelectElement).value;
	const target = policyInput("target").value.trim();
	if (layer !== "default" && target === "") return showPolicyErrors([{ pointer: "/target", message: "Name the employee, depot or role this layer is for." }]);
	/** @type {Record<string, unknown>} */
	const body = { mode: policyInput("report-only").checked ? "report-only" : "enforce" };
	const unreadable = LIMIT_FIELDS.filter((field) => policyInput(field).validity.badInput);
	if (unreadable.length > 0)
		return showPolicyErrors(unreadable.map((field) => ({ pointer: `/${field}`, message: "Enter a whole number, or leave it empty." })));
	for (const field of LIMIT_FIELDS) {
		const raw = policyInput(field).value.trim();
		body[field] = raw === "" ? null : Number(raw);
	}
	const path = layerPath(layer, target, editingIssuer);
	// If-Match (RFC 9110 §13.1.1) with the version read: never overwrite a change made since; and
	// If-None-Match: * (§13.1.2) for a new layer, so it never replaces one that exists.
	const answer = await api("PUT", path, body, editingVersion === null ? { "If-None-Match": "*" } : { "If-Match": `"${editingVersion}"` });
	if (answer.status === 422 && Array.isArray(answer.problem?.errors)) {
		say("The layer was not saved: see the fields marked below.");
		return showPolicyErrors(answer.problem.errors);
	}
	if (answer.status === 409 || answer.status === 412) {
		const policies = await loadPolicies();
		if (policies === null) return;
		const stored = policies.find((policy) => policy.layer === layer && policy.target === (layer === "default" ? "" : target));
		if (!stored) {
			editingVersion = null;
			return say("This layer was removed meanwhile. Saving again creates it anew.");
		}
		editPolicy(stored);
		return say("This layer was changed by someone else, or exists already: the form now shows it as stored. Make your change again and save.");
	}
	if (!answer.ok) return say(problemText(answer));
	editingVersion = null;
	say(`Saved the ${layer === "default" ? "default" : `${layer} ${target}`} layer (version ${answer.body.version}); it applies to the next ask.`);
	await loaders.policies?.();
});

byId("effective-form", HTMLFormElement).addEventListener("submit", async (event) => {
	event.preventDefault();
	const subject = byId("effective-subject", HTMLInputElement).value.trim();
	const role = byId("effective-role", HTMLSelectElement).value;
	const depot = byId("effective-depot", HTMLInputElement).value.trim();
	const result = byId("effective-result", HTMLElement);
	if (!subject) return result.replaceChildren(el("p", { class: "field-error" }, "Name the employee (their sub)."));
	const query = new URLSearchParams({ subject, role, ...(depot ? { depot } : {}) });
	const answer = await api("GET", `/v1/policies/effective?${query}`);
	if (!answer.ok) return result.replaceChildren(el("p", { class: "problem" }, problemText(answer)));
	/** @param {Record<string, unknown>} rule */
	const row = (rule) => [String(rule.kind), String(rule.limit), duration(Number(rule.window_seconds)), `${rule.layer}${rule.target ? ` ${rule.target}` : ""}`];
	result.replaceChildren(
		table(`Enforced for ${subject}`, ["Limit", "Reveals", "Per", "From layer"], answer.body.enforced.map(row)),
		answer.body.shadow.length
			? table("Report only (evaluated and recorded, never refusing)", ["Limit", "Reveals", "Per", "From layer"], answer.body.shadow.map(row))
			: el("p", {}, "No report-only layer applies."),
		el("p", {}, `Ring alert at ${answer.body.ring_threshold} employees at quota in a day; depot budget ${answer.body.depot_daily_budget} reveals a day.`),
	);
});

// ---------------------------------------------------------------- employees

/** @typedef {{ subject: string, issuer_alias?: string, kind: string, role: string | null, depot: string | null, status: string, last_seen_at: number | null }} Listed */
/** @typedef {{ suspension: { at: number, reason: string, by: string } | null, limits: { kind: string, limit: number, used: number, reset_seconds: number }[], role: string | null, depot: string | null }} Usage */

const MAX_EMPLOYEE_ROWS = 100;

/** @param {Listed} listed */
function usagePath(listed) {
	const query = new URLSearchParams({ kind: listed.kind === "service" ? "service" : "employee" });
	if (listed.role && listed.kind !== "service") query.set("role", listed.role);
	if (listed.depot && listed.kind !== "service") query.set("depot", listed.depot);
	if (listed.issuer_alias) query.set("issuer", listed.issuer_alias);
	return `/v1/employees/${encodeURIComponent(listed.subject)}?${query}`;
}

/**
 * @param {Listed[]} listed
 */
async function renderEmployees(listed) {
	const shown = listed.slice(0, MAX_EMPLOYEE_ROWS);
	const usages = await Promise.all(shown.map((row) => api("GET", usagePath(row))));
	/** @param {Usage | null} usage @param {string} kind */
	const used = (usage, kind) => {
		const limit = usage?.limits.find((item) => item.kind === kind);
		return limit ? `${limit.used} of ${limit.limit}` : "—";
	};
	const rows = shown.map((row, index) => {
		const answer = usages[index];
		const usage = answer?.ok ? /** @type {Usage} */ (answer.body) : null;
		const suspended = usage ? usage.suspension !== null : row.status === "suspended";
		const status = usage?.suspension
			? `Suspended (${usage.suspension.reason}, by ${usage.suspension.by}, ${when(usage.suspension.at)})`
			: usage
				? "Active"
				: `${row.status} (usage unavailable)`;
		return [
			row.subject,
			row.role ?? "—",
			row.depot ?? "—",
			status,
			used(usage, "burst"),
			used(usage, "daily"),
			used(usage, "distinct"),
			when(row.last_seen_at),
			statusAction(row, suspended, index),
		];
	});
	byId("employee-table", HTMLElement).replaceChildren(
		table(
			listed.length > MAX_EMPLOYEE_ROWS ? `Employees (first ${MAX_EMPLOYEE_ROWS} of ${listed.length})` : `Employees (${listed.length})`,
			["Employee", "Role", "Depot", "Status", "Burst used", "Today used", "Different contacts today", "Last seen", "Action"],
			rows,
		),
	);
}

/**
 * @param {Listed} row
 * @param {boolean} suspended
 * @param {number} index
 */
function statusAction(row, suspended, index) {
	const action = suspended ? "reinstate" : "suspend";
	const label = suspended ? "Reinstate" : "Suspend";
	const id = `employee-${index}-reason`;
	const reason = el("input", { id, name: "reason", maxlength: 200, spellcheck: "false", "aria-describedby": `${id}-error` });
	const error = el("span", { class: "field-error", id: `${id}-error` });
	const form = el(
		"form",
		{ class: "inline", method: "post", "aria-label": `${label} ${row.subject}` },
		el("label", { for: id }, `Reason to ${action} ${row.subject}`),
		reason,
		el("button", { type: "submit" }, label),
		error,
	);
	form.addEventListener("submit", async (event) => {
		event.preventDefault();
		const text = /** @type {HTMLInputElement} */ (reason).value.trim();
		if (!text) {
			error.textContent = "Say why: the reason goes into the audit log.";
			reason.setAttribute("aria-invalid", "true");
			return reason.focus();
		}
		const kind = row.kind === "service" ? "service" : "employee";
		const query = new URLSearchParams({ kind, ...(row.issuer_alias ? { issuer: row.issuer_alias } : {}) });
		const answer = await api("POST", `/v1/employees/${encodeURIComponent(row.subject)}/${action}?${query}`, { reason: text });
		if (!answer.ok) return say(problemText(answer));
		say(`${row.subject} is ${answer.body.status === "suspended" ? "suspended" : "reinstated"}.`);
		await loaders.employees?.();
	});
	return form;
}

/** Employees ops asked for by name, kept on the list for this page's life. */
const looked = /** @type {Map<string, Listed>} */ (new Map());

loaders.employees = async () => {
	const answer = await api("GET", "/v1/employees");
	if (!answer.ok) return say(problemText(answer));
	const listed = /** @type {Listed[]} */ (answer.body.principals);
	const extra = [...looked.values()].filter((row) => !listed.some((other) => other.subject === row.subject && other.issuer_alias === row.issuer_alias));
	await renderEmployees([...extra, ...listed]);
};

byId("employee-find", HTMLFormElement).addEventListener("submit", async (event) => {
	event.preventDefault();
	const subject = byId("employee-subject", HTMLInputElement).value.trim();
	const kind = byId("employee-kind", HTMLSelectElement).value;
	if (!subject) return;
	const answer = await api("GET", `/v1/employees/${encodeURIComponent(subject)}?kind=${kind}`);
	if (!answer.ok) return say(problemText(answer));
	looked.set(subject, {
		subject,
		issuer_alias: answer.body.issuer_alias,
		kind,
		role: answer.body.role,
		depot: answer.body.depot,
		status: answer.body.suspension ? "suspended" : "active",
		last_seen_at: null,
	});
	await loaders.employees?.();
});

// ---------------------------------------------------------------- alerts

const ALERT_NAMES = /** @type {Record<string, string>} */ ({
	honeytoken_touched: "Honeytoken touched",
	out_of_scope_probing: "Out-of-scope probing",
	daily_quota_reached: "Daily quota reached",
	depot_ring_suspected: "Several employees of one depot at quota",
	depot_budget_exceeded: "Depot budget exceeded",
	key_missing: "Encryption key missing",
});

loaders.alerts = async () => {
	const answer = await api("GET", "/v1/alerts?limit=100");
	if (!answer.ok) return say(problemText(answer));
	/** @type {{ at: number, severity: string, kind: string, subject: string | null, depot: string | null, details: Record<string, unknown>, delivery: string, attempts: number }[]} */
	const alerts = answer.body.alerts;
	byId("alert-table", HTMLElement).replaceChildren(
		alerts.length === 0
			? el("p", {}, "No alerts.")
			: table(
					`Alerts, newest first (${alerts.length})`,
					["When", "Severity", "What", "Who", "Triggered by", "Webhook"],
					alerts.map((alert) => [
						when(alert.at),
						alert.severity,
						ALERT_NAMES[alert.kind] ?? alert.kind,
						[alert.subject, alert.depot ? `depot ${alert.depot}` : null].filter(Boolean).join(", ") || "—",
						describeDetails(alert.details) || "—",
						alert.delivery === "pending" ? `pending (${alert.attempts} attempts)` : alert.delivery.replace(/_/g, " "),
					]),
				),
	);
};
byId("alerts-refresh", HTMLButtonElement).addEventListener("click", () => loaders.alerts?.());

// ---------------------------------------------------------------- audit

/** @typedef {{ seq: number, at: string, kind: string, actor: { subject: string, role: string | null, depot: string | null } | null, record_id: string | null, details: Record<string, unknown>, hash: string | null }} Entry */

let auditCursor = /** @type {string | null} */ (null);
/** @type {Entry[]} */
let auditEntries = [];

function auditQuery() {
	const query = new URLSearchParams({ limit: "100" });
	for (const [name, id] of [
		["actor", "audit-actor"],
		["record_id", "audit-record"],
	]) {
		const value = byId(/** @type {string} */ (id), HTMLInputElement).value.trim();
		if (value) query.set(/** @type {string} */ (name), value);
	}
	const kind = byId("audit-kind", HTMLSelectElement).value;
	if (kind) query.set("kind", kind);
	for (const [name, id] of [
		["from", "audit-from"],
		["to", "audit-to"],
	]) {
		const value = byId(/** @type {string} */ (id), HTMLInputElement).value;
		// datetime-local is local time to the minute; "to" is exclusive, so it ends after that minute.
		if (value) query.set(/** @type {string} */ (name), String(new Date(value).getTime() + (name === "to" ? 60_000 : 0)));
	}
	return query;
}

/** The filters of the page on show: "Older entries" pages through them, not through edits since. */
let auditFilters = new URLSearchParams();

async function loadAudit(more = false) {
	if (!more) auditFilters = auditQuery();
	const query = new URLSearchParams(auditFilters);
	if (more && auditCursor) query.set("cursor", auditCursor);
	const answer = await api("GET", `/v1/audit?${query}`);
	if (!answer.ok) return say(problemText(answer));
	auditEntries = more ? [...auditEntries, ...answer.body.entries] : answer.body.entries;
	auditCursor = answer.body.next_cursor;
	byId("audit-more", HTMLButtonElement).hidden = auditCursor === null;
	byId("audit-table", HTMLElement).replaceChildren(
		table(
			`Entries, newest first (${auditEntries.length}${auditCursor ? "+" : ""})`,
			["#", "When", "Kind", "Actor", "Record", "Details", "Sealed"],
			auditEntries.map((entry) => [
				entry.seq,
				when(entry.at),
				entry.kind,
				entry.actor ? `${entry.actor.subject}${entry.actor.role ? ` (${entry.actor.role}, ${entry.actor.depot})` : ""}` : "vault",
				entry.record_id ?? "—",
				describeDetails(entry.details),
				entry.hash ? el("code", { title: entry.hash }, `${entry.hash.slice(0, 10)}…`) : "not yet",
			]),
		),
	);
}

loaders.audit = () => loadAudit();
byId("audit-filters", HTMLFormElement).addEventListener("submit", (event) => {
	event.preventDefault();
	loadAudit();
});
byId("audit-more", HTMLButtonElement).addEventListener("click", () => loadAudit(true));

byId("audit-verify", HTMLButtonElement).addEventListener("click", async () => {
	const result = byId("audit-verify-result", HTMLElement);
	result.replaceChildren(el("p", {}, "Verifying the chain…"));
	const answer = await api("GET", "/v1/audit/verify");
	if (!answer.ok) return result.replaceChildren(el("p", { class: "problem" }, problemText(answer)));
	const report = answer.body;
	const checkpoints = report.checkpoint_problems.length
		? `${report.checkpoint_problems.length} of ${report.checkpoints_checked} signed checkpoints do not verify (first at #${report.checkpoint_problems[0].seq}: ${report.checkpoint_problems[0].reason}).`
		: `${report.checkpoints_checked} signed checkpoints verified.`;
	const witness = report.witness.problems[0];
	const full = report.full_verification;
	const fullFinding = full && !full.ok ? (full.first_break ?? full.problems[0]) : null;
	const findings = [
		report.first_break ? `Chain broken at #${report.first_break.seq}: ${report.first_break.reason} (${report.first_break.detail}).` : "",
		report.checkpoint_problems.length ? checkpoints : "",
		witness ? `${report.witness.problems.length} differences from the witness (first at #${witness.seq}: ${witness.reason}).` : "",
		report.witness.status === "compared" ? "" : `The witness could not be compared (${report.witness.status}); sealing is ${report.sealing.status}.`,
		fullFinding ? `The full re-verification found #${fullFinding.seq}: ${fullFinding.reason}.` : "",
	].filter(Boolean);
	result.replaceChildren(
		report.ok
			? el(
					"p",
					{ class: "verified", id: "audit-verified" },
					`Chain intact: ${report.entries_checked} entries checked up to #${report.head.seq}. ${checkpoints}${report.complete ? "" : " More to verify: ask again."}`,
				)
			: el("p", { class: "problem", id: "audit-broken" }, findings.join(" ")),
	);
});

// ---------------------------------------------------------------- honeytokens

loaders.honeytokens = async () => {
	const answer = await api("GET", "/v1/honeytokens");
	if (!answer.ok) return say(problemText(answer));
	/** @type {{ record_id: string, depot: string | null, label: string | null, planted_by: string, planted_at: number }[]} */
	const planted = answer.body.honeytokens;
	const depots = [...new Set(planted.map((token) => token.depot ?? ""))].sort();
	byId("honeytoken-table", HTMLElement).replaceChildren(
		planted.length === 0
			? el("p", {}, "No honeytokens planted.")
			: el(
					"div",
					{},
					...depots.map((depot) => {
						const rows = planted.filter((token) => (token.depot ?? "") === depot);
						return table(
							`${depot ? `Depot ${depot}` : "No depot"} (${rows.length})`,
							["Record", "Label", "Planted by", "Planted"],
							rows.map((token) => [token.record_id, token.label ?? "—", token.planted_by, when(token.planted_at)]),
						);
					}),
				),
	);
};

const plantForm = byId("plant-form", HTMLFormElement);
const PLANT_FIELDS = [
	"/record/depot",
	"/record/shipment_id",
	"/record/party",
	"/record/courier",
	"/record/contact/name",
	"/record/contact/phone",
	"/record/contact/address",
	"/label",
];
/** @param {string} pointer */
const plantId = (pointer) => `plant${pointer.replace(/\//g, "-")}`;

plantForm.addEventListener("submit", async (event) => {
	event.preventDefault();
	for (const slot of plantForm.querySelectorAll(".field-error")) slot.textContent = "";
	for (const input of plantForm.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
	/** @param {string} pointer */
	const value = (pointer) => /** @type {HTMLInputElement | HTMLSelectElement} */ (byId(plantId(pointer), HTMLElement)).value.trim();
	const courier = value("/record/courier");
	const label = value("/label");
	const body = {
		record: {
			shipment_id: value("/record/shipment_id"),
			party: value("/record/party"),
			contact: { name: value("/record/contact/name"), phone: value("/record/contact/phone"), address: value("/record/contact/address") },
			depot: value("/record/depot"),
			...(courier ? { courier } : {}),
		},
		...(label ? { label } : {}),
	};
	const answer = await api("POST", "/v1/honeytokens", body);
	if (answer.status === 422 && Array.isArray(answer.problem?.errors)) {
		say("The honeytoken was not planted: see the fields marked below.");
		let first = /** @type {HTMLElement | null} */ (null);
		for (const { pointer, message } of answer.problem.errors) {
			// The closest field the pointer names (an error inside a field names the field).
			const field = PLANT_FIELDS.filter((candidate) => pointer === candidate || pointer.startsWith(`${candidate}/`))[0];
			const slot = document.getElementById(`${plantId(field ?? "/record/depot")}-error`);
			if (slot) slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
			const input = field ? document.getElementById(plantId(field)) : null;
			input?.setAttribute("aria-invalid", "true");
			first ??= input;
		}
		return first?.focus();
	}
	if (!answer.ok) return say(problemText(answer));
	plantForm.reset();
	say(`Planted ${answer.body.record_id} at depot ${body.record.depot}.`);
	await loaders.honeytokens?.();
});

// ---------------------------------------------------------------- session

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
			: "This account is not an ops account (no ops scope).",
	verify: async () => {
		const answer = await api("GET", "/v1/policies");
		return answer.ok ? null : answer.status === 403 ? "This token does not have the ops scope." : problemText(answer);
	},
	ready: () => openConsole(),

	cleared: () => {
		byId("console", HTMLElement).hidden = true;
		for (const id of ["policy-layers", "effective-result", "employee-table", "alert-table", "audit-table", "audit-verify-result", "honeytoken-table"])
			byId(id, HTMLElement).replaceChildren();
		looked.clear();
		// Nothing typed stays for whoever sits down next: a half-planted decoy, filters, a layer being edited.
		for (const form of document.querySelectorAll("#console form")) {
			/** @type {HTMLFormElement} */ (form).reset();
			for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
			for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
		}
		editingVersion = null;
		auditEntries = [];
		auditCursor = null;
		auditFilters = new URLSearchParams();
		byId("audit-more", HTMLButtonElement).hidden = true;
		say("");
	},
});

// Behind Cloudflare Access, no token to paste: the person Access let in is signed in already.
signInThroughAccess(
	(principal) => principal.scopes.includes("ops"),
	() => openConsole(),
);
