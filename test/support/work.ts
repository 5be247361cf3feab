import { call } from "./api";

/** What a record body says about who works on it: enough to report the work it implies. */
export interface WorkOf {
	shipment_id: string;
	party?: string;
	depot?: string;
	courier?: string;
	courier_issuer?: string;
}

/** The work to report: the courier's round for the record's party, or a return handled at the record's depot. */
export type WorkKind = "round" | "return";

/**
 * Reports work on records as a courier service would once the parcel moves (DESIGN "Reveals
 * follow the work"). "round": a recipient's courier is out for delivery, a sender's has a pickup
 * scheduled (a record without a courier gets no leg). "return": a return is under way at the
 * record's depot, held by its courier if it has one. Tests that expect a reveal to be granted report
 * the work first, exactly as production traffic must; tests of the gate itself do not.
 */
export async function reportWork(service: string, records: readonly WorkOf[], kind: WorkKind = "round"): Promise<void> {
	const events = records.flatMap((record) => {
		const courier = record.courier ? { courier: record.courier, ...(record.courier_issuer ? { courier_issuer: record.courier_issuer } : {}) } : null;
		const depot = record.depot ? { depot: record.depot } : {};
		if (kind === "return") return [{ shipment_id: record.shipment_id, type: "return_started", ...courier, ...depot }];
		if (!courier) return [];
		return [{ shipment_id: record.shipment_id, type: record.party === "sender" ? "pickup_scheduled" : "out_for_delivery", ...courier, ...depot }];
	});
	for (let i = 0; i < events.length; i += 1000) {
		const response = await call("POST", "/v1/shipment-events", { token: service, body: { events: events.slice(i, i + 1000) } });
		if (response.status !== 200) throw new Error(`shipment events answered ${response.status}: ${await response.text()}`);
	}
}
