/** DESIGN "Reveals follow the work": what courier services report about a parcel's work. */
export const SHIPMENT_EVENT_TYPES = [
	"out_for_delivery",
	"delivery_attempted",
	"delivered",
	"pickup_scheduled",
	"picked_up",
	"return_started",
	"returned",
	"cancelled",
] as const;
export type ShipmentEventType = (typeof SHIPMENT_EVENT_TYPES)[number];

export const LEG_KINDS = ["delivery", "pickup", "return"] as const;
export type LegKind = (typeof LEG_KINDS)[number];

/** The parties a leg covers: a return covers both, since either may be called. */
export const LEG_PARTIES = ["recipient", "sender", "both"] as const;
export type LegParties = (typeof LEG_PARTIES)[number];

export const PARTIES_OF: Readonly<Record<LegKind, LegParties>> = { delivery: "recipient", pickup: "sender", return: "both" };

/** A courier named by the pair (issuer, subject) (DESIGN "Identity"). */
export interface CourierRef {
	subject: string;
	issuer: string;
}

/** One event as stored: `n` orders events of a shipment by arrival, breaking ties between equal `at`. */
export interface ShipmentEvent {
	shipmentId: string;
	n: number;
	type: ShipmentEventType;
	courier: CourierRef | null;
	depot: string | null;
	/** When it happened (ms), as the service reports it. */
	at: number;
}
