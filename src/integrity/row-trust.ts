import { UnknownKeyIdError } from "../crypto/errors";
import type { Keyring } from "../crypto/keyring";
import { checkRow, type MacedTable, type RowContent, type RowSeal, type RowVerdict, sealRow } from "../crypto/row-mac";
import type { LegColumns, ShipmentEventColumns } from "../shipments/stored-rows";
import type { ForgedRow } from "./forged-row-report";
import { legacyRowsAccepted } from "./legacy-rows";
import { type AlertTriageColumns, type AssignmentColumns, alertTriageContent, eventContent, eventKey, legContent, legKey, recordContent } from "./row-contents";

/** A row's MAC columns as stored. */
export interface StoredSeal {
	mac: string | null;
	mac_key: string | null;
}

/** The assignment columns of a record as stored, with its MAC (the courier's issuer as the worker means it). */
export type StoredAssignment = AssignmentColumns & StoredSeal;

export interface AssignmentTrust {
	/** The assignment's MAC failed: the record grants nothing. */
	forged: boolean;
	/** Whether the record is a trap, as its MAC says when it verifies (else as `honeytokens` lists it). */
	honeytoken: boolean;
}

/**
 * MACs of the rows that grant or withhold access (issue 16 item 2): written with every such row,
 * checked over columns the reader already has, so the check costs an HMAC and no round trip. A
 * row whose MAC fails is never used as it reads, and is reported (`report`: a critical alert and
 * a witness finding, after the response).
 */
export class RowTrust {
	constructor(
		private readonly keyring: () => Promise<Keyring>,
		private readonly report: (rows: ForgedRow[]) => void,
		private readonly legacyAccepted: (table: MacedTable) => boolean = legacyRowsAccepted,
	) {}

	async seal(table: MacedTable, content: RowContent): Promise<RowSeal> {
		return sealRow(await this.keyring(), table, content);
	}

	async verdict(table: MacedTable, content: RowContent, seal: StoredSeal): Promise<RowVerdict> {
		return checkRow(await this.keyring(), table, content, seal);
	}

	/** Whether a row may be used as it reads; one that may not is reported under `key`. */
	async admits(table: MacedTable, key: string, content: RowContent, seal: StoredSeal): Promise<boolean> {
		const verdict = await this.verdict(table, content, seal);
		if (verdict === "valid" || (verdict === "unsigned" && this.legacyAccepted(table))) return true;
		this.report([{ table, key, mac_key: seal.mac_key, reason: verdict === "unsigned" ? "mac_missing" : "mac_invalid" }]);
		return false;
	}

	/**
	 * A record's assignment. Its MAC covers the honeytoken bit, so when it fails as listed it is
	 * tried the other way (one more HMAC, only then): a trap whose `honeytokens` row was deleted
	 * still springs, and a `honeytokens` row added to a real record suspends nobody; both are
	 * reported. Anything else that fails is a forged assignment and grants nothing.
	 */
	async assignment(row: StoredAssignment, listed: boolean): Promise<AssignmentTrust> {
		const verdict = await this.verdict("records", recordContent({ ...row, honeytoken: listed }), row);
		if (verdict === "valid" || (verdict === "unsigned" && this.legacyAccepted("records"))) return { forged: false, honeytoken: listed };
		if (verdict === "forged" && (await this.verdict("records", recordContent({ ...row, honeytoken: !listed }), row)) === "valid") {
			this.report([{ table: "honeytokens", key: row.id, mac_key: row.mac_key, reason: listed ? "honeytoken_forged" : "honeytoken_unlisted" }]);
			return { forged: false, honeytoken: !listed };
		}
		this.report([{ table: "records", key: row.id, mac_key: row.mac_key, reason: verdict === "unsigned" ? "mac_missing" : "mac_invalid" }]);
		return { forged: true, honeytoken: listed };
	}

	/**
	 * The legs whose MAC holds, in the order given; the others are reported and left out, as if the
	 * leg were not there: a leg opened with SQL, or moved to another courier, grants nothing. One
	 * HMAC per leg over the columns the ask read with the record (no round trip). A leg under a key
	 * the ring no longer holds is left out too (a closed leg of long ago fails nothing else).
	 */
	async legs<T extends LegSealed>(rows: readonly T[]): Promise<T[]> {
		const keyring = await this.keyring();
		const admitted: T[] = [];
		const forged: ForgedRow[] = [];
		for (const row of rows) {
			const reason = await verdictOrUnknown(() => checkRow(keyring, "legs", legContent(row), row));
			if (reason === "valid" || (reason === "unsigned" && this.legacyAccepted("legs"))) admitted.push(row);
			else forged.push({ table: "legs", key: legKey(row), mac_key: row.mac_key, reason: failure(reason) });
		}
		if (forged.length > 0) this.report(forged);
		return admitted;
	}

	/**
	 * The shipment events whose MAC holds, in the order given; the others are reported and left out
	 * of the fold into legs, as if never reported: an event inserted with SQL opens, moves and closes
	 * nothing when the next real event rewrites the legs. One HMAC per event the ingest already read.
	 */
	async events<T extends EventSealed>(rows: readonly T[]): Promise<T[]> {
		const keyring = await this.keyring();
		const admitted: T[] = [];
		const forged: ForgedRow[] = [];
		for (const row of rows) {
			const reason = await verdictOrUnknown(() => checkRow(keyring, "shipment_events", eventContent(row), row));
			if (reason === "valid" || (reason === "unsigned" && this.legacyAccepted("shipment_events"))) admitted.push(row);
			else forged.push({ table: "shipment_events", key: eventKey(row), mac_key: row.mac_key, reason: failure(reason) });
		}
		if (forged.length > 0) this.report(forged);
		return admitted;
	}

	/**
	 * An alert's triage as it may be shown: an open alert needs no MAC (it is raised without one);
	 * past open, a triage whose MAC fails is reported and the alert reads as open.
	 */
	async alertTriage(row: AlertTriageColumns & StoredSeal): Promise<TriageTrust> {
		const reason =
			row.state === "open" && row.mac === null && row.mac_key === null
				? "valid"
				: await verdictOrUnknown(async () => checkRow(await this.keyring(), "alerts", alertTriageContent(row), row));
		if (reason === "valid" || (reason === "unsigned" && this.legacyAccepted("alerts"))) return { verified: true };
		this.report([{ table: "alerts", key: row.id, mac_key: row.mac_key, reason: failure(reason) }]);
		return { verified: false };
	}
}

/** A leg as stored, with the courier's issuer as the worker means it, and its MAC. */
export type LegSealed = LegColumns & StoredSeal;

/** A shipment event as stored, with the courier's issuer as the worker means it, and its MAC. */
export type EventSealed = ShipmentEventColumns & StoredSeal;

export interface TriageTrust {
	/** False: the stored triage failed its MAC; the alert is open whatever it says. */
	verified: boolean;
}

async function verdictOrUnknown(check: () => Promise<RowVerdict>): Promise<RowVerdict | "unknown_key"> {
	try {
		return await check();
	} catch (error) {
		if (error instanceof UnknownKeyIdError) return "unknown_key";
		throw error;
	}
}

const failure = (verdict: RowVerdict | "unknown_key") =>
	verdict === "unknown_key" ? "mac_key_unknown" : verdict === "unsigned" ? "mac_missing" : "mac_invalid";
