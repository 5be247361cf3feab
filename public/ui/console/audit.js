// @ts-check
/** The audit log: filtered pages of entries, newest first, and verifying the chain. */
import { byId, el, table } from "../dom.js";
import { nameOf, t, when } from "../i18n.js";
import { api } from "../session.js";
import { fieldsView } from "./details.js";
import { problemText, say } from "./notice.js";

/** @typedef {{ seq: number, at: string, kind: string, actor: { subject: string, role: string | null, depot: string | null } | null, record_id: string | null, details: Record<string, unknown>, hash: string | null, forged: boolean | null }} Entry */

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
			t(auditCursor ? "audit.captionMore" : "audit.caption", { count: auditEntries.length }),
			["seq", "when", "kind", "actor", "record", "details", "sealed"].map((column) => t(`audit.col.${column}`)),
			auditEntries.map((entry) => [
				entry.seq,
				when(entry.at),
				nameOf("audit", entry.kind),
				actorView(entry.actor),
				entry.record_id ?? "—",
				fieldsView(entry.details),
				sealedView(entry),
			]),
			["seq", "time", "kind", "actor", "id", "details", "hash"],
		),
	);
}

/**
 * The sealed column: the hash, and for an entry whose MAC failed as it was sealed (written or
 * changed outside the vault) a mark saying so, so nobody reads it as something its actor did.
 * @param {Entry} entry
 */
function sealedView(entry) {
	if (!entry.hash) return t("audit.notYet");
	const hash = el("code", { title: entry.hash }, `${entry.hash.slice(0, 10)}…`);
	return entry.forged ? el("span", {}, hash, " ", el("span", { class: "flag", title: t("audit.forgedHint") }, t("audit.forged"))) : hash;
}

/**
 * Who acted: the subject on one line, role and depot under it, so the column stays narrow.
 * @param {Entry["actor"]} actor
 */
function actorView(actor) {
	if (!actor) return t("audit.vault");
	const where = [actor.role ? nameOf("role", actor.role) : null, actor.depot].filter(Boolean).join(" · ");
	return el("span", { class: "actor" }, el("span", { class: "actor-subject" }, actor.subject), where ? el("small", {}, where) : null);
}

export function load() {
	return loadAudit();
}
byId("audit-filters", HTMLFormElement).addEventListener("submit", (event) => {
	event.preventDefault();
	loadAudit();
});
byId("audit-more", HTMLButtonElement).addEventListener("click", () => loadAudit(true));

byId("audit-verify", HTMLButtonElement).addEventListener("click", async () => {
	const result = byId("audit-verify-result", HTMLElement);
	result.replaceChildren(el("p", {}, t("audit.verifying")));
	const answer = await api("GET", "/v1/audit/verify");
	if (!answer.ok) return result.replaceChildren(el("p", { class: "problem" }, problemText(answer)));
	const report = answer.body;
	const checkpoints = report.checkpoint_problems.length
		? t("audit.checkpointsBad", {
				bad: report.checkpoint_problems.length,
				checked: report.checkpoints_checked,
				seq: String(report.checkpoint_problems[0].seq),
				reason: report.checkpoint_problems[0].reason,
			})
		: t("audit.checkpointsOk", { checked: report.checkpoints_checked });
	const witness = report.witness.problems[0];
	const full = report.full_verification;
	const fullFinding = full && !full.ok ? (full.first_break ?? full.problems[0] ?? null) : null;
	// Rows whose MAC fails: found now, by the running full scan, or by the last finished one; each row once.
	const forgedRows = [
		...(report.rows?.problems ?? []),
		...(full?.rows?.problems ?? []),
		...(full?.rows && !full.rows.finished ? (full.rows.last_finished?.problems ?? []) : []),
	].filter((row, index, all) => all.findIndex((other) => other.table === row.table && other.key === row.key) === index);
	const findings = [
		report.first_break ? t("audit.broken", { seq: String(report.first_break.seq), reason: report.first_break.reason, detail: report.first_break.detail }) : "",
		report.checkpoint_problems.length ? checkpoints : "",
		witness ? t("audit.witnessDiffers", { count: report.witness.problems.length, seq: String(witness.seq), reason: witness.reason }) : "",
		report.witness.status === "compared" ? "" : t("audit.witnessUnavailable", { status: report.witness.status, sealing: report.sealing.status }),
		fullFinding ? t("audit.fullFound", { seq: String(fullFinding.seq), reason: fullFinding.reason }) : "",
		forgedRows.length
			? t("audit.rowsForged", { count: forgedRows.length, table: forgedRows[0].table, key: forgedRows[0].key, reason: forgedRows[0].reason })
			: "",
	].filter(Boolean);
	// Not ok with nothing named above (a finding of a kind this page does not know yet): never an empty line.
	if (findings.length === 0) findings.push(t("audit.notOk"));
	result.replaceChildren(
		report.ok
			? el(
					"p",
					{ class: "verified", id: "audit-verified" },
					`${t("audit.intact", { checked: report.entries_checked, head: String(report.head.seq), checkpoints })}${report.complete ? "" : ` ${t("audit.moreToVerify")}`}`,
				)
			: el("p", { class: "problem", id: "audit-broken" }, findings.join(" ")),
	);
});

/** Forgets the entries, the filters on show and the verification. */
export function reset() {
	byId("audit-table", HTMLElement).replaceChildren();
	byId("audit-verify-result", HTMLElement).replaceChildren();
	auditEntries = [];
	auditCursor = null;
	auditFilters = new URLSearchParams();
	byId("audit-more", HTMLButtonElement).hidden = true;
}
