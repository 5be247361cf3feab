import type { LegacySet } from "../audit/witness";
import { UnknownKeyIdError } from "../crypto/errors";
import type { Keyring } from "../crypto/keyring";
import { checkRow, type MacedTable, type RowContent, type RowVerdict } from "../crypto/row-mac";
import type { ForgedRow } from "./forged-row-report";
import { LEGACY_SET_OF } from "./legacy-rows";
import {
	alertTriageContent,
	eventContent,
	eventKey,
	legContent,
	legKey,
	policyContent,
	policyKey,
	recordContent,
	statusContent,
	statusKey,
} from "./row-contents";
import type { StoredAlertTriage, StoredEvent, StoredLeg, StoredPolicyLayer, StoredRecordAssignment, StoredStatus } from "./row-mac-store";

/** `signed`: the migration's rows all carry a MAC, so one without is forged; `signing`: the legacy job is at work; `unknown`: the witness could not say. */
export type LegacyState = "signed" | "signing" | "unknown";

/**
 * Judges stored rows as verification sees them (the bounded check of `GET /v1/audit/verify` and
 * the full scan of the re-verification job alike): the rows whose MAC fails, with the reason.
 * Unlike the readers, a MAC under a key the ring no longer holds is reported (`mac_key_unknown`)
 * rather than failing the request, and a row without a MAC is a forgery only once the witness
 * says its migration's legacy rows are all signed.
 */
export class RowJudge {
	constructor(
		private readonly keyring: Keyring,
		private readonly legacy: Readonly<Record<LegacySet, LegacyState>>,
		/** A stored issuer as the worker means it (a pre-0006 '' is the employee issuer). */
		private readonly stored: (issuer: string | null) => string,
	) {}

	async policies(rows: readonly StoredPolicyLayer[]): Promise<ForgedRow[]> {
		const found: ForgedRow[] = [];
		for (const layer of rows) {
			const seal = { mac: layer.mac as string | null, mac_key: layer.mac_key as string | null };
			const reason = await this.failing(
				"policies",
				policyContent(layer, (issuer) => this.stored(issuer)),
				seal,
			);
			if (reason) found.push({ table: "policies", key: policyKey(layer), mac_key: seal.mac_key, reason });
		}
		return found;
	}

	async statuses(rows: readonly StoredStatus[]): Promise<ForgedRow[]> {
		const found: ForgedRow[] = [];
		for (const row of rows) {
			const meant = { ...row, issuer: this.stored(row.issuer) };
			const reason = await this.failing("principal_status", statusContent(meant), row);
			if (reason) found.push({ table: "principal_status", key: statusKey(meant), mac_key: row.mac_key, reason });
		}
		return found;
	}

	/**
	 * Records' assignments with the honeytoken bit: a MAC that fails as `honeytokens` lists the
	 * record but holds the other way is a `honeytokens` row added or deleted, reported as such.
	 */
	async records(rows: readonly StoredRecordAssignment[]): Promise<ForgedRow[]> {
		const found: ForgedRow[] = [];
		for (const row of rows) {
			const listed = row.honeytoken === 1;
			const base = { ...row, courier_issuer: row.courier === null ? null : this.stored(row.courier_issuer) };
			const verdict = await judge(this.keyring, "records", recordContent({ ...base, honeytoken: listed }), row);
			const reason = this.reason("records", verdict);
			if (!reason) continue;
			if (verdict === "forged" && (await judge(this.keyring, "records", recordContent({ ...base, honeytoken: !listed }), row)) === "valid") {
				found.push({ table: "honeytokens", key: row.id, mac_key: row.mac_key, reason: listed ? "honeytoken_forged" : "honeytoken_unlisted" });
			} else found.push({ table: "records", key: row.id, mac_key: row.mac_key, reason });
		}
		return found;
	}

	async legs(rows: readonly StoredLeg[]): Promise<ForgedRow[]> {
		const found: ForgedRow[] = [];
		for (const leg of rows) {
			const content = legContent({ ...leg, courier_issuer: leg.courier === null ? null : this.stored(leg.courier_issuer) });
			const reason = await this.failing("legs", content, leg);
			if (reason) found.push({ table: "legs", key: legKey(leg), mac_key: leg.mac_key, reason });
		}
		return found;
	}

	async events(rows: readonly StoredEvent[]): Promise<ForgedRow[]> {
		const found: ForgedRow[] = [];
		for (const event of rows) {
			const content = eventContent({ ...event, courier_issuer: event.courier === null ? null : this.stored(event.courier_issuer) });
			const reason = await this.failing("shipment_events", content, event);
			if (reason) found.push({ table: "shipment_events", key: eventKey(event), mac_key: event.mac_key, reason });
		}
		return found;
	}

	/** Alerts' triage: an open alert as raised carries no MAC and needs none; one with a MAC, or past open, is judged. */
	async alerts(rows: readonly StoredAlertTriage[]): Promise<ForgedRow[]> {
		const found: ForgedRow[] = [];
		for (const alert of rows) {
			if (alert.state === "open" && alert.mac === null && alert.mac_key === null) continue;
			const reason = await this.failing("alerts", alertTriageContent(alert), alert);
			if (reason) found.push({ table: "alerts", key: alert.id, mac_key: alert.mac_key, reason });
		}
		return found;
	}

	private async failing(table: MacedTable, content: RowContent, seal: { mac: string | null; mac_key: string | null }): Promise<string | null> {
		return this.reason(table, await judge(this.keyring, table, content, seal));
	}

	private reason(table: MacedTable, verdict: Verdict): string | null {
		if (verdict === "valid" || (verdict === "unsigned" && this.legacy[LEGACY_SET_OF[table]] !== "signed")) return null;
		if (verdict === "unknown_key") return "mac_key_unknown";
		return verdict === "unsigned" ? "mac_missing" : "mac_invalid";
	}
}

type Verdict = RowVerdict | "unknown_key";

/** A MAC under a key the ring no longer holds is reported as such here, where the readers fail closed with a 500. */
async function judge(keyring: Keyring, table: MacedTable, content: RowContent, seal: { mac: string | null; mac_key: string | null }): Promise<Verdict> {
	try {
		return await checkRow(keyring, table, content, seal);
	} catch (error) {
		if (error instanceof UnknownKeyIdError) return "unknown_key";
		throw error;
	}
}
