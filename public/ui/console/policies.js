// @ts-check
/** Policies: the limit layers as stored, the form that sets one, and how they resolve for one employee. */
import { byId, duration, el, table, when } from "../dom.js";
import { api } from "../session.js";
import { problemText, say } from "./notice.js";

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

export async function load() {
	await loadPolicies();
}

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
		await load();
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
	await load();
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

/** Forgets what the section showed and the layer being edited. */
export function reset() {
	byId("policy-layers", HTMLElement).replaceChildren();
	byId("effective-result", HTMLElement).replaceChildren();
	editingVersion = null;
	editingIssuer = null;
}
