// @ts-check
/** Honeytokens: the decoys per depot, and planting one. */
import { byId, el, table } from "../dom.js";
import { t, when } from "../i18n.js";
import { api } from "../session.js";
import { problemText, say } from "./notice.js";

export async function load() {
	const answer = await api("GET", "/v1/honeytokens");
	if (!answer.ok) return say(problemText(answer));
	/** @type {{ record_id: string, depot: string | null, label: string | null, planted_by: string, planted_at: number | string }[]} */
	const planted = answer.body.honeytokens;
	const depots = [...new Set(planted.map((token) => token.depot ?? ""))].sort();
	byId("honeytoken-table", HTMLElement).replaceChildren(
		planted.length === 0
			? el("p", {}, t("honeytokens.none"))
			: el(
					"div",
					{},
					...depots.map((depot) => {
						const rows = planted.filter((token) => (token.depot ?? "") === depot);
						return table(
							depot ? t("honeytokens.depotCaption", { depot, count: rows.length }) : t("honeytokens.noDepotCaption", { count: rows.length }),
							["record", "label", "plantedBy", "planted"].map((column) => t(`honeytokens.col.${column}`)),
							rows.map((token) => [token.record_id, token.label ?? "—", token.planted_by, when(token.planted_at)]),
						);
					}),
				),
	);
}

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
		say(t("honeytokens.notPlanted"));
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
	say(t("honeytokens.planted", { record: answer.body.record_id, depot: body.record.depot }));
	await load();
});

export function reset() {
	byId("honeytoken-table", HTMLElement).replaceChildren();
}
