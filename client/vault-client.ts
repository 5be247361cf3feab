import createClient, { type Client } from "openapi-fetch";
import { VaultProblem } from "./problem.ts";
import { type RateLimitState, rateLimitsOf } from "./rate-limit.ts";
import { DEFAULT_RETRY, type RetryPolicy, retryingFetch } from "./retry.ts";
import type { components, paths } from "./vault-api.ts";

export type VaultRecord = components["schemas"]["Record"];
export type RecordInput = components["schemas"]["RecordInput"];
export type ShipmentEvents = paths["/v1/shipment-events"]["post"]["requestBody"]["content"]["application/json"];
export type ShipmentEventsAccepted = paths["/v1/shipment-events"]["post"]["responses"]["200"]["content"]["application/json"];

export interface VaultClientOptions {
	/** The vault's origin, e.g. `http://127.0.0.1:8787`. */
	baseUrl: string;
	/** The service's bearer token, or a function that returns a current one (asked before every call). */
	token: string | (() => string | Promise<string>);
	/** Another fetch (a service binding's, a test's). */
	fetch?: (request: Request) => Promise<Response>;
	/** How repeatable calls are retried on 429, 503 and lost answers (client/retry.ts). */
	retry?: Partial<RetryPolicy>;
}

export interface IdempotencyOptions {
	/**
	 * The Idempotency-Key (1–255 visible ASCII characters). Give one derived from your own booking
	 * (e.g. `booking-<waybill>-recipient`) so that a retry after a crash of your service is also
	 * answered once; without one, a fresh key is made for this call and reused by its retries.
	 */
	idempotencyKey?: string;
}

/** A lookup's records, and where the caller's lookup limits stand after it. */
export interface LookupAnswer {
	records: VaultRecord[];
	rateLimits: RateLimitState[];
}

/**
 * The vault's API for courier microservices: the raw typed client (`raw`, openapi-fetch over the
 * generated `paths`) for any operation, and methods for the courier-service calls that return
 * data or throw a VaultProblem. Creations carry an Idempotency-Key, so a retry (this client's on
 * 429/503 or a lost answer, or yours) never makes a second record.
 */
export function createVaultClient(options: VaultClientOptions) {
	const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
	const raw: Client<paths> = createClient<paths>({
		baseUrl: options.baseUrl.replace(/\/+$/, ""),
		fetch: retryingFetch(options.fetch ?? ((request) => fetch(request)), retry),
	});
	const { token } = options;
	raw.use({
		async onRequest({ request }) {
			request.headers.set("Authorization", `Bearer ${typeof token === "string" ? token : await token()}`);
			return request;
		},
	});

	/** The data of a successful answer, or the answer's problem thrown. */
	const settled = <T>(result: { data?: T; error?: unknown; response: Response }): T => {
		if (!result.response.ok || result.data === undefined) throw VaultProblem.of(result.response, result.error);
		return result.data;
	};
	const keyOf = (idempotency: IdempotencyOptions) => idempotency.idempotencyKey ?? crypto.randomUUID();
	const replayed = (response: Response) => response.headers.get("Idempotent-Replayed") === "true";

	return {
		raw,

		/** POST /v1/records: the record as created, masked; `replayed` when the key had been used for this same body. */
		async createRecord(input: RecordInput, idempotency: IdempotencyOptions = {}): Promise<{ record: VaultRecord; replayed: boolean }> {
			const result = await raw.POST("/v1/records", { body: input, params: { header: { "idempotency-key": keyOf(idempotency) } } });
			return { record: settled(result), replayed: replayed(result.response) };
		},

		/** POST /v1/records/batch: up to 1000 records, all or nothing; their ids in input order. */
		async createRecords(records: RecordInput[], idempotency: IdempotencyOptions = {}): Promise<{ ids: string[]; replayed: boolean }> {
			const result = await raw.POST("/v1/records/batch", { body: { records }, params: { header: { "idempotency-key": keyOf(idempotency) } } });
			return { ids: settled(result).ids, replayed: replayed(result.response) };
		},

		/** GET /v1/records/{id}: the masked view; a VaultProblem `not-found` (404) or `record-erased` (410) otherwise. */
		async getRecord(id: string): Promise<VaultRecord> {
			return settled(await raw.GET("/v1/records/{id}", { params: { path: { id } } }));
		},

		/** POST /v1/records/lookup: exact phone lookup (the phone travels in the body, never a URL); counted against lookup limits. */
		async lookupByPhone(phone: string): Promise<LookupAnswer> {
			const result = await raw.POST("/v1/records/lookup", { body: { phone } });
			return { records: settled(result).records, rateLimits: rateLimitsOf(result.response.headers) };
		},

		/** GET /v1/records?shipment_id=: a shipment's records, masked; counted against lookup limits. */
		async recordsOfShipment(shipmentId: string): Promise<LookupAnswer> {
			const result = await raw.GET("/v1/records", { params: { query: { shipment_id: shipmentId } } });
			return { records: settled(result).records, rateLimits: rateLimitsOf(result.response.headers) };
		},

		/** POST /v1/shipment-events: up to 1000 events, all or nothing; they open and close the legs reveals ride on. */
		async reportShipmentEvents(
			events: ShipmentEvents["events"],
			idempotency: IdempotencyOptions = {},
		): Promise<ShipmentEventsAccepted & { replayed: boolean }> {
			const result = await raw.POST("/v1/shipment-events", { body: { events }, params: { header: { "idempotency-key": keyOf(idempotency) } } });
			return { ...settled(result), replayed: replayed(result.response) };
		},
	};
}

export type VaultClient = ReturnType<typeof createVaultClient>;
