import { retryAfterSeconds } from "./rate-limit.ts";

export interface RetryPolicy {
	/** Tries in all, the first included (default 3). */
	attempts: number;
	/** The longest wait between tries, in seconds (default 30): a `Retry-After` beyond it is not waited for, and its 429/503 reaches the caller. */
	maxWaitSeconds: number;
	/** Waits; replaceable in tests. */
	sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = {
	attempts: 3,
	maxWaitSeconds: 30,
	sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const SAFE_TO_REPEAT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/**
 * A request may be sent again only if repeating it cannot do the work twice: methods idempotent by
 * definition (RFC 9110 §9.2.2), and POSTs that carry an Idempotency-Key, which the vault answers
 * once and replays after (draft-ietf-httpapi-idempotency-key-header). A phone lookup is a POST
 * without one and is never repeated behind the caller's back; a shipment lookup is a GET, retried
 * only after the Retry-After the vault gave, and counted again like any lookup.
 */
export function repeatable(request: Request): boolean {
	return SAFE_TO_REPEAT.has(request.method) || request.headers.has("Idempotency-Key");
}

/**
 * `fetch` that tries a repeatable request again when the vault answers 429 or 503, after the
 * `Retry-After` it names (RFC 9110 §10.2.3; without one, 1 s, then 2 s, …), and when the answer
 * was lost on the way (a network error), up to `attempts` tries and never longer than
 * `maxWaitSeconds` a wait. The same request is sent each time: its Idempotency-Key included.
 */
export function retryingFetch(
	fetchImpl: (request: Request) => Promise<Response>,
	policy: RetryPolicy = DEFAULT_RETRY,
): (request: Request) => Promise<Response> {
	return async (request) => {
		if (!repeatable(request)) return fetchImpl(request);
		for (let attempt = 1; ; attempt++) {
			const last = attempt >= policy.attempts;
			let response: Response;
			try {
				response = await fetchImpl(last ? request : request.clone());
			} catch (error) {
				if (last) throw error;
				await policy.sleep(Math.min(2 ** (attempt - 1), policy.maxWaitSeconds) * 1000);
				continue;
			}
			if (last || (response.status !== 429 && response.status !== 503)) return response;
			const wait = retryAfterSeconds(response.headers) ?? 2 ** (attempt - 1);
			if (wait > policy.maxWaitSeconds) return response;
			await response.body?.cancel();
			await policy.sleep(wait * 1000);
		}
	};
}
