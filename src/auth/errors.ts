/**
 * Why a bearer token was refused. The caller only ever learns "401"; the reason goes to the log
 * and the audit trail so an operator can tell a clock skew from a forgery.
 */
export type TokenRejection =
	| "missing"
	| "malformed"
	| "too_large"
	| "unknown_issuer"
	| "algorithm_not_allowed"
	| "no_matching_key"
	| "bad_signature"
	| "expired"
	| "claim_invalid"
	| "principal_invalid"
	| "cross_site"
	| "not_ops";

export class TokenRejectedError extends Error {
	constructor(
		readonly reason: TokenRejection,
		readonly claim?: string,
	) {
		super(`bearer token rejected: ${reason}${claim ? ` (${claim})` : ""}`);
		this.name = "TokenRejectedError";
	}
}

/** The issuer's key set could not be fetched: not the caller's fault, and no reason to let them in. */
export class IssuerUnavailableError extends Error {
	constructor(
		readonly issuer: string,
		options?: ErrorOptions,
	) {
		super(`keys of issuer ${issuer} could not be fetched`, options);
		this.name = "IssuerUnavailableError";
	}
}
