import { issuerDirectory } from "../auth/issuer-directory";
import type { Principal } from "../auth/principal";
import { trustedIssuersConfig } from "../config";
import type { Env } from "../env";
import { unavailable } from "../http/unavailable";
import type { PrincipalLimiter } from "./principal-limiter";

export type LimiterKey = Pick<Principal, "kind" | "subject" | "issuer">;

/**
 * The name of a principal's limiter object. A principal is the pair (issuer, subject): the
 * employee issuer's principals keep the names objects had before issuers were told apart
 * (`employee:<sub>`, so their counts and suspensions carry over), every other issuer's are
 * `employee:<iss>` and the subject after a newline. Subjects never hold control characters
 * (verify-bearer refuses them), so no two principals share a name.
 */
export function limiterName(principal: LimiterKey, employeeIssuer: string): string {
	return principal.issuer === employeeIssuer ? `${principal.kind}:${principal.subject}` : `${principal.kind}:${principal.issuer}\n${principal.subject}`;
}

/** The limiter object of a principal: one per employee or service, by kind, issuer and subject. */
export function limiterOf(env: Env, principal: LimiterKey): DurableObjectStub<PrincipalLimiter> {
	const name = limiterName(principal, issuerDirectory(trustedIssuersConfig(env)).employeeIssuer);
	return env.LIMITER.get(env.LIMITER.idFromName(name));
}

/**
 * Calls the limiter and fails closed: if the object cannot be reached (binding missing, object
 * overloaded or resetting), the answer is 503 and nothing is granted.
 */
export async function reachLimiter<T>(call: () => Promise<T>): Promise<T> {
	try {
		return await call();
	} catch (cause) {
		throw unavailable("limiter_unreachable", "The rate limiter is unavailable, so no reveal is granted. Retry shortly.", cause);
	}
}
