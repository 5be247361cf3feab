// @ts-check
/** The console's one notice line, and what a refused call means in words. */
import { byId } from "../dom.js";

/** @param {string} message */
export function say(message) {
	byId("notice", HTMLElement).textContent = message;
}

/** @param {import("../session.js").ApiAnswer} answer */
export function problemText(answer) {
	const problem = answer.problem ?? {};
	if (answer.status === 0) return "The vault did not answer. Check the network and try again.";
	if (answer.status === 403) return "This token may not do that (it needs the ops scope, and nobody changes their own limits or status).";
	return [problem.title, problem.detail].filter(Boolean).join(": ") || `The vault answered ${answer.status}.`;
}

/** @param {Record<string, unknown>} details */
export function describeDetails(details) {
	return Object.entries(details)
		.filter(([, value]) => value !== null && value !== undefined)
		.map(([key, value]) => `${key.replace(/_/g, " ")}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`)
		.join("; ");
}
