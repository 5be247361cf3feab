// @ts-check
/**
 * Trace a leak: a list found in the wild goes to POST /v1/leaks/attribute, and the answer shows who
 * revealed its records. The list lives only in the form and this page's memory: it is sent in a
 * request body, never in a URL, and nothing of it is written to storage. The signed report is
 * offered as a download of the JWS the vault returned, made in memory (a Blob URL of this origin).
 */
import { byId, el, table } from "../dom.js";
import { locale, nameOf, number, t, when } from "../i18n.js";
import { api } from "../session.js";
import { problemText, say } from "./notice.js";

const form = byId("trace-form", HTMLFormElement);
const listInput = byId("trace-list", HTMLTextAreaElement);
const fileInput = byId("trace-file", HTMLInputElement);
const result = byId("trace-result", HTMLElement);

/** Scores to one decimal: 0.4 is chance, tens is not (README "Tracing a leak"). */
const scores = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });

/** The report of the last trace, for the download control; forgotten on sign-out. */
let report = "";

/**
 * One entry per non-empty line: a phone, then optionally a name after a tab, comma or semicolon.
 * Names go along only if the list has any (the vault hashes them with the list and nothing else).
 * @param {string} text
 */
function parseList(text) {
	const phones = [];
	const names = [];
	for (const line of text.split(/\r?\n/)) {
		const trimmed = line.trim();
		if (!trimmed) continue;
		const [phone = "", ...rest] = trimmed.split(/[\t,;，；]/);
		phones.push(phone.trim());
		names.push(rest.join(" ").trim());
	}
	return { phones, names: names.some(Boolean) ? names : null };
}

/**
 * The report's payload (RFC 7515 §7.1 compact serialization: the middle part is base64url JSON),
 * read for the evidence it cites. Only read here: the vault's signature is checked by whoever receives
 * the report (`npm run verify-evidence`), not by this page.
 * @param {string} jws
 * @returns {{ suspects?: { issuer: string, subject: string, entries?: { seq: number, hash: string | null }[] }[] }}
 */
function reportPayload(jws) {
	try {
		const part = jws.split(".")[1] ?? "";
		const bytes = Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));
		return JSON.parse(new TextDecoder().decode(bytes));
	} catch {
		return {};
	}
}

/** @param {{ seq: number, hash: string | null }[]} entries */
function evidenceView(entries) {
	if (entries.length === 0) return t("console.none");
	const list = el("ul", { class: "detail-list" }, ...entries.map((entry) => el("li", {}, `#${entry.seq} ${entry.hash ?? "—"}`)));
	return el("details", { class: "fold" }, el("summary", {}, t("leaks.entries", { count: entries.length })), list);
}

/** @param {Record<string, number>} fields */
const fieldsText = (fields) =>
	Object.entries(fields)
		.map(([field, count]) => `${nameOf("field", field)} ${number(count)}`)
		.join(", ") || t("console.none");

/** @param {any} answer */
function show(answer) {
	/** @type {{ subject: string, issuer: string, kind: string, role?: string, depot?: string, revealed: number, fields: Record<string, number>, held: number, touched: number, score: number }[]} */
	const suspects = answer.suspects;
	/** @type {{ record_id: string, depot: string | null, for: { subject: string, issuer: string } | null }[]} */
	const honeytokens = answer.honeytokens;
	/** @type {{ depot: string, matched: number }[]} */
	const depots = answer.depots;
	const cited = reportPayload(answer.report).suspects ?? [];
	const evidenceOf = (/** @type {{ subject: string, issuer: string }} */ who) =>
		cited.find((entry) => entry.subject === who.subject && entry.issuer === who.issuer)?.entries ?? [];
	result.replaceChildren(
		el(
			"p",
			{ id: "trace-summary" },
			t("leaks.summary", { matched: answer.matched, size: answer.list.size, records: answer.records, unreadable: answer.list.unreadable }),
		),
		el("p", {}, t("leaks.period", { from: when(answer.period.from), to: when(answer.period.to), seq: answer.audit_seq })),
		el("p", { class: "hint" }, t("leaks.listHash", { hash: answer.list.sha256 })),
		honeytokens.length === 0
			? el("p", {}, t("leaks.noHoneytokens"))
			: table(
					t("leaks.honeytokensCaption", { count: honeytokens.length }),
					["record", "depot", "for"].map((column) => t(`leaks.honeytoken.${column}`)),
					honeytokens.map((hit) => [hit.record_id, hit.depot ?? "—", hit.for ? hit.for.subject : t("leaks.depotWide")]),
				),
		suspects.length === 0
			? el("p", {}, t("leaks.noSuspects"))
			: table(
					t("leaks.suspectsCaption", { count: suspects.length }),
					["rank", "who", "role", "depot", "revealed", "fields", "held", "touched", "score", "evidence"].map((column) => t(`leaks.col.${column}`)),
					suspects.map((suspect, index) => [
						number(index + 1),
						el("span", { class: "actor" }, suspect.subject, el("small", {}, suspect.issuer)),
						suspect.kind === "service" ? t("role.service") : nameOf("role", suspect.role),
						suspect.depot ?? "—",
						number(suspect.revealed),
						fieldsText(suspect.fields),
						number(suspect.held),
						number(suspect.touched),
						scores.format(suspect.score),
						evidenceView(evidenceOf(suspect)),
					]),
				),
		...(depots.length === 0
			? []
			: [
					table(
						t("leaks.depotsCaption"),
						[t("leaks.depot.depot"), t("leaks.depot.matched")],
						depots.map((row) => [row.depot, number(row.matched)]),
					),
				]),
		el("button", { type: "button", id: "trace-download" }, t("leaks.download")),
	);
	byId("trace-download", HTMLButtonElement).addEventListener("click", download);
}

/** Saves the signed report as a file: a Blob of the JWS, a same-origin object URL, revoked once clicked. */
function download() {
	if (!report) return;
	const url = URL.createObjectURL(new Blob([report], { type: "application/jose" }));
	const link = el("a", { href: url, download: `leak-report-${new Date().toISOString().slice(0, 10)}.jws`, hidden: true });
	document.body.append(link);
	link.click();
	link.remove();
	// The click has started the download; the URL is not needed after this turn of the event loop.
	setTimeout(() => URL.revokeObjectURL(url), 0);
}

fileInput.addEventListener("change", async () => {
	const file = fileInput.files?.[0];
	if (!file) return;
	listInput.value = await file.text();
	// The file stays on the disk it came from; the page keeps only the text in the form.
	fileInput.value = "";
});

form.addEventListener("submit", async (event) => {
	event.preventDefault();
	const error = byId("trace-list-error", HTMLElement);
	const sourceError = byId("trace-source-error", HTMLElement);
	error.textContent = "";
	sourceError.textContent = "";
	for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
	const { phones, names } = parseList(listInput.value);
	if (phones.length === 0) {
		error.textContent = t("leaks.empty");
		listInput.setAttribute("aria-invalid", "true");
		return listInput.focus();
	}
	const source = byId("trace-source", HTMLInputElement).value.trim();
	const days = Number(byId("trace-days", HTMLInputElement).value) || undefined;
	say(t("leaks.tracing", { count: phones.length }));
	const answer = await api("POST", "/v1/leaks/attribute", { phones, ...(names ? { names } : {}), ...(source ? { source } : {}), ...(days ? { days } : {}) });
	if (!answer.ok) {
		if (answer.status === 422 && Array.isArray(answer.problem?.errors)) {
			// Each message next to the field its JSON Pointer (RFC 6901) names: the source, or the list.
			for (const { pointer, message } of /** @type {{ pointer: string, message: string }[]} */ (answer.problem.errors)) {
				const onSource = pointer.startsWith("/source");
				const slot = onSource ? sourceError : error;
				slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
				byId(onSource ? "trace-source" : "trace-list", HTMLElement).setAttribute("aria-invalid", "true");
			}
		}
		return say(problemText(answer));
	}
	report = answer.body.report;
	say(t("leaks.traced", { count: answer.body.suspects.length }));
	show(answer.body);
});

export async function load() {}

export function reset() {
	report = "";
	result.replaceChildren();
	listInput.value = "";
}
