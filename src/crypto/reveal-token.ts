import { errors, jwtVerify, SignJWT } from "jose";
import { PURPOSES as REVEAL_PURPOSES } from "../reveals/scope";
import { CONTACT_FIELDS, type ContactField } from "./envelope";
import type { SigningKey, VerificationKey } from "./signing-key";
import { CLOCK_TOLERANCE_SECONDS, inServiceAt } from "./verification-keys";

export const REVEAL_TOKEN_TYPE = "reveal+jwt";
export const REVEAL_ISSUER = "contact-vault";
export const REVEAL_AUDIENCE = "contact-vault/reveal";
/** Whatever the configuration says, no reveal token lives longer than this. */
export const MAX_REVEAL_TTL_SECONDS = 300;

/** What a reveal token grants: one record, these fields, this purpose, to this employee, once. */
export interface RevealGrant {
	jti: string;
	subject: string;
	/** The employee's identity provider: `sub` alone is only unique per issuer. */
	subjectIssuer: string;
	recordId: string;
	fields: ContactField[];
	purpose: string;
	issuedAt: number;
	expiresAt: number;
}

export type RevealTokenRejection =
	| "malformed"
	| "bad_signature"
	| "wrong_type"
	| "wrong_audience"
	| "expired"
	| "not_yet_valid"
	| "claim_invalid"
	/** Signed by a previous key, but issued after that key stopped signing. */
	| "signed_after_retirement";

export class RevealTokenRejectedError extends Error {
	constructor(readonly reason: RevealTokenRejection) {
		super(`reveal token rejected: ${reason}`);
		this.name = "RevealTokenRejectedError";
	}
}

/** `issuedAt` and `expiresAt` are whole seconds (in ms), as a JWT carries them. */
export function signRevealToken(key: SigningKey, grant: RevealGrant): Promise<string> {
	return new SignJWT({ rid: grant.recordId, fields: grant.fields, purpose: grant.purpose, sub_iss: grant.subjectIssuer })
		.setProtectedHeader({ alg: key.alg, kid: key.kid, typ: REVEAL_TOKEN_TYPE })
		.setIssuer(REVEAL_ISSUER)
		.setAudience(REVEAL_AUDIENCE)
		.setSubject(grant.subject)
		.setJti(grant.jti)
		.setIssuedAt(Math.floor(grant.issuedAt / 1000))
		.setNotBefore(Math.floor(grant.issuedAt / 1000))
		.setExpirationTime(Math.floor(grant.expiresAt / 1000))
		.sign(key.privateKey);
}

const FIELDS = new Set<string>(CONTACT_FIELDS);
const PURPOSES = new Set<string>(REVEAL_PURPOSES);

/**
 * Verifies a reveal token with every option pinned: the vault's own key (by kid) and algorithm,
 * explicit type `reveal+jwt` (RFC 8725 §3.11, so no other JWT can pass as one), issuer, audience,
 * required claims, a 300 s maximum age and no clock leeway: the vault checks its own clock.
 *
 * `keys` are the current key and the previous keys still within their horizon (`publishedKeys`);
 * a token signed by a previous key must also have been issued while that key was signing.
 */
export async function verifyRevealToken(keys: readonly VerificationKey[], token: string, now: Date): Promise<RevealGrant> {
	if (token.length > 4096) throw new RevealTokenRejectedError("malformed");
	let payload: Record<string, unknown>;
	let signer: VerificationKey | undefined;
	try {
		({ payload } = await jwtVerify(
			token,
			(header) => {
				// The key is chosen by kid and must be used with its own algorithm only (RFC 8725 §3.1):
				// a header naming another algorithm for a known kid finds no key.
				const key = keys.find((candidate) => candidate.kid === header.kid && candidate.alg === header.alg);
				if (!key) throw new RevealTokenRejectedError("bad_signature");
				signer = key;
				return key.publicKey;
			},
			{
				algorithms: [...new Set(keys.map((key) => key.alg))],
				typ: REVEAL_TOKEN_TYPE,
				issuer: REVEAL_ISSUER,
				audience: REVEAL_AUDIENCE,
				requiredClaims: ["jti", "sub", "iat", "nbf", "exp", "rid", "fields", "purpose", "sub_iss"],
				maxTokenAge: MAX_REVEAL_TTL_SECONDS,
				clockTolerance: CLOCK_TOLERANCE_SECONDS,
				currentDate: now,
			},
		));
	} catch (error) {
		throw classify(error);
	}
	const { jti, sub, rid, fields, purpose, sub_iss, iat, exp } = payload;
	if (
		typeof jti !== "string" ||
		typeof sub !== "string" ||
		typeof sub_iss !== "string" ||
		typeof rid !== "string" ||
		typeof purpose !== "string" ||
		!PURPOSES.has(purpose) ||
		typeof iat !== "number" ||
		typeof exp !== "number" ||
		!Array.isArray(fields) ||
		fields.length === 0 ||
		!fields.every((field) => typeof field === "string" && FIELDS.has(field))
	) {
		throw new RevealTokenRejectedError("claim_invalid");
	}
	// Only reached with a verified signature, so `iat` is what the signer wrote. A previous key
	// issues nothing after its retirement; a token that says otherwise is refused.
	if (!signer || !inServiceAt(signer, iat * 1000)) throw new RevealTokenRejectedError("signed_after_retirement");
	if (exp * 1000 <= now.getTime()) throw new RevealTokenRejectedError("expired");
	return { jti, subject: sub, subjectIssuer: sub_iss, recordId: rid, fields: fields as ContactField[], purpose, issuedAt: iat * 1000, expiresAt: exp * 1000 };
}

function classify(error: unknown): RevealTokenRejectedError {
	if (error instanceof RevealTokenRejectedError) return error;
	if (error instanceof errors.JWTExpired) return new RevealTokenRejectedError("expired");
	if (error instanceof errors.JWTClaimValidationFailed) {
		if (error.claim === "aud") return new RevealTokenRejectedError("wrong_audience");
		if (error.claim === "typ") return new RevealTokenRejectedError("wrong_type");
		if (error.claim === "nbf" || error.claim === "iat") return new RevealTokenRejectedError("not_yet_valid");
		return new RevealTokenRejectedError("claim_invalid");
	}
	if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed) return new RevealTokenRejectedError("bad_signature");
	return new RevealTokenRejectedError("malformed");
}
