import type { AuditEvent } from "../audit/entry";
import type { AuditLog } from "../audit/log";
import { eventContent, legContent, policyContent, policyKey, recordContent } from "../integrity/row-contents";
import type { StoredRecordAssignment } from "../integrity/row-mac-store";
import type { RowTrust } from "../integrity/row-trust";
import { classified } from "../storage/d1-errors";
import type { ShipmentEvent } from "./events";
import type { LegPolicyRow } from "./leg-policy";
import type { Leg } from "./legs";
import type { LegColumns, LegRow, ShipmentEventRow } from "./stored-rows";

/** The json_object of a legs row, for a query that returns a shipment's legs in one column. */
export const LEG_JSON_OBJECT =
	"json_object('shipment_id', l.shipment_id, 'n', l.n, 'kind', l.kind, 'parties', l.parties, 'courier', l.courier, 'courier_issuer', l.courier_issuer, 'depot', l.depot, 'opened_at', l.opened_at, 'closed_at', l.closed_at, 'close_after', l.close_after, 'at', l.at, 'mac', l.mac, 'mac_key', l.mac_key)";

export function legFromRow(row: LegColumns, storedIssuer: (issuer: string | null) => string = (issuer) => issuer ?? ""): Leg {
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

const toLegRow = (leg: Leg): LegColumns => ({
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

/** What one ingest needs to know about the shipments it names, read in one round trip. */
export interface ShipmentsRead {
	/** Live recipient and sender records per shipment: a shipment with none is unknown. */
	records: Map<string, ReadRecord[]>;
	/** Every event stored for those shipments whose MAC holds: the fold's input. */
	events: Map<string, ShipmentEvent[]>;
	/** Per shipment, the `n` after every stored event's, forged ones included (the new events' keys must not collide with them). */
	nextN: Map<string, number>;
	/** The leg columns of the policy layers, for the grace period. */
	policies: LegPolicyRow[];
}

/** The recipient record of a shipment given to the courier of its latest out_for_delivery. */
export interface Assignment {
	shipmentId: string;
	courier: string;
	courierIssuer: string;
	depot: string | null;
	/** The shipment's live recipient records as read: each is written by id with its new assignment's MAC. */
	records: ReadRecord[];
}

/** A live record of a shipment as the event path reads it: enough to MAC its new assignment. */
export type ReadRecord = StoredRecordAssignment;

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
		/** MACs of the assignments an out_for_delivery writes (src/integrity/). */
		private readonly trust: RowTrust | null = null,
	) {}

	async read(shipmentIds: string[], now: number): Promise<ShipmentsRead> {
		const ids = JSON.stringify([...new Set(shipmentIds)]);
		const [records, events, policies] = await classified(
			this.db.batch([
				this.db
					.prepare(
						`SELECT id, shipment_id, party, depot, courier, courier_issuer, mac, mac_key,
						   EXISTS (SELECT 1 FROM honeytokens WHERE record_id = records.id) AS honeytoken FROM records
						 WHERE shipment_id IN (SELECT value FROM json_each(?1)) AND erased_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)`,
					)
					.bind(ids, now),
				this.db
					.prepare(
						"SELECT shipment_id, n, type, courier, courier_issuer, depot, at, mac, mac_key FROM shipment_events WHERE shipment_id IN (SELECT value FROM json_each(?1))",
					)
					.bind(ids),
				// Every column: the layer's MAC is over all of them (src/integrity/row-contents.ts).
				this.db.prepare("SELECT * FROM policies WHERE layer IN ('default', 'depot')"),
			]),
		);
		const byShipment = new Map<string, ReadRecord[]>();
		for (const row of (records?.results ?? []) as ReadRecord[]) {
			byShipment.set(row.shipment_id, [...(byShipment.get(row.shipment_id) ?? []), row]);
		}
		const stored = ((events?.results ?? []) as ShipmentEventRow[]).map((row) => ({
			...row,
			courier_issuer: row.courier === null ? null : this.storedIssuer(row.courier_issuer),
		}));
		const nextN = new Map<string, number>();
		for (const row of stored) nextN.set(row.shipment_id, Math.max(nextN.get(row.shipment_id) ?? 0, row.n + 1));
		const eventsBy = new Map<string, ShipmentEvent[]>();
		// An event whose MAC fails is left out of the fold (and reported): it opens, moves and closes nothing.
		for (const row of this.trust ? await this.trust.events(stored) : stored) {
			const event: ShipmentEvent = {
				shipmentId: row.shipment_id,
				n: row.n,
				type: row.type,
				courier: row.courier === null ? null : { subject: row.courier, issuer: row.courier_issuer ?? "" },
				depot: row.depot,
				at: row.at,
			};
			eventsBy.set(row.shipment_id, [...(eventsBy.get(row.shipment_id) ?? []), event]);
		}
		return {
			records: byShipment,
			events: eventsBy,
			nextN,
			policies: await this.admittedLayers((policies?.results ?? []) as (LegPolicyRow & Record<string, unknown>)[]),
		};
	}

	/** The layers whose MAC holds: a forged grace period is ignored like any forged layer (the layers below apply). */
	private async admittedLayers(rows: (LegPolicyRow & Record<string, unknown>)[]): Promise<LegPolicyRow[]> {
		const trust = this.trust;
		if (!trust) return rows;
		const seal = (row: Record<string, unknown>) => ({ mac: (row.mac ?? null) as string | null, mac_key: (row.mac_key ?? null) as string | null });
		const admitted = await Promise.all(
			rows.map((row) =>
				trust.admits(
					"policies",
					policyKey(row),
					policyContent(row, (issuer) => issuer),
					seal(row),
				),
			),
		);
		return rows.filter((_, i) => admitted[i]);
	}

	/**
	 * Writes the events and replaces the legs of their shipments. Events are keyed (shipment, n) with
	 * n counted from the read: a concurrent write to one of the shipments makes this one fail with a
	 * UniqueConstraintError on shipment_events (nothing written), and the caller reads again.
	 */
	async write(change: LegWrite): Promise<number | null> {
		const events = await Promise.all(
			change.events.map(async (event) => {
				const row = {
					shipment_id: event.shipmentId,
					n: event.n,
					type: event.type,
					courier: event.courier?.subject ?? null,
					courier_issuer: event.courier?.issuer ?? null,
					depot: event.depot,
					at: event.at,
				};
				return this.trust ? { ...row, ...(await this.trust.seal("shipment_events", eventContent(row))) } : row;
			}),
		);
		const shipments = [...change.legs.keys()];
		const legs = await this.sealed([...change.legs.values()].flat().map(toLegRow));
		const statements = [
			...change.companions,
			this.db
				.prepare(
					// Each row read once (a materialized CTE): json_each's `value` renders the object back to text at every reference.
					`WITH incoming AS MATERIALIZED (SELECT value AS item FROM json_each(?1))
					 INSERT INTO shipment_events (shipment_id, n, type, courier, courier_issuer, depot, at, received_at, mac, mac_key)
					 SELECT item ->> '$.shipment_id', item ->> '$.n', item ->> '$.type', item ->> '$.courier', item ->> '$.courier_issuer', item ->> '$.depot',
					        item ->> '$.at', ?2, item ->> '$.mac', item ->> '$.mac_key'
					 FROM incoming`,
				)
				.bind(JSON.stringify(events), change.receivedAt),
			this.db.prepare("DELETE FROM legs WHERE shipment_id IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(shipments)),
			this.db
				.prepare(
					`WITH incoming AS MATERIALIZED (SELECT value AS item FROM json_each(?1))
					 INSERT INTO legs (shipment_id, n, kind, parties, courier, courier_issuer, depot, opened_at, closed_at, close_after, at, mac, mac_key)
					 SELECT item ->> '$.shipment_id', item ->> '$.n', item ->> '$.kind', item ->> '$.parties', item ->> '$.courier', item ->> '$.courier_issuer',
					        item ->> '$.depot', item ->> '$.opened_at', item ->> '$.closed_at', item ->> '$.close_after', item ->> '$.at', item ->> '$.mac', item ->> '$.mac_key'
					 FROM incoming`,
				)
				.bind(JSON.stringify(legs)),
		];
		const assigned = await this.assignedRows(change.assignments);
		if (assigned.length > 0) {
			// The recipient's record goes with the delivery leg (DESIGN: out_for_delivery "assigns the record to them"),
			// by id and only as read (a concurrent change leaves it be), with the new assignment's MAC. Only a change is
			// written: a record told again who already holds it keeps its updated_at (and its MAC).
			statements.push(
				this.db
					.prepare(
						`WITH incoming AS MATERIALIZED (SELECT value AS item FROM json_each(?1))
						 UPDATE records SET courier = a.item ->> '$.courier', courier_issuer = a.item ->> '$.courier_issuer',
						   depot = a.item ->> '$.depot', updated_at = ?2, mac = a.item ->> '$.mac', mac_key = a.item ->> '$.mac_key'
						 FROM incoming AS a
						 WHERE records.id = a.item ->> '$.id' AND records.depot = a.item ->> '$.old_depot' AND records.mac IS a.item ->> '$.old_mac'
						   AND records.erased_at IS NULL`,
					)
					.bind(JSON.stringify(assigned), change.receivedAt),
			);
		}
		const { seq } = await this.audit.appendWith(change.audit, statements);
		return seq;
	}

	/**
	 * The legs with their MACs: each is rewritten whole with every event of its shipment, so its MAC
	 * is made anew over what the fold computed (the legs read before are not carried over, so a leg
	 * forged in D1 is replaced by what the events say, not blessed).
	 */
	private async sealed(legs: LegColumns[]): Promise<(LegColumns & Partial<Pick<LegRow, "mac" | "mac_key">>)[]> {
		const trust = this.trust;
		if (!trust) return legs;
		return Promise.all(legs.map(async (leg) => ({ ...leg, ...(await trust.seal("legs", legContent(leg))) })));
	}

	/** Each recipient record's new assignment, MACed with the honeytoken bit its old MAC carries. */
	private async assignedRows(assignments: readonly Assignment[]): Promise<Record<string, string | null>[]> {
		const rows: Record<string, string | null>[] = [];
		for (const assignment of assignments) {
			for (const record of assignment.records.filter((read) => read.party === "recipient")) {
				const listed = record.honeytoken === 1;
				const courierIssuer = record.courier === null ? null : this.storedIssuer(record.courier_issuer);
				const honeytoken = this.trust ? (await this.trust.assignment({ ...record, courier_issuer: courierIssuer }, listed)).honeytoken : listed;
				const next = { depot: assignment.depot ?? record.depot, courier: assignment.courier, courier_issuer: assignment.courierIssuer };
				if (record.courier === next.courier && courierIssuer === next.courier_issuer && record.depot === next.depot) continue;
				const seal = this.trust ? await this.trust.seal("records", recordContent({ ...record, ...next, honeytoken })) : { mac: null, mac_key: null };
				rows.push({ id: record.id, ...next, ...seal, old_depot: record.depot, old_mac: record.mac });
			}
		}
		return rows;
	}

	/** A shipment's legs, oldest first (ops; no contact data in them). */
	async legsOf(shipmentId: string): Promise<Leg[]> {
		const { results } = await classified(
			this.db
				.prepare(
					"SELECT shipment_id, n, kind, parties, courier, courier_issuer, depot, opened_at, closed_at, close_after, at FROM legs WHERE shipment_id = ?1 ORDER BY n",
				)
				.bind(shipmentId)
				.all<LegColumns>(),
		);
		return results.map((row) => legFromRow(row, this.storedIssuer));
	}
}
