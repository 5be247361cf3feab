/**
 * The catalogue of problem types (RFC 9457 §3.1.1). Each `type` URI is relative to the vault's own
 * origin and dereferences to this description at `GET /problems/{slug}`, so clients can key on it.
 * Slugs are a stable contract: add new ones, never rename.
 */
export const problemTypes = {
	"bad-request": { status: 400, title: "Bad request", description: "The request could not be read: malformed JSON, or a malformed header." },
	unauthorized: { status: 401, title: "Unauthorized", description: "A valid bearer token from a trusted issuer is required." },
	forbidden: { status: 403, title: "Forbidden", description: "The token is valid but does not allow this call." },
	"out-of-scope": { status: 403, title: "Out of scope", description: "The record is not assigned to you (courier) or your depot (clerk, supervisor)." },
	"purpose-not-allowed": {
		status: 403,
		title: "Purpose does not allow this reveal",
		description: "The purpose does not cover this party or one of the fields asked for; ask only for what the purpose needs.",
	},
	"no-active-leg": {
		status: 403,
		title: "No open leg",
		description:
			'A delivery, pickup, return or notify reveal needs an open leg of that work held by you (courier) or at your depot (clerk, supervisor): DESIGN "Reveals follow the work". Asks like this count toward suspension, as out-of-scope asks do.',
	},
	"stale-work": {
		status: 403,
		title: "Stale work",
		description:
			"The parcel's work you held was closed or moved to someone else recently: your list is out of date. Refresh it (`refresh: true`); these asks never count toward suspension.",
	},
	"call-first": {
		status: 403,
		title: "Call first",
		description:
			'A delivery or pickup reaches the customer through a call (POST /v1/calls, DESIGN "Calls instead of numbers"): the plaintext phone is revealed only after a call on that leg was made and did not serve, under its own daily limit (`plaintext_phone`). Make the call; these refusals never count toward suspension.',
	},
	"reveal-token-invalid": {
		status: 403,
		title: "Reveal token not valid",
		description: "The reveal token is not valid, has expired, or was not issued to you.",
	},
	"reveal-token-used": { status: 409, title: "Reveal token already used", description: "A reveal token is single use; ask for a new one." },
	"quota-exceeded": {
		status: 429,
		title: "Quota exceeded",
		description:
			"A limit is reached: a reveal limit (burst, daily or distinct records, plaintext_phone), a call limit (call_burst, call_daily, call_distinct) or a lookup limit (lookup_burst, lookup_daily, misses); `limit` names it and Retry-After says when to try again.",
	},
	"too-many-refusals": {
		status: 429,
		title: "Too many refused requests",
		description:
			"More of your requests were refused in the last hour than the refusal budget allows (asks for records that do not exist, tokens that do not verify); Retry-After says when to try again. Refresh your list instead of retrying.",
	},
	suspended: { status: 423, title: "Suspended", description: "Reveals are suspended for this principal; ops must reinstate it." },
	"not-found": { status: 404, title: "Not found", description: "No such resource." },
	conflict: { status: 409, title: "Conflict", description: "The request conflicts with the current state of the resource." },
	"method-not-allowed": {
		status: 405,
		title: "Method not allowed",
		description: "The path exists but does not answer this method; the Allow header lists the methods it does answer.",
	},
	"precondition-failed": {
		status: 412,
		title: "Precondition failed",
		description: "If-Match (or If-None-Match) does not hold for the resource as it is now; read it again and retry with its current ETag.",
	},
	"precondition-required": {
		status: 428,
		title: "Precondition required",
		description: "Changing this resource needs If-Match with the ETag you read, so that no change made since is lost (RFC 6585 §3).",
	},
	"record-erased": { status: 410, title: "Record erased", description: "The record was erased; its contact data can never be decrypted again." },
	"payload-too-large": { status: 413, title: "Payload too large", description: "The request body is larger than the configured limit." },
	"unsupported-media-type": { status: 415, title: "Unsupported media type", description: "Request bodies must be application/json." },
	"validation-failed": {
		status: 422,
		title: "Validation failed",
		description: "The body or query does not match the schema; `errors` names each offending field.",
	},
	"idempotency-key-reused": {
		status: 422,
		title: "Idempotency key reused",
		description: "This Idempotency-Key was already used with a different request body.",
	},
	"internal-error": { status: 500, title: "Internal error", description: "The vault failed unexpectedly; nothing about the request is echoed back." },
	"key-unavailable": {
		status: 500,
		title: "Key unavailable",
		description:
			"The record's data key is wrapped under a key id that is not in VAULT_KEYRING (removed while still in use). `key_id` names it; ops are alerted. Nothing was revealed.",
	},
	"configuration-unavailable": {
		status: 503,
		title: "Configuration unavailable",
		description: "A required secret or variable is missing or malformed; `variable` names it.",
	},
	"no-open-leg": {
		status: 403,
		title: "No open leg",
		description:
			"The call (or reveal) needs live work: an open delivery, pickup or return leg of this parcel held by you or your depot, or a case id for customer_service. `reason`: `no_open_leg`, `stale` (the leg closed or moved away recently: refresh your list) or `case_required`.",
	},
	"call-ending": {
		status: 409,
		title: "Your earlier call is still ending",
		description:
			"Your earlier call on this parcel's leg was ended (by you or by ops), but the privacy-number provider has not let its binding go yet; the vault retries every minute. It is handed out to nobody meanwhile, and nothing was counted. Retry-After says when to try again.",
	},
	"phone-number-required": {
		status: 422,
		title: "Your phone number is needed",
		description:
			"A call connects your own phone to the customer's through a privacy number, so your token must carry your phone as the `phone_number` claim in E.164 (e.g. +8613812345678). Ask your identity administrator to add it; no call was set up.",
	},
	"telephony-unavailable": {
		status: 503,
		title: "Telephony unavailable",
		description:
			"The privacy-number provider did not answer, failed or throttled the vault; no call was set up and no number was handed out. `provider` names it; try again later.",
	},
	"telephony-no-number": {
		status: 503,
		title: "No virtual number free",
		description: "The provider's number pool has no number free for this pair; no call was set up and no number was handed out. Try again later.",
	},
	"telephony-refused": {
		status: 502,
		title: "Telephony refused",
		description: "The privacy-number provider refused the binding; `provider_code`, where present, is its reason. No number was handed out.",
	},
	"telephony-misconfigured": {
		status: 502,
		title: "Telephony misconfigured",
		description:
			"The privacy-number provider refused the vault's credentials, signature or number pool (the TELEPHONY secret); ops must correct it. No number was handed out.",
	},
	"dependency-unavailable": {
		status: 503,
		title: "Dependency unavailable",
		description: "A storage or key dependency did not answer; the vault fails closed.",
	},
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ProblemSlug = keyof typeof problemTypes;

export function problemTypeUri(slug: ProblemSlug): string {
	return `/problems/${slug}`;
}
