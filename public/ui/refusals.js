// @ts-check
/** What the vault's problem answers mean to someone at a depot counter, in plain words. */
import { duration } from "./dom.js";

export const SUSPENDED = "Reveals are suspended for your account. Ask your supervisor or ops to reinstate you.";

const LIMIT_NAMES = /** @type {Record<string, string>} */ ({
	burst: "short-term",
	daily: "daily",
	distinct: "daily different-contacts",
});

/**
 * @param {import("./session.js").ApiAnswer} answer
 * @returns {string}
 */
export function refusalMessage(answer) {
	const problem = answer.problem ?? {};
	switch (problem.type) {
		case "/problems/out-of-scope":
			return "This parcel is not assigned to you or your depot. Nothing was revealed, and the attempt was recorded.";
		case "/problems/purpose-not-allowed":
			return "That purpose does not allow this field of this contact. Pick the purpose you are working on; nothing was revealed.";
		case "/problems/quota-exceeded": {
			const seconds = Number(answer.headers.get("Retry-After"));
			const limit = LIMIT_NAMES[String(problem.limit)] ?? "reveal";
			if (!Number.isFinite(seconds) || seconds <= 0) return `You have reached your ${limit} limit. Try again later.`;
			const at = new Date(Date.now() + seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
			return `You have reached your ${limit} limit. You can reveal again in ${duration(seconds)} (at ${at}).`;
		}
		case "/problems/suspended":
			return SUSPENDED;
		case "/problems/record-erased":
			return "This contact has been erased: there is nothing to reveal.";
		case "/problems/not-found":
			return "That record is no longer here (erased or moved). Look the shipment up again.";
		case "/problems/reveal-token-used":
		case "/problems/reveal-token-invalid":
			return "The reveal did not complete. Try again.";
		case "/problems/forbidden":
			return "Your token does not allow reveals. Sign in with your employee token.";
	}
	if (answer.status === 0) return "The vault did not answer. Check the network and try again.";
	if (answer.status === 401) return "Your sign-in is no longer valid: sign in again.";
	if (answer.status >= 500) return "The vault could not do this right now, and nothing was revealed. Try again in a moment.";
	return problem.title ? `${problem.title}.` : `The vault refused (${answer.status}).`;
}
