import { decodeJwt, errors, jwtVerify } from "jose";
import { IssuerUnavailableError, TokenRejectedError } from "./errors";
import { type Principal, ROLES, type Role } from "./principal";
import type { TrustedIssuer } from "./trusted-issuers";
import { VerifiedBearers } from "./verified-bearers";

export const AUDIENCE = "contact-vault";
/** Seconds of clock skew tolerated between the vault and an issuer. */
export const CLOCK_TOLERANCE_SECONDS = 5;
/** A bearer token older than this (by `iat`) is refused whatever its `exp` says. */
export const MAX_TOKEN_AGE_SECONDS = 24 * 60 * 60;
/** Real tokens are well under this; a longer header is refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8 * 1024;

/** Per issuer configuration (trustedIssuers builds one map per parsed TRUSTED_ISSUERS): a new configuration starts afresh. */
const verifiedPerIssuers = new WeakMap<ReadonlyMap<string, TrustedIssuer>, VerifiedBearers>();

/**
 * Verifies a bearer JWT against the trusted issuers and returns who is calling. Every jose option
 * is pinned (RFC 8725 §3.1, §3.8–3.10): algorithm allowlist from the issuer's keys, `iss`, `aud`,
 * required claims, maximum age, a few seconds of tolerance. The same token verified within the last
 * minute is recalled without a second signature check, and only until its `exp` and maximum age
 * (src/auth/verified-bearers.ts).
 */
export async function verifyBearer(token: string, issuers: ReadonlyMap<string, TrustedIssuer>, now: Date): Promise<Principal> {
	if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejectedError("too_large");
	let verified = verifiedPerIssuers.get(issuers);
	if (!verified) {
		verified = new VerifiedBearers();
		verifiedPerIssuers.set(issuers, verified);
	}
	const recalled = verified.recall(token, now.getTime());
	if (recalled) return recalled;
	let unverifiedIssuer: unknown;
	try {
		unverifiedIssuer = decodeJwt(token).iss;
	} catch {
		throw new TokenRejectedError("malformed");
	}
	const issuer = typeof unverifiedIssuer === "string" ? issuers.get(unverifiedIssuer) : undefined;
	if (!issuer) throw new TokenRejectedError("unknown_issuer");

	let payload: Record<string, unknown>;
	try {
		({ payload } = await jwtVerify(token, issuer.keys, {
			algorithms: issuer.algorithms,
			issuer: issuer.iss,
			audience: AUDIENCE,
			requiredClaims: ["iss", "aud", "sub", "exp", "iat"],
			maxTokenAge: MAX_TOKEN_AGE_SECONDS,
			clockTolerance: CLOCK_TOLERANCE_SECONDS,
			currentDate: now,
		}));
	} catch (error) {
		throw rejection(error, issuer.iss);
	}
	// RFC 7519 §4.1.4 allows leeway on `exp`, and jose applies clockTolerance to it. The leeway is
	// meant for an issuer whose clock runs ahead (`iat`, `nbf`); a token past its own expiry is
	// refused at once.
	if (typeof payload.exp !== "number" || payload.exp * 1000 <= now.getTime()) throw new TokenRejectedError("expired", "exp");
	const principal = principalFrom(payload, issuer.iss);
	// jose required `iat` to be a number; the maximum age runs from it, as jose's check did.
	verified.remember(token, principal, Math.min(payload.exp * 1000, ((payload.iat as number) + MAX_TOKEN_AGE_SECONDS) * 1000), now.getTime());
	return principal;
}

export function rejection(error: unknown, iss: string): Error {
	if (error instanceof errors.JWTExpired) return new TokenRejectedError("expired", "exp");
	if (error instanceof errors.JWTClaimValidationFailed) return new TokenRejectedError("claim_invalid", error.claim);
	if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejectedError("algorithm_not_allowed");
	if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
		return new TokenRejectedError("no_matching_key");
	}
	if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenRejectedError("bad_signature");
	if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return new IssuerUnavailableError(iss, { cause: error });
	// jose reports a key-set endpoint answering other than 200 as a generic error: the issuer is down.
	if (error instanceof errors.JOSEError && error.code === "ERR_JOSE_GENERIC") return new IssuerUnavailableError(iss, { cause: error });
	if (error instanceof errors.JOSEError) return new TokenRejectedError("malformed");
	// Anything else comes from fetching a remote key set (network, non-JSON answer): the issuer is down.
	return new IssuerUnavailableError(iss, { cause: error });
}

/** ITU-T E.164: "+", a country code not starting with 0, at most 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;

function principalFrom(payload: Record<string, unknown>, iss: string): Principal {
	const { sub, scope, role, depot, phone_number } = payload;
	// No control characters: a subject is part of object names and audit lines, where a newline separates.
	if (typeof sub !== "string" || sub.length === 0 || sub.length > 128 || /\p{Cc}/u.test(sub)) throw new TokenRejectedError("principal_invalid", "sub");
	if (scope !== undefined && typeof scope !== "string") throw new TokenRejectedError("principal_invalid", "scope");
	const scopes = new Set((scope ?? "").split(" ").filter(Boolean));
	// A token is a service's only when it carries neither employee claim: half an employee is refused.
	if (role === undefined && depot === undefined) return { kind: "service", subject: sub, issuer: iss, scopes };
	if (typeof role !== "string" || !ROLES.includes(role as Role)) throw new TokenRejectedError("principal_invalid", "role");
	if (typeof depot !== "string" || depot.length === 0 || depot.length > 64) throw new TokenRejectedError("principal_invalid", "depot");
	// Anything but E.164 is left out rather than refused: it only matters to calls, which then say it is missing.
	const phoneNumber = typeof phone_number === "string" && E164.test(phone_number) ? phone_number : undefined;
	return { kind: "employee", subject: sub, issuer: iss, scopes, role: role as Role, depot, ...(phoneNumber ? { phoneNumber } : {}) };
}
