import { ProblemError } from "./problem";

/**
 * A dependency that did not answer, as a 503 to retry shortly: logged under `event` with the
 * error's name and message (the dependency's words, never the request's data), so a lasting fault
 * does not pass for an outage.
 */
export function unavailable(event: string, detail: string, cause: unknown): ProblemError {
	console.error(JSON.stringify({ event, name: (cause as Error)?.name, message: (cause as Error)?.message }));
	return new ProblemError("dependency-unavailable", { detail, headers: { "Retry-After": "5" }, cause });
}
