/**
 * The typed client for courier microservices (`contact-vault/client`): types generated from the
 * vault's OpenAPI document (vault-api.ts, `npm run client:generate`), calls through openapi-fetch,
 * and helpers for the RateLimit fields, idempotent retries and problem errors. README "Courier
 * services: the typed client".
 */
export { type Problem, VaultProblem } from "./problem.ts";
export { type RateLimitState, rateLimitsOf, retryAfterSeconds, tightestLimit } from "./rate-limit.ts";
export { DEFAULT_RETRY, type RetryPolicy, repeatable, retryingFetch } from "./retry.ts";
export type { components, operations, paths } from "./vault-api.ts";
export {
	createVaultClient,
	type IdempotencyOptions,
	type LookupAnswer,
	type RecordInput,
	type ShipmentEvents,
	type ShipmentEventsAccepted,
	type VaultClient,
	type VaultClientOptions,
	type VaultRecord,
} from "./vault-client.ts";
