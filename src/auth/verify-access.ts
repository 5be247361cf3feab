import { jwtVerify } from "jose";
import { TokenRejectedError } from "./errors";
import type { ServicePrincipal } from "./principal";
import type { TrustedIssuer } from "./trusted-issuers";
import { CLOCK_TOLERANCE_SECONDS, MAX_TOKEN_AGE_SECONDS, MAX_TOKEN_LENGTH, rejection } from "./verify-bearer";

/** The header Cloudflare Access adds to every request it lets through to the origin. */
export const ACCESS_HEADER = "Cf-Access-Jwt-Assertion";

export interface AccessApplication {
	issuer: TrustedIssuer;
	/** The application's AUD tag: a token for another application of the same team is refused. */
	aud: string;
	/** Lower-cased emails of the ops people; anyone else Access let through is refused. */
	opsEmails: ReadonlySet<string>;
}

/** Access signs its application tokens with RS256, whatever keys are configured. */
const ACCESS_ALGORITHMS = ["RS256"];

/**
 * Verifies the token Cloudflare Access put in front of the ops console and returns the person as an
 * ops principal. Pinned like a bearer token (RFC 8725 §3.1, §3.8–3.10): the keys' algorithms, the
 * team domain as `iss`, the application's AUD, required claims, at most 24 hours since `iat`. Only
 * a person passes (Access service tokens carry no `email`), and only one of the configured ops
 * emails. The principal has `ops` and nothing else, so it reaches the ops routes only.
 */
export async function verifyAccessAssertion(token: string, access: AccessApplication, now: Date): Promise<ServicePrincipal> {
	if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejectedError("too_large");
	let payload: Record<string, unknown>;
	try {
		({ payload } = await jwtVerify(token, access.issuer.keys, {
			algorithms: ACCESS_ALGORITHMS,
			issuer: access.issuer.iss,
			audience: access.aud,
			requiredClaims: ["iss", "aud", "sub", "exp", "iat", "email"],
			maxTokenAge: MAX_TOKEN_AGE_SECONDS,
			clockTolerance: CLOCK_TOLERANCE_SECONDS,
			currentDate: now,
		}));
	} catch (error) {
		throw rejection(error, access.issuer.iss);
	}
	if (typeof payload.exp !== "number" || payload.exp * 1000 <= now.getTime()) throw new TokenRejectedError("expired", "exp");
	const email = payload.email;
	if (typeof email !== "string" || email.length === 0 || email.length > 128) throw new TokenRejectedError("principal_invalid", "email");
	const subject = email.toLowerCase();
	if (!access.opsEmails.has(subject)) throw new TokenRejectedError("not_ops", "email");
	return { kind: "service", subject, issuer: access.issuer.iss, scopes: new Set(["ops"]) };
}
