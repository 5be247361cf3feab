import { actorOf } from "../audit/actor";
import type { Principal } from "../auth/principal";
import type { Services } from "../http/services";
import { courierIssuerOf } from "./courier-issuer";
import { live } from "./live";
import type { ReassignInput, RecordView } from "./schemas";
import { recordView } from "./view";

/** Who reassigns which record, and to what (already validated by ReassignInput). */
export interface ReassignCall {
	principal: Principal;
	id: string;
	change: ReassignInput;
}

/**
 * Moves a record to another depot or courier as the parcel moves, audited as `record.reassigned`:
 * the one path for `PATCH /v1/records/{id}` and the Workers RPC entrypoint. A record that is not
 * live is its `not-found` or `record-erased` problem.
 */
export async function reassignRecord(services: Services, call: ReassignCall, now: number): Promise<RecordView> {
	const { id, change } = call;
	const store = services.records;
	const courier =
		typeof change.courier === "string"
			? { subject: change.courier, issuer: courierIssuerOf(services.issuers, change.courier_issuer, "/courier_issuer") }
			: change.courier;
	const details = {
		...(change.depot !== undefined ? { depot: change.depot } : {}),
		...(courier !== undefined ? { courier: courier?.subject ?? null, courier_issuer: courier?.issuer ?? null } : {}),
	};
	const event = { kind: "record.reassigned", at: now, actor: actorOf(call.principal), recordId: id, details } as const;
	const updated = await store.reassign(
		id,
		{ ...(change.depot !== undefined ? { depot: change.depot } : {}), ...(courier !== undefined ? { courier } : {}) },
		event,
	);
	return recordView(updated ?? live(await store.get(id)));
}
