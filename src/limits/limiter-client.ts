import type { Principal } from "../auth/principal";
import type { Env } from "../env";
import { ProblemError } from "../http/problem";
import type { PrincipalLimiter } from "./principal-limiter";

/** The limiter object of a principal: one per employee or service, by kind and subject. */
export function limiterOf(env: Env, principal: Pick<Principal, "kind" | "subject">): DurableObjectStub<PrincipalLimiter> {
	return env.LIMITER.get(env.LIMITER.idFromName(`${principal.kind}:${principal.subject}`));
}

/**
 * Calls the limiter and fails closed: if the object cannot be reached (binding missing, object
 * overloaded or resetting), the answer is 503 and nothing is granted.
 */
export async function reachLimiter<T>(call: () => Promise<T>): Promise<T> {
	try {
		return await call();
	} catch (cause) {
		console.error(JSON.stringify({ event: "limiter_unreachable", name: (cause as Error)?.name, message: (cause as Error)?.message }));
		throw new ProblemError("dependency-unavailable", {
			detail: "The rate limiter is unavailable, so no reveal is granted. Retry shortly.",
			headers: { "Retry-After": "5" },
			cause,
		});
	}
}
