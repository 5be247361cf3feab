import { actorOf } from "../audit/actor";
import type { AuditEvent } from "../audit/entry";
import type { Principal } from "../auth/principal";
import { requestFingerprint, requestFingerprints } from "../crypto/digest";
import type { Keyring } from "../crypto/keyring";
import { ProblemError } from "../http/problem";
import type { IdempotencyStore, IdempotentResponse } from "../idempotency/store";
import { UniqueConstraintError } from "../storage/d1-errors";
import type { CourierRef, ShipmentEvent, ShipmentEventType } from "./events";
import { graceSecondsAt } from "./leg-policy";
import type { Assignment, LegStore } from "./leg-store";
import { type Leg, latestDelivery, legsOf } from "./legs";

/** One event of a request, validated: its courier's issuer resolved, its time in ms. */
export interface IncomingEvent {
	shipmentId: string;
	type: ShipmentEventType;
	courier: CourierRef | null;
	depot: string | null;
	at: number;
}

export interface RecordEventsRequest {
	principal: Principal;
	idempotencyKey: string | undefined;
	/** The parsed body, fingerprinted to tell a retry from a different request under the same key. */
	body: unknown;
	events: IncomingEvent[];
}

export interface RecordEventsResult {
	accepted: number;
	/** Shipments whose legs changed in this request (or the first under its key), in first-mention order. */
	shipments: string[];
	replayed: boolean;
}

/** Two writers racing on one shipment: one wins, the other reads again; this many tries before giving up. */
const ATTEMPTS = 4;

function replay(stored: IdempotentResponse, requestHash: string, underEveryKey: () => Promise<string[]>): Promise<RecordEventsResult> {
	return (async () => {
		if (stored.requestHash !== requestHash && !(await underEveryKey()).includes(stored.requestHash)) {
			throw new ProblemError("idempotency-key-reused", { detail: "This Idempotency-Key was used with a different body; use a new key for a new request." });
		}
		const body = JSON.parse(stored.body) as { accepted: number; shipments: string[] };
		return { ...body, replayed: true };
	})();
}

function unknownShipments(events: readonly IncomingEvent[], known: ReadonlyMap<string, unknown>): never | undefined {
	const errors = events.flatMap((event, index) =>
		known.has(event.shipmentId) ? [] : [{ pointer: `/events/${index}/shipment_id`, code: "unknown_shipment", message: "no live record has this shipment id" }],
	);
	if (errors.length === 0) return undefined;
	throw new ProblemError("validation-failed", {
		detail: "Some events name a shipment the vault holds no live record of; nothing was written.",
		extensions: { errors: errors.slice(0, 100) },
	});
}

/**
 * Records shipment events and recomputes the legs of their shipments, all or nothing, at most once
 * per Idempotency-Key (draft-ietf-httpapi-idempotency-key-header; the same semantics as record
 * creation: a retry replays, another body under the key is refused, a concurrent first attempt
 * loses the race on the key's row and replays the winner). Legs are a fold over every event of the
 * shipment sorted by `at`, so late and out-of-order events land where they belong.
 */
export async function recordEvents(
	stores: { legs: LegStore; idempotency: IdempotencyStore; keyring: Keyring },
	request: RecordEventsRequest,
	now: number,
): Promise<RecordEventsResult> {
	const { idempotencyKey: key, principal } = request;
	const owner = `${principal.issuer} ${principal.subject}`;
	const text = JSON.stringify(request.body);
	const requestHash = key === undefined ? "" : await requestFingerprint(stores.keyring, text);
	const underEveryKey = () => requestFingerprints(stores.keyring, text);
	const shipments = [...new Set(request.events.map((event) => event.shipmentId))];
	for (let attempt = 1; ; attempt++) {
		if (key !== undefined) {
			const stored = await stores.idempotency.find(owner, key, now);
			if (stored) return replay(stored, requestHash, underEveryKey);
		}
		const read = await stores.legs.read(shipments, now);
		unknownShipments(request.events, read.records);
		const numbered = new Map<string, number>(shipments.map((id) => [id, read.nextN.get(id) ?? 0]));
		const fresh: ShipmentEvent[] = request.events.map((event) => {
			const n = numbered.get(event.shipmentId) as number;
			numbered.set(event.shipmentId, n + 1);
			return { ...event, n };
		});
		const legs = new Map<string, Leg[]>();
		const assignments: Assignment[] = [];
		const assigned: string[] = [];
		for (const shipmentId of shipments) {
			const all = [...(read.events.get(shipmentId) ?? []), ...fresh.filter((event) => event.shipmentId === shipmentId)];
			const records = read.records.get(shipmentId) ?? [];
			const grace = graceSecondsAt(read.policies, records[0]?.depot ?? null) * 1000;
			legs.set(shipmentId, legsOf(all, grace));
			// Only an out_for_delivery of this request that is the latest of all reassigns: an older one arriving late changes nothing.
			const latest = latestDelivery(all);
			if (latest?.courier && fresh.includes(latest)) {
				assignments.push({ shipmentId, courier: latest.courier.subject, courierIssuer: latest.courier.issuer, depot: latest.depot, records });
				assigned.push(...records.filter((record) => record.party === "recipient").map((record) => record.id));
			}
		}
		const response = { accepted: fresh.length, shipments };
		const audit: AuditEvent = {
			kind: "shipment.events",
			at: now,
			actor: actorOf(principal),
			recordId: null,
			// Shipment ids and event types only: couriers and depots are in shipment_events, contact data nowhere.
			details: { count: fresh.length, events: fresh.map((event) => ({ shipment_id: event.shipmentId, type: event.type })), assigned },
			...(assigned.length > 0 ? { recordIds: assigned } : {}),
		};
		const companions = key === undefined ? [] : stores.idempotency.claim(owner, key, { requestHash, status: 200, body: JSON.stringify(response) }, now);
		try {
			await stores.legs.write({ events: fresh, legs, assignments, companions, audit, receivedAt: now });
			return { ...response, replayed: false };
		} catch (error) {
			if (!(error instanceof UniqueConstraintError) || attempt >= ATTEMPTS) {
				if (error instanceof UniqueConstraintError) {
					throw new ProblemError("conflict", { detail: "Other events for these shipments kept arriving at the same time; retry." });
				}
				throw error;
			}
			// Either the key was claimed by a concurrent first attempt (the next pass replays it) or
			// another request wrote events of these shipments first (the next pass folds them in).
		}
	}
}
