import { ProblemError } from "../http/problem";

/** Past the refusal budget: 429, and what to do instead of retrying. */
export function refusalsProblem(retryAfterSeconds: number | null, headers: Record<string, string> = {}): ProblemError {
	const retry = String(retryAfterSeconds ?? 60);
	return new ProblemError("too-many-refusals", {
		detail: `Too many of your requests were refused; try again in ${retry} s, after refreshing your list.`,
		extensions: { limit: "refusals" },
		headers: { ...headers, "Retry-After": retry },
	});
}
