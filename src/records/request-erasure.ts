import { actorOf } from "../audit/actor";
import type { Principal } from "../auth/principal";
import type { Services } from "../http/services";
import { eraseOnRequest } from "./erasure";
import type { ErasureReceiptView, ErasureRequest } from "./schemas";

/**
 * A customer's deletion request (by phone) or a shipment's, answered with its receipt as the wire
 * shows it: the one path for `POST /v1/records/erasures` and the Workers RPC entrypoint, so both
 * erase the same records under the same `record.batch_erased` entries.
 */
export async function requestErasure(services: Services, principal: Principal, request: ErasureRequest, now: number): Promise<ErasureReceiptView> {
	const receipt = await eraseOnRequest(services.records, await services.keyring, request, actorOf(principal), now);
	return {
		matched_by: receipt.matchedBy,
		reference: receipt.reference,
		erased: receipt.erased,
		count: receipt.erased.length,
		erased_at: new Date(receipt.erasedAt).toISOString(),
		audit_seqs: receipt.auditSeqs,
		complete: receipt.complete,
	};
}
