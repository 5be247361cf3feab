import { actorOf } from "../audit/actor";
import type { Principal } from "../auth/principal";
import { ProblemError } from "../http/problem";
import type { Services } from "../http/services";

/**
 * Crypto-shreds one record, audited as `record.erased`: the one path for `DELETE /v1/records/{id}`
 * and the Workers RPC entrypoint. Erasing an erased record is done (no second entry); an unknown
 * id is `not-found`.
 */
export async function eraseRecord(services: Services, principal: Principal, id: string, now: number): Promise<void> {
	const event = { kind: "record.erased", at: now, actor: actorOf(principal), recordId: id, details: {} } as const;
	const outcome = await services.records.erase(id, event);
	if (outcome === "not_found")
		throw new ProblemError("not-found", { detail: "No record with this id: check the id, or find records by shipment with GET /v1/records?shipment_id=." });
}
