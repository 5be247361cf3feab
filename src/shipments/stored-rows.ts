import type { LegKind, LegParties, ShipmentEventType } from "./events";

/**
 * A leg as stored (migration 0008) with its MAC (0018): the one declaration of the row, which the
 * leg store, the ask's and the calls' reads (as `json_object`), the row MAC's content and the
 * row-MAC jobs all Pick from. `mac` is null on a leg from before 0018 until the legacy job MACs it.
 */
export interface LegRow {
	shipment_id: string;
	n: number;
	kind: LegKind;
	parties: LegParties;
	/** The courier holding it, by the pair (subject, issuer as stored: '' is the employee issuer). */
	courier: string | null;
	courier_issuer: string | null;
	depot: string | null;
	opened_at: number;
	closed_at: number | null;
	close_after: number | null;
	/** The event that last changed it. */
	at: number;
	mac: string | null;
	mac_key: string | null;
}

/** A leg's columns without its MAC: what the fold computes and what the MAC is over. */
export type LegColumns = Omit<LegRow, "mac" | "mac_key">;

/** A shipment event as stored (migration 0008) with its MAC (0019); `received_at` is bookkeeping no reader needs. */
export interface ShipmentEventRow {
	shipment_id: string;
	n: number;
	type: ShipmentEventType;
	courier: string | null;
	courier_issuer: string | null;
	depot: string | null;
	at: number;
	mac: string | null;
	mac_key: string | null;
}

/** An event's columns without its MAC: what the MAC is over. */
export type ShipmentEventColumns = Omit<ShipmentEventRow, "mac" | "mac_key">;
