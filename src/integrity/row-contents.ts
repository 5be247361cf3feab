import type { RowContent } from "../crypto/row-mac";
import type { AlertTriage } from "../detection/alert-store";
import type { RecordRow } from "../records/store";
import type { LegColumns, ShipmentEventColumns } from "../shipments/stored-rows";

/** A record's assignment columns as stored (the courier's issuer as the worker means it where a MAC is made or checked). */
export type AssignmentColumns = Pick<RecordRow, "id" | "shipment_id" | "party" | "depot" | "courier" | "courier_issuer">;

/**
 * What each table's MAC is over: exactly the columns that grant or withhold access, as the worker
 * means them. An issuer is taken as read (a pre-0006 '' is the employee issuer), so the job that
 * writes the real issuer in does not invalidate the MAC.
 */

/** Columns of a policy layer that grant nothing: bookkeeping, and the MAC itself. */
const POLICY_BOOKKEEPING = new Set(["mac", "mac_key", "version", "updated_by", "updated_at"]);

/**
 * A policy layer: every stored column but the bookkeeping ones, whatever they are, so a limit
 * column added by a later migration is covered without a change here (and, being NULL on the rows
 * it did not set, leaves their MACs valid).
 */
export function policyContent(row: Readonly<Record<string, unknown>>, storedIssuer: (issuer: string) => string): RowContent {
	const content: Record<string, string | number | null> = {};
	for (const [column, value] of Object.entries(row)) {
		if (POLICY_BOOKKEEPING.has(column)) continue;
		content[column] = value === undefined ? null : (value as string | number | null);
	}
	if (row.layer === "employee") content.target_issuer = storedIssuer(String(row.target_issuer ?? ""));
	return content;
}

/** The key a policy layer is reported by. */
export const policyKey = (row: { layer: unknown; target_issuer: unknown; target: unknown }) => `${row.layer}/${row.target_issuer}/${row.target}`;

/**
 * A record's assignment: who it is for (shipment and party decide the purpose and the legs),
 * who may reveal it (depot, courier), and whether it is a planted honeytoken, so that deleting
 * its `honeytokens` row does not disarm the trap.
 */
export function recordContent(row: AssignmentColumns & { honeytoken: boolean }): RowContent {
	return {
		id: row.id,
		shipment_id: row.shipment_id,
		party: row.party,
		depot: row.depot,
		courier: row.courier,
		courier_issuer: row.courier === null ? null : row.courier_issuer,
		honeytoken: row.honeytoken ? true : null,
	};
}

/** A principal's listed status: who, and whether suspended. */
export function statusContent(row: { issuer: string; subject: string; status: string }): RowContent {
	return { issuer: row.issuer, subject: row.subject, status: row.status };
}

export const statusKey = (row: { issuer: string; subject: string }) => `${row.issuer} ${row.subject}`;

/**
 * A leg (migration 0018): every column, as the leg gate reads them (who holds it, for which party
 * and kind, from when until when). The courier's issuer is as the worker means it.
 */
export function legContent(row: LegColumns): RowContent {
	return {
		shipment_id: row.shipment_id,
		n: row.n,
		kind: row.kind,
		parties: row.parties,
		courier: row.courier,
		courier_issuer: row.courier === null ? null : row.courier_issuer,
		depot: row.depot,
		opened_at: row.opened_at,
		closed_at: row.closed_at,
		close_after: row.close_after,
		at: row.at,
	};
}

/** A leg's key in reports: `shipment_id:n` (a colon, so the alert id it goes into stays a path segment). */
export const legKey = (row: { shipment_id: string; n: number }) => `${row.shipment_id}:${row.n}`;

/**
 * A shipment event (migration 0019): every column the fold into legs reads. `received_at` is
 * bookkeeping (the fold orders by `at`, then `n`).
 */
export function eventContent(row: ShipmentEventColumns): RowContent {
	return {
		shipment_id: row.shipment_id,
		n: row.n,
		type: row.type,
		courier: row.courier,
		courier_issuer: row.courier === null ? null : row.courier_issuer,
		depot: row.depot,
		at: row.at,
	};
}

/** An event's key in reports: `shipment_id:n`, like a leg's. */
export const eventKey = (row: { shipment_id: string; n: number }) => `${row.shipment_id}:${row.n}`;

/**
 * An alert's triage as stored (migration 0013), bound to the alert's id. The state as read: a DBA
 * may write any string there, and the MAC is what says whether it is one ops set.
 */
export type AlertTriageColumns = { id: string; state: string } & Omit<AlertTriage, "state">;

/**
 * What an alert's MAC (migration 0018) is over: its id and triage. The alert itself is raised by a
 * plain INSERT from many writers (a Durable Object's batch among them) with no MAC: open is the
 * state an alert is raised in, and the safe one, so only a move past it needs the worker's key.
 */
export function alertTriageContent(row: AlertTriageColumns): RowContent {
	return {
		id: row.id,
		state: row.state,
		acknowledged_by: row.acknowledged_by,
		acknowledged_at: row.acknowledged_at,
		acknowledged_note: row.acknowledged_note,
		resolved_by: row.resolved_by,
		resolved_at: row.resolved_at,
		resolved_note: row.resolved_note,
	};
}
