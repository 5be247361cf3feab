/**
 * What a simulated day leaves behind for analyses run after it (the leak attribution): the records,
 * the shipment events that assigned them, every granted reveal and who the staff were. Read-only.
 */
import type { ShipmentEvent } from "../../src/shipments/events";
import type { Staff } from "./detect";
import type { GrantEntry, SimRecord } from "./model";

export interface DayTrace {
	records: ReadonlyMap<string, SimRecord>;
	events: readonly ShipmentEvent[];
	/** Every granted reveal, in time order; an attacker or an employee at work redeems what they are granted. */
	grants: readonly GrantEntry[];
	staff: ReadonlyMap<string, Staff & { kind: "honest" | "attacker" }>;
	/** The span the day's audit covers: the earliest event to the last scan. */
	period: { from: number; to: number };
}
