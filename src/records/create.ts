import type { AuditEvent } from "../audit/entry";
import { requestFingerprint, requestFingerprints } from "../crypto/digest";
import type { Keyring } from "../crypto/keyring";
import { ProblemError } from "../http/problem";
import type { IdempotencyStore, IdempotentResponse } from "../idempotency/store";
import type { NewRecord, RecordStore } from "./store";

export interface CreateRequest {
	/** Who is calling; idempotency keys are scoped to the principal. */
	principal: string;
	idempotencyKey: string | undefined;
	/** The parsed body, fingerprinted to tell a retry from a different request under the same key. */
	body: unknown;
}

export interface CreateResult {
	/** Ids of the records created, by this request or by the first one under its key. */
	ids: string[];
	replayed: boolean;
}

/**
 * The stored answer, if the retry is the same request. The first attempt may have been fingerprinted
 * under a primary key that has rotated since, so a mismatch is checked under every key of the ring.
 */
async function replay(stored: IdempotentResponse, requestHash: string, sameRequest: () => Promise<string[]>): Promise<CreateResult> {
	if (stored.requestHash !== requestHash && !(await sameRequest()).includes(stored.requestHash)) {
		throw new ProblemError("idempotency-key-reused", { detail: "This Idempotency-Key was used with a different body; use a new key for a new request." });
	}
	return { ids: (JSON.parse(stored.body) as { ids: string[] }).ids, replayed: true };
}

/**
 * Writes records at most once per Idempotency-Key (draft-ietf-httpapi-idempotency-key-header):
 * a retry with the same body answers for the same records, a different body is refused, and two
 * concurrent first attempts race on the key's row inside the records' own transaction, so exactly
 * one writes and the other replays. Only ids are remembered: the caller renders the answer from
 * the records as they are now, so a replay never shows what an erasure removed.
 */
export async function createOnce(
	stores: { records: RecordStore; idempotency: IdempotencyStore; keyring: Keyring },
	request: CreateRequest,
	build: () => Promise<{ records: NewRecord[]; events: AuditEvent[] }>,
	now: number,
): Promise<CreateResult> {
	const { idempotencyKey: key, principal } = request;
	const requestHash = key === undefined ? "" : await requestFingerprint(stores.keyring, JSON.stringify(request.body));
	const underEveryKey = () => requestFingerprints(stores.keyring, JSON.stringify(request.body));
	if (key !== undefined) {
		const stored = await stores.idempotency.find(principal, key, now);
		if (stored) return replay(stored, requestHash, underEveryKey);
	}
	const built = await build();
	const ids = built.records.map((record) => record.id);
	const response: IdempotentResponse = { requestHash, status: 201, body: JSON.stringify({ ids }) };
	const companions = key === undefined ? [] : stores.idempotency.claim(principal, key, response, now);
	const outcome = await stores.records.insert(built.records, companions, built.events);
	if (outcome === "duplicate_record") {
		throw new ProblemError("conflict", {
			detail:
				"A live record already exists for a shipment and party in this request; nothing was written. Read it with GET /v1/records?shipment_id=, or erase it first.",
		});
	}
	if (outcome === "companion_conflict" && key !== undefined) {
		const stored = await stores.idempotency.find(principal, key, now);
		if (stored) return replay(stored, requestHash, underEveryKey);
		throw new ProblemError("conflict", { detail: "A concurrent request with this Idempotency-Key did not complete; retry." });
	}
	if (outcome !== "inserted") throw new Error(`unexpected insert outcome ${outcome}`);
	return { ids, replayed: false };
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The Idempotency-Key header, if any: 1–255 visible ASCII characters. */
export function idempotencyKeyFrom(header: string | undefined): string | undefined {
	if (header === undefined) return undefined;
	if (!IDEMPOTENCY_KEY.test(header)) {
		throw new ProblemError("bad-request", { detail: "Idempotency-Key must be 1–255 visible ASCII characters." });
	}
	return header;
}
