import type { AuditActor, AuditEvent } from "../audit/entry";
import { phoneIndexCandidates } from "../crypto/blind-index";
import type { Keyring } from "../crypto/keyring";
import { normalizePhone } from "./phone";
import type { ErasureRequest } from "./schemas";
import type { RecordStore } from "./store";

export interface ErasureReceipt {
	matchedBy: "phone" | "shipment_id";
	reference: string | null;
	erased: string[];
	auditSeqs: number[];
	erasedAt: number;
	complete: boolean;
}

/** Records erased per transaction and per audit entry. */
export const ERASURE_BATCH = 500;
/** Batches one call erases at most; a customer with more records calls again. */
const MAX_BATCHES = 20;

/**
 * A customer's deletion request: every record not yet erased that matches the phone (under every
 * blind-index key in the ring, so records written before a rotation are found too) or the shipment,
 * crypto-shredded in batches, each batch one audit entry naming its ids and never the phone.
 */
export async function eraseOnRequest(store: RecordStore, keyring: Keyring, request: ErasureRequest, actor: AuditActor, now: number): Promise<ErasureReceipt> {
	const matchedBy = request.phone !== undefined ? "phone" : "shipment_id";
	const reference = request.reference ?? null;
	let candidates: string[] = [];
	if (request.phone !== undefined) {
		const phone = normalizePhone(request.phone);
		// The schema refused unnormalizable phones; reaching this is a bug, not bad input.
		if (phone === null) throw new Error("phone passed validation but does not normalize");
		candidates = await phoneIndexCandidates(keyring, phone);
	}
	const next = () =>
		request.phone !== undefined ? store.unerasedIdsByPhoneIndex(candidates, ERASURE_BATCH) : store.unerasedIdsByShipment(request.shipment_id ?? "");
	const event =
		(batch: number) =>
		(ids: string[]): AuditEvent => ({
			kind: "record.batch_erased",
			at: now,
			actor,
			recordId: null,
			details: { reason: "erasure_request", matched_by: matchedBy, reference, batch, count: ids.length, ids },
			recordIds: ids,
		});
	const erased: string[] = [];
	const auditSeqs: number[] = [];
	for (let batch = 1; batch <= MAX_BATCHES; batch++) {
		const ids = await next();
		if (ids.length === 0) return { matchedBy, reference, erased: erased.sort(), auditSeqs, erasedAt: now, complete: true };
		const result = await store.eraseMany(ids, event(batch));
		erased.push(...result.ids);
		if (result.seq !== null) auditSeqs.push(result.seq);
	}
	return { matchedBy, reference, erased: erased.sort(), auditSeqs, erasedAt: now, complete: (await next()).length === 0 };
}
