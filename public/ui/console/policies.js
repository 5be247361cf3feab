// @ts-check
/** Policies: the limit layers as stored, the form that sets one, and how they resolve for one employee. */
import { byId, el, table } from "../dom.js";
import { duration, nameOf, number, t, when } from "../i18n.js";
import { api } from "../session.js";
import { layerBody } from "./layer-body.js";
import { problemText, say } from "./notice.js";

const LAYER_ORDER = ["employee", "depot", "role", "default"];
/** @typedef {{ layer: string, target: string, target_issuer?: string, mode: string, version: number, updated_by: string, updated_at: number | string, [field: string]: unknown }} Policy */

const policyForm = byId("policy-form", HTMLFormElement);
/**
 * The form's fields, as the page lists them (`data-policy-field`, one for every field PUT takes):
 * number inputs, and selects for yes/no fields whose empty choice is null, "inherit".
 */
const policyFields = /** @type {(HTMLInputElement | HTMLSelectElement)[]} */ ([...policyForm.querySelectorAll("[data-policy-field]")]);
/** @param {HTMLInputElement | HTMLSelectElement} control */
const fieldOf = (control) => String(control.dataset.policyField);
/** The version of the layer being edited, for If-Match (RFC 9110 §13.1.1); null for a new layer. */
let editingVersion = /** @type {number | null} */ (null);
/** The layer being edited as loaded: the base of what is saved (layerBody); null for a new layer. */
let editingLayer = /** @type {Policy | null} */ (null);
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
const limitText = (value) => (value === null || value === undefined ? "—" : number(Number(value)));

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
				t(`policies.layers.${layer}`, { count: rows.length }),
				["target", "mode", "burst", "daily", "distinct", "ring", "budget", "changed", "actions"].map((column) => t(`policies.col.${column}`)),
				rows.map((policy) => [
					policy.target || t("policies.everyone"),
					nameOf("policies.mode", policy.mode),
					policy.burst_limit == null
						? "—"
						: t("policies.burstPer", { limit: Number(policy.burst_limit), window: duration(Number(policy.burst_window_seconds)) }),
					limitText(policy.daily_limit),
					limitText(policy.distinct_limit),
					limitText(policy.ring_threshold),
					limitText(policy.depot_daily_budget),
					new Date(policy.updated_at).getTime() === 0
						? t("policies.installed", { version: policy.version })
						: t("policies.changedBy", { version: policy.version, who: policy.updated_by, when: when(policy.updated_at) }),
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

/**
 * A layer by name, as the notices say it: "employee e2e-courier", "默认".
 * @param {string} layer @param {string} target
 */
function layerName(layer, target) {
	return `${nameOf("policies.named", layer)}${target ? ` ${target}` : ""}`;
}

/** @param {Policy} policy */
function policyActions(policy) {
	const name = layerName(policy.layer, policy.target);
	const edit = el("button", { type: "button", "aria-label": t("policies.editName", { name }) }, t("policies.edit"));
	edit.addEventListener("click", () => editPolicy(policy));
	if (policy.layer === "default") return edit;
	const remove = el("button", { type: "button", "aria-label": t("policies.removeName", { name }) }, t("policies.remove"));
	remove.addEventListener("click", async () => {
		// If-Match with the version shown: a layer changed since is not removed unseen (412).
		const answer = await api("DELETE", layerPath(policy.layer, policy.target, policy.target_issuer), undefined, { "If-Match": `"${policy.version}"` });
		say(answer.ok ? t("policies.removed", { name }) : problemText(answer));
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
	for (const control of policyFields) control.value = policy[fieldOf(control)] == null ? "" : String(policy[fieldOf(control)]);
	editingVersion = policy.version;
	editingLayer = policy;
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
	editingLayer = null;
});
policyInput("target").addEventListener("input", () => {
	editingVersion = null;
	editingLayer = null;
	editingIssuer = null;
});

/**
 * The layer the form holds, as PUT takes it; null (with the errors shown) when it cannot be read.
 * @returns {{ layer: string, target: string, body: Record<string, unknown> } | null}
 */
function formLayer() {
	clearPolicyErrors();
	const layer = byId("policy-layer", HTMLSelectElement).value;
	const target = policyInput("target").value.trim();
	if (layer !== "default" && target === "") {
		showPolicyErrors([{ pointer: "/target", message: t("policies.nameTarget") }]);
		return null;
	}
	/** @type {Record<string, unknown>} */
	const edited = { mode: policyInput("report-only").checked ? "report-only" : "enforce" };
	const unreadable = policyFields.filter((control) => control.validity.badInput);
	if (unreadable.length > 0) {
		showPolicyErrors(unreadable.map((control) => ({ pointer: `/${fieldOf(control)}`, message: t("policies.wholeNumber") })));
		return null;
	}
	for (const control of policyFields) {
		const raw = control.value.trim();
		edited[fieldOf(control)] = raw === "" ? null : Number(raw);
	}
	// Defence in depth: the layer as loaded with the form's fields over it, so a field this page
	// does not show (one a later migration added) is kept, never cleared by an older page.
	return { layer, target, body: layerBody(editingLayer, edited) };
}

/**
 * Refusals by reason, today's layers beside the proposed ones, as bars (inline SVG built with DOM
 * APIs), with the figures in its text alternative.
 * @param {Record<string, number>} current @param {Record<string, number>} proposed
 */
function refusalChart(current, proposed) {
	const reasons = [...new Set([...Object.keys(current), ...Object.keys(proposed)])].sort();
	const peak = Math.max(1, ...reasons.map((reason) => Math.max(current[reason] ?? 0, proposed[reason] ?? 0)));
	const words = reasons
		.map((reason) => t("policies.previewReason", { reason: nameOf("limit", reason), current: current[reason] ?? 0, proposed: proposed[reason] ?? 0 }))
		.join("; ");
	const NS = "http://www.w3.org/2000/svg";
	/** @param {string} tag @param {Record<string, string | number>} attributes */
	const node = (tag, attributes) => {
		const made = document.createElementNS(NS, tag);
		for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, String(value));
		return made;
	};
	const chart = node("svg", {
		viewBox: `0 0 100 ${Math.max(1, reasons.length) * 12}`,
		role: "img",
		"aria-label": words || t("policies.previewNone"),
		class: "preview-chart",
	});
	const title = node("title", {});
	title.textContent = words || t("policies.previewNone");
	chart.append(title);
	reasons.forEach((reason, index) => {
		chart.append(node("rect", { x: 30, y: index * 12 + 1, width: ((current[reason] ?? 0) / peak) * 70, height: 4, class: "bar-current" }));
		chart.append(node("rect", { x: 30, y: index * 12 + 6, width: ((proposed[reason] ?? 0) / peak) * 70, height: 4, class: "bar-proposed" }));
		const label = node("text", { x: 0, y: index * 12 + 8, class: "bar-label" });
		label.textContent = nameOf("limit", reason);
		chart.append(label);
	});
	return chart;
}

byId("policy-preview", HTMLButtonElement).addEventListener("click", async () => {
	const read = formLayer();
	if (read === null) return;
	const { layer, target, body } = read;
	const proposal = { layer, target: layer === "default" ? "" : target, ...body, ...(editingIssuer ? { issuer: editingIssuer } : {}) };
	const answer = await api("POST", "/v1/policies/simulate", { layers: [proposal], days: 7 });
	if (answer.status === 422 && Array.isArray(answer.problem?.errors)) {
		say(t("policies.notPreviewed"));
		return showPolicyErrors(
			answer.problem.errors.map((/** @type {{ pointer: string, message: string }} */ error) => ({
				...error,
				pointer: error.pointer.replace(/^\/layers\/0/, ""),
			})),
		);
	}
	if (!answer.ok) return say(problemText(answer));
	/** @typedef {{ refused: number, flagged: number, by_reason: Record<string, number> }} PreviewOutcome */
	/** @type {{ asks: number, days: number, current: PreviewOutcome, proposed: PreviewOutcome, calls: { calls: number, current: PreviewOutcome, proposed: PreviewOutcome }, principals: { subject: string, role: string | null, depot: string | null, asks: number, current: { refused: number }, proposed: { refused: number } }[] }} */
	const preview = answer.body;
	byId("policy-preview-result", HTMLElement).replaceChildren(
		el(
			"p",
			{ id: "policy-preview-summary" },
			t("policies.previewSummary", { asks: preview.asks, days: preview.days, current: preview.current.refused, proposed: preview.proposed.refused }),
		),
		refusalChart(preview.current.by_reason, preview.proposed.by_reason),
		el("p", { class: "hint" }, t("policies.previewLegend")),
		// Calls have limits of their own: shown when the window has any.
		...(preview.calls.calls > 0
			? [
					el(
						"p",
						{ id: "policy-preview-calls" },
						t("policies.previewCalls", { calls: preview.calls.calls, current: preview.calls.current.refused, proposed: preview.calls.proposed.refused }),
					),
					refusalChart(preview.calls.current.by_reason, preview.calls.proposed.by_reason),
				]
			: []),
		preview.principals.length === 0
			? el("p", {}, t("policies.previewNobody"))
			: table(
					t("policies.previewCaption", { count: preview.principals.length }),
					["employee", "role", "depot", "asks", "current", "proposed"].map((column) => t(`policies.previewCol.${column}`)),
					preview.principals.map((row) => [
						row.subject,
						nameOf("role", row.role),
						row.depot ?? "—",
						number(row.asks),
						number(row.current.refused),
						number(row.proposed.refused),
					]),
				),
	);
});

policyForm.addEventListener("submit", async (event) => {
	event.preventDefault();
	const read = formLayer();
	if (read === null) return;
	const { layer, target, body } = read;
	const path = layerPath(layer, target, editingIssuer);
	// If-Match (RFC 9110 §13.1.1) with the version read: never overwrite a change made since; and
	// If-None-Match: * (§13.1.2) for a new layer, so it never replaces one that exists.
	const answer = await api("PUT", path, body, editingVersion === null ? { "If-None-Match": "*" } : { "If-Match": `"${editingVersion}"` });
	if (answer.status === 422 && Array.isArray(answer.problem?.errors)) {
		say(t("policies.notSaved"));
		return showPolicyErrors(answer.problem.errors);
	}
	if (answer.status === 409 || answer.status === 412) {
		const policies = await loadPolicies();
		if (policies === null) return;
		const stored = policies.find((policy) => policy.layer === layer && policy.target === (layer === "default" ? "" : target));
		if (!stored) {
			editingVersion = null;
			editingLayer = null;
			return say(t("policies.goneMeanwhile"));
		}
		editPolicy(stored);
		return say(t("policies.changedMeanwhile"));
	}
	if (!answer.ok) return say(problemText(answer));
	editingVersion = null;
	editingLayer = null;
	say(t("policies.saved", { name: layerName(layer, layer === "default" ? "" : target), version: answer.body.version }));
	await load();
});

byId("effective-form", HTMLFormElement).addEventListener("submit", async (event) => {
	event.preventDefault();
	const subject = byId("effective-subject", HTMLInputElement).value.trim();
	const role = byId("effective-role", HTMLSelectElement).value;
	const depot = byId("effective-depot", HTMLInputElement).value.trim();
	const result = byId("effective-result", HTMLElement);
	if (!subject) return result.replaceChildren(el("p", { class: "field-error" }, t("policies.nameEmployee")));
	const query = new URLSearchParams({ subject, role, ...(depot ? { depot } : {}) });
	const answer = await api("GET", `/v1/policies/effective?${query}`);
	if (!answer.ok) return result.replaceChildren(el("p", { class: "problem" }, problemText(answer)));
	/** @param {Record<string, unknown>} rule */
	const row = (rule) => [
		nameOf("policies.kind", String(rule.kind)),
		number(Number(rule.limit)),
		duration(Number(rule.window_seconds)),
		layerName(String(rule.layer), String(rule.target ?? "")),
	];
	const columns = ["limit", "reveals", "per", "fromLayer"].map((column) => t(`policies.col.${column}`));
	const callColumns = ["limit", "calls", "per", "fromLayer"].map((column) => t(`policies.col.${column}`));
	result.replaceChildren(
		table(t("policies.enforcedFor", { subject }), columns, answer.body.enforced.map(row)),
		answer.body.shadow.length ? table(t("policies.shadow"), columns, answer.body.shadow.map(row)) : el("p", {}, t("policies.noShadow")),
		table(t("policies.callsFor", { subject }), callColumns, answer.body.calls.map(row)),
		el("p", {}, t("policies.ringAndBudget", { ring: Number(answer.body.ring_threshold), budget: Number(answer.body.depot_daily_budget) })),
	);
});

/** Forgets what the section showed and the layer being edited. */
export function reset() {
	byId("policy-layers", HTMLElement).replaceChildren();
	byId("effective-result", HTMLElement).replaceChildren();
	editingVersion = null;
	editingLayer = null;
	editingIssuer = null;
}
