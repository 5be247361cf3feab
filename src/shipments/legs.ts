import { type CourierRef, type LegKind, type LegParties, PARTIES_OF, type ShipmentEvent, type ShipmentEventType } from "./events";

/** One holding of a parcel's work: a kind, its parties, who holds it and when. */
export interface Leg {
	shipmentId: string;
	/** Ordinal within the shipment, in the order the legs opened. */
	n: number;
	kind: LegKind;
	parties: LegParties;
	/** The courier holding it, or null for a leg held at a depot only (a return without a courier). */
	courier: CourierRef | null;
	/** The depot it is held at; null means the record's own depot. */
	depot: string | null;
	openedAt: number;
	/** When the work ended (delivered, picked up, returned, cancelled, moved to someone else). */
	closedAt: number | null;
	/** When the leg stops allowing reveals: closedAt plus the grace period, or closedAt without grace. */
	closeAfter: number | null;
	/** The `at` of the event that last changed it. */
	at: number;
}

/** The kind of leg each opening or closing event is about (cancelled is about every kind). */
const OPENS: Partial<Record<ShipmentEventType, LegKind>> = { out_for_delivery: "delivery", pickup_scheduled: "pickup", return_started: "return" };
const CLOSES: Partial<Record<ShipmentEventType, LegKind>> = { delivered: "delivery", picked_up: "pickup", returned: "return" };

/** Whether a leg still allows reveals at `now`. */
export const isOpen = (leg: Pick<Leg, "closeAfter">, now: number): boolean => leg.closeAfter === null || leg.closeAfter > now;

const sameHolder = (a: CourierRef | null, b: CourierRef | null) => a?.subject === b?.subject && a?.issuer === b?.issuer;

/** Events in the order they happened: by `at`, then by arrival for events reported at the same instant. */
export function inOrder(events: readonly ShipmentEvent[]): ShipmentEvent[] {
	return [...events].sort((a, b) => a.at - b.at || a.n - b.n);
}

/**
 * Applies one event to a shipment's legs, exactly per DESIGN's table. Pure; `graceMs` is the
 * policy's grace after delivered / picked_up / returned. Events must be applied in `inOrder` order:
 * `legsOf` does that, so the later `at` always wins whatever order events arrived in.
 */
export function applyEvent(legs: readonly Leg[], event: ShipmentEvent, graceMs: number): Leg[] {
	const next = legs.map((leg) => ({ ...leg }));
	const current = (kind: LegKind) => next.findLast((leg) => leg.kind === kind && leg.closedAt === null);
	const close = (leg: Leg, graceAfter: number) => {
		leg.closedAt = event.at;
		leg.closeAfter = event.at + graceAfter;
		leg.at = event.at;
	};
	const opens = OPENS[event.type];
	if (opens) {
		const open = current(opens);
		// The same courier told again (a re-sent out_for_delivery) keeps the leg; the depot may be news.
		if (open && sameHolder(open.courier, event.courier)) {
			if (event.depot !== null) open.depot = event.depot;
			open.at = event.at;
			return next;
		}
		// Another courier: the leg moves. The old holding ends now, without grace: it is someone else's work.
		if (open) close(open, 0);
		next.push({
			shipmentId: event.shipmentId,
			n: next.length,
			kind: opens,
			parties: PARTIES_OF[opens],
			courier: event.courier,
			depot: event.depot ?? open?.depot ?? null,
			openedAt: event.at,
			closedAt: null,
			closeAfter: null,
			at: event.at,
		});
		return next;
	}
	const closes = CLOSES[event.type];
	if (closes) {
		const open = current(closes);
		if (open) close(open, graceMs);
		return next;
	}
	if (event.type === "delivery_attempted") {
		const open = current("delivery");
		if (open) open.at = event.at;
		return next;
	}
	// cancelled: every leg of the shipment closes at once, no grace; one still in its grace ends too.
	for (const leg of next) {
		if (leg.closedAt === null) close(leg, 0);
		else if (leg.closeAfter !== null && leg.closeAfter > event.at) {
			leg.closeAfter = event.at;
			leg.at = event.at;
		}
	}
	return next;
}

/** A shipment's legs from all its events: the fold of `applyEvent` over them in the order they happened. */
export function legsOf(events: readonly ShipmentEvent[], graceMs: number): Leg[] {
	return inOrder(events).reduce<Leg[]>((legs, event) => applyEvent(legs, event, graceMs), []);
}

/** The courier whom the shipment's latest out_for_delivery names, with its depot: who the recipient record is assigned to. */
export function latestDelivery(events: readonly ShipmentEvent[]): ShipmentEvent | null {
	return inOrder(events).findLast((event) => event.type === "out_for_delivery") ?? null;
}
