// @ts-check
/** What the vault's problem answers mean to someone at a depot counter, in plain words. */
import { clockTime, duration, nameOf, t } from "./i18n.js";

export const SUSPENDED = () => t("refusal.suspended");

/**
 * Whether a refusal says the page's list is behind the work (a leg closed or moved away, or none of
 * the asker's covers the parcel any more): the terminal refreshes its list then, instead of letting
 * the person tap again and again at work that is gone. A missing case id is not one of them.
 * @param {import("./session.js").ApiAnswer} answer
 */
export function listIsBehind(answer) {
	const problem = answer.problem ?? {};
	const slug = problemSlug(problem.type);
	if (slug === "stale-work" || slug === "no-active-leg" || problem.refresh === true) return true;
	return slug === "no-open-leg" && (problem.reason === "stale" || problem.reason === "no_open_leg");
}

/** The problem's slug: the last segment of its `type` URI (/problems/out-of-scope → out-of-scope). @param {unknown} type */
export function problemSlug(type) {
	return typeof type === "string" ? (type.split("/").pop() ?? "") : "";
}

/**
 * @param {import("./session.js").ApiAnswer} answer
 * @returns {string}
 */
export function refusalMessage(answer) {
	const problem = answer.problem ?? {};
	switch (problemSlug(problem.type)) {
		case "out-of-scope":
			return t("refusal.outOfScope");
		case "purpose-not-allowed":
			return t("refusal.purpose");
		case "quota-exceeded": {
			const seconds = Number(answer.headers.get("Retry-After"));
			const kind = String(problem.limit ?? "reveal");
			const limit = nameOf("limit", kind);
			if (!Number.isFinite(seconds) || seconds <= 0) return t("refusal.limit", { limit });
			const at = clockTime(new Date(Date.now() + seconds * 1000));
			// A lookup limit stops lookups, not reveals: say which the person waits for.
			const lookups = kind.startsWith("lookup") || kind === "misses";
			return t(lookups ? "refusal.lookupsUntil" : "refusal.limitUntil", { limit, wait: duration(seconds), at });
		}
		case "suspended":
			return SUSPENDED();
		case "record-erased":
			return t("refusal.erased");
		case "not-found":
			return t("refusal.notFound");
		case "reveal-token-used":
		case "reveal-token-invalid":
			return t("refusal.incomplete");
		case "forbidden":
			return t("refusal.forbidden");
		// A reveal's refusals for want of live work (src/reveals/ask.ts); a call's come as no-open-leg below.
		case "stale-work":
			return t("refusal.staleLeg");
		case "no-active-leg":
			return t("refusal.noOpenLeg");
		case "call-first":
			// A delivery or pickup reaches the customer by a call: the terminal points at its Call button.
			return t("refusal.callFirst");
		case "no-open-leg":
			// `reason` says which: no leg of yours, one that closed or moved just now, or a case id missing.
			if (problem.reason === "stale") return t("refusal.staleLeg");
			if (problem.reason === "case_required") return t("refusal.caseRequired");
			return t("refusal.noOpenLeg");
	}
	if (answer.status === 0) return t("session.noAnswer");
	if (answer.status === 401) return t("session.invalid");
	if (answer.status >= 500) return t("refusal.unavailable");
	const named = nameOf("problem", problemSlug(problem.type));
	return named !== "—" && named !== problemSlug(problem.type) ? named : t("refusal.other", { status: answer.status });
}
