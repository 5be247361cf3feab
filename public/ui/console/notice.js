// @ts-check
/** The console's one notice line, and what a refused call means in words. */
import { byId } from "../dom.js";
import { nameOf, t } from "../i18n.js";
import { problemSlug } from "../refusals.js";

/** @param {string} message */
export function say(message) {
	byId("notice", HTMLElement).textContent = message;
}

/** @param {import("../session.js").ApiAnswer} answer */
export function problemText(answer) {
	const problem = answer.problem ?? {};
	if (answer.status === 0) return t("session.noAnswer");
	if (answer.status === 403) return t("console.forbidden");
	// The problem's name in the reader's language; the vault's detail (English, for operators) after it.
	const slug = problemSlug(problem.type);
	const named = slug ? nameOf("problem", slug) : "";
	const title = named && named !== slug ? named : problem.title;
	return [title, problem.detail].filter(Boolean).join(" ") || t("problem.other", { status: answer.status });
}
