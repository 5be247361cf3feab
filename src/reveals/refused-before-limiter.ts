import { ProblemError } from "../http/problem";
import type { RuleUsage } from "../limits/decide";
import type { RefusalAudit } from "../limits/principal-limiter";
import type { StoredRecord } from "../records/store";
import { refusalsProblem } from "./refusals-problem";

/** Why a reveal or a call was refused before its limiter decided anything. */
export const REFUSALS_BEFORE_LIMITER = ["record_not_found", "assignment_unverified"] as const;
export type RefusalBeforeLimiter = (typeof REFUSALS_BEFORE_LIMITER)[number];

/** What the limiter answered for a refusal decided before it: counted against the refusal budget, its entry committed there. */
export interface CountedRefusal {
	audit: RefusalAudit;
	retryAfterSeconds: number | null;
	/** Where the asker's limits stand, for the answer's RateLimit fields. */
	standing?: readonly RuleUsage[];
}

/**
 * Whether an ask (a reveal or a call) about `record` is refused before its limiter: no such record,
 * or erased (an erased trap still springs: a leaked list may name its old id), or an assignment
 * whose MAC failed (src/integrity/): it grants nothing, and the asker did nothing wrong, so this is
 * a counted refusal, never probing toward suspension. Ops have the alert.
 */
export function refusalBeforeLimiter(record: StoredRecord | null, honeytoken: boolean): RefusalBeforeLimiter | null {
	if (!record || (record.erasedAt !== null && !honeytoken)) return "record_not_found";
	if (record.assignmentForged && !honeytoken) return "assignment_unverified";
	return null;
}

/**
 * The answer to a refusal decided before the limiter, once the limiter counted it: 429 past the
 * refusal budget (the limiter summed it into its per-minute entry), else 404 or 403 by the reason,
 * with the asker's RateLimit fields as `headersOf` writes them (reveal or call limits).
 */
export function refusedBeforeLimiter(
	reason: RefusalBeforeLimiter,
	counted: CountedRefusal,
	headersOf: (standing: readonly RuleUsage[]) => Record<string, string>,
): ProblemError {
	const headers = headersOf(counted.standing ?? []);
	if (counted.audit === "summarized") return refusalsProblem(counted.retryAfterSeconds, headers);
	if (reason === "record_not_found")
		return new ProblemError("not-found", { detail: "No record with this id. Scan the parcel again to refresh your list.", headers });
	return new ProblemError("out-of-scope", { detail: "This record is not assigned to you or your depot.", headers });
}
