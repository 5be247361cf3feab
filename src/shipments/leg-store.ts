import type { AuditEvent } from "../audit/entry";
import type { AuditLog } from "../audit/log";
import { classified } from "../storage/d1-errors";
import type { LegKind, LegParties, ShipmentEvent, ShipmentEventType } from "./events";
import type { LegPolicyRow } from "./leg-policy";
import type { Leg } from "./legs";

/** A leg as stored (and as json_group_array returns it inside getForAsk). */
export interface LegRow {
	shipment_id: string;
	n: number;
	kind: LegKind;
	parties: LegParties;
	courier: string | null;
	courier_issuer: string | null;
	depot: string | null;
	opened_at: number;
	closed_at: number | null;
	close_after: number | null;
	at: number;
}

/** The json_object of a legs row, for a query that returns a shipment's legs in one column. */
export const LEG_JSON_OBJECT =
	"json_object('shipment_id', l.shipment_id, 'n', l.n, 'kind', l.kind, 'parties', l.parties, 'courier', l.courier, 'courier_issuer', l.courier_issuer, 'depot', l.depot, 'opened_at', l.opened_at, 'closed_at', l.closed_at, 'close_after', l.close_after, 'at', l.at)";

export function legFromRow(row: LegRow, storedIssuer: (issuer: string | null) => string = (issuer) => issuer ?? ""): Leg {
	return {
		shipmentId: row.shipment_id,
		n: row.n,
		kind: row.kind,
		parties: row.parties,
		courier: row.courier === null ? null : { subject: row.courier, issuer: storedIssuer(row.courier_issuer) },
		depot: row.depot,
		openedAt: row.opened_at,
		closedAt: row.closed_at,
		closeAfter: row.close_after,
		at: row.at,
	};
}

const toLegRow = (leg: Leg): LegRow => ({
	shipment_id: leg.shipmentId,
	n: leg.n,
	kind: leg.kind,
	parties: leg.parties,
	courier: leg.courier?.subject ?? null,
	courier_issuer: leg.courier?.issuer ?? null,
	depot: leg.depot,
	opened_at: leg.openedAt,
	closed_at: leg.closedAt,
	close_after: leg.closeAfter,
	at: leg.at,
});

interface EventRow {
	shipment_id: string;
	n: number;
	type: ShipmentEventType;
	courier: string | null;
	courier_issuer: string | null;
	depot: string | null;
	at: number;
}

/** What one ingest needs to know about the shipments it names, read in one round trip. */
export interface ShipmentsRead {
	/** Live recipient and sender records per shipment: a shipment with none is unknown. */
	records: Map<string, { id: string; party: string; depot: string }[]>;
	/** Every event stored for those shipments. */
	events: Map<string, ShipmentEvent[]>;
	/** The leg columns of the policy layers, for the grace period. */
	policies: LegPolicyRow[];
}

/** The recipient record of a shipment given to the courier of its latest out_for_delivery. */
export interface Assignment {
	shipmentId: string;
	courier: string;
	courierIssuer: string;
	depot: string | null;
}

export interface LegWrite {
	/** Events new in this request, numbered after those read. */
	events: ShipmentEvent[];
	/** The recomputed legs of every shipment the request names: they replace the stored ones. */
	legs: Map<string, Leg[]>;
	assignments: Assignment[];
	/** Statements of the same transaction (the idempotency claim). */
	companions: D1PreparedStatement[];
	audit: AuditEvent;
	receivedAt: number;
}

/**
 * Shipment events and legs: the only SQL about them. A write is one D1 batch (one transaction):
 * events, legs, the recipient's assignment, the idempotency claim and the audit entry land together
 * or not at all.
 */
export class LegStore {
	constructor(
		private readonly db: D1Database,
		private readonly audit: AuditLog,
		/** What a stored courier issuer means ('' is the employee issuer: see IssuerDirectory.stored). */
		private readonly storedIssuer: (issuer: string | null) => string = (issuer) => issuer ?? "",
	) {}

	async read(shipmentIds: string[], now: number): Promise<ShipmentsRead> {
		const ids = JSON.stringify([...new Set(shipmentIds)]);
		const [records, events, policies] = await classified(
			this.db.batch([
				this.db
					.prepare(
						`SELECT id, shipment_id, party, depot FROM records
						 WHERE shipment_id IN (SELECT value FROM json_each(?1)) AND erased_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)`,
					)
					.bind(ids, now),
				this.db
					.prepare(
						"SELECT shipment_id, n, type, courier, courier_issuer, depot, at FROM shipment_events WHERE shipment_id IN (SELECT value FROM json_each(?1))",
					)
					.bind(ids),
				this.db.prepare(
					"SELECT layer, target_issuer, target, mode, require_active_leg, leg_grace_seconds, stale_window_seconds, case_limit FROM policies WHERE layer IN ('default', 'depot')",
				),
			]),
		);
		const byShipment = new Map<string, { id: string; party: string; depot: string }[]>();
		for (const row of (records?.results ?? []) as { id: string; shipment_id: string; party: string; depot: string }[]) {
			byShipment.set(row.shipment_id, [...(byShipment.get(row.shipment_id) ?? []), { id: row.id, party: row.party, depot: row.depot }]);
		}
		const eventsBy = new Map<string, ShipmentEvent[]>();
		for (const row of (events?.results ?? []) as EventRow[]) {
			const event: ShipmentEvent = {
				shipmentId: row.shipment_id,
				n: row.n,
				type: row.type,
				courier: row.courier === null ? null : { subject: row.courier, issuer: this.storedIssuer(row.courier_issuer) },
				depot: row.depot,
				at: row.at,
			};
			eventsBy.set(row.shipment_id, [...(eventsBy.get(row.shipment_id) ?? []), event]);
		}
		return { records: byShipment, events: eventsBy, policies: (policies?.results ?? []) as LegPolicyRow[] };
	}

	/**
	 * Writes the events and replaces the legs of their shipments. Events are keyed (shipment, n) with
	 * n counted from the read: a concurrent write to one of the shipments makes this one fail with a
	 * UniqueConstraintError on shipment_events (nothing written), and the caller reads again.
	 */
	async write(change: LegWrite): Promise<number | null> {
		const events = change.events.map((event) => ({
			shipment_id: event.shipmentId,
			n: event.n,
			type: event.type,
			courier: event.courier?.subject ?? null,
			courier_issuer: event.courier?.issuer ?? null,
			depot: event.depot,
			at: event.at,
		}));
		const shipments = [...change.legs.keys()];
		const legs = [...change.legs.values()].flat().map(toLegRow);
		const statements = [
			...change.companions,
			this.db
				.prepare(
					`INSERT INTO shipment_events (shipment_id, n, type, courier, courier_issuer, depot, at, received_at)
					 SELECT value ->> '$.shipment_id', value ->> '$.n', value ->> '$.type', value ->> '$.courier', value ->> '$.courier_issuer', value ->> '$.depot',
					        value ->> '$.at', ?2
					 FROM json_each(?1)`,
				)
				.bind(JSON.stringify(events), change.receivedAt),
			this.db.prepare("DELETE FROM legs WHERE shipment_id IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(shipments)),
			this.db
				.prepare(
					`INSERT INTO legs (shipment_id, n, kind, parties, courier, courier_issuer, depot, opened_at, closed_at, close_after, at)
					 SELECT value ->> '$.shipment_id', value ->> '$.n', value ->> '$.kind', value ->> '$.parties', value ->> '$.courier', value ->> '$.courier_issuer',
					        value ->> '$.depot', value ->> '$.opened_at', value ->> '$.closed_at', value ->> '$.close_after', value ->> '$.at'
					 FROM json_each(?1)`,
				)
				.bind(JSON.stringify(legs)),
		];
		if (change.assignments.length > 0) {
			// The recipient's record goes with the delivery leg (DESIGN: out_for_delivery "assigns the record to them").
			// Only a change is written: a record told again who already holds it keeps its updated_at.
			statements.push(
				this.db
					.prepare(
						`UPDATE records SET courier = a.value ->> '$.courier', courier_issuer = a.value ->> '$.courierIssuer',
						   depot = COALESCE(a.value ->> '$.depot', records.depot), updated_at = ?2
						 FROM json_each(?1) AS a
						 WHERE records.shipment_id = a.value ->> '$.shipmentId' AND records.party = 'recipient' AND records.erased_at IS NULL
						   AND (records.courier IS NOT a.value ->> '$.courier' OR records.courier_issuer IS NOT a.value ->> '$.courierIssuer'
						        OR records.depot IS NOT COALESCE(a.value ->> '$.depot', records.depot))`,
					)
					.bind(JSON.stringify(change.assignments), change.receivedAt),
			);
		}
		const { seq } = await this.audit.appendWith(change.audit, statements);
		return seq;
	}

	/** A shipment's legs, oldest first (ops; no contact data in them). */
	async legsOf(shipmentId: string): Promise<Leg[]> {
		const { results } = await classified(
			this.db
				.prepare(
					"SELECT shipment_id, n, kind, parties, courier, courier_issuer, depot, opened_at, closed_at, close_after, at FROM legs WHERE shipment_id = ?1 ORDER BY n",
				)
				.bind(shipmentId)
				.all<LegRow>(),
		);
		return results.map((row) => legFromRow(row, this.storedIssuer));
	}
}
