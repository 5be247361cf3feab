import type { Keyring } from "../crypto/keyring";
import { checkRow, type MacedTable, type RowContent, type RowSeal, type RowVerdict, sealRow } from "../crypto/row-mac";
import type { ForgedRow } from "./forged-row-report";
import { legacyRowsAccepted } from "./legacy-rows";
import { recordContent } from "./row-contents";

/** A row's MAC columns as stored. */
export interface StoredSeal {
	mac: string | null;
	mac_key: string | null;
}

/** The assignment columns of a record as stored, with whether `honeytokens` lists it. */
export interface StoredAssignment extends StoredSeal {
	id: string;
	shipment_id: string;
	party: string;
	depot: string;
	courier: string | null;
	/** As the worker means it (a pre-0006 '' read as the employee issuer). */
	courier_issuer: string | null;
}

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
		private readonly legacyAccepted: () => boolean = legacyRowsAccepted,
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
		if (verdict === "valid" || (verdict === "unsigned" && this.legacyAccepted())) return true;
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
		if (verdict === "valid" || (verdict === "unsigned" && this.legacyAccepted())) return { forged: false, honeytoken: listed };
		if (verdict === "forged" && (await this.verdict("records", recordContent({ ...row, honeytoken: !listed }), row)) === "valid") {
			this.report([{ table: "honeytokens", key: row.id, mac_key: row.mac_key, reason: listed ? "honeytoken_forged" : "honeytoken_unlisted" }]);
			return { forged: false, honeytoken: !listed };
		}
		this.report([{ table: "records", key: row.id, mac_key: row.mac_key, reason: verdict === "unsigned" ? "mac_missing" : "mac_invalid" }]);
		return { forged: true, honeytoken: listed };
	}
}
