import { auditWitnessFor } from "../audit/witness-client";
import { keyringConfig } from "../config";
import { UnknownKeyIdError } from "../crypto/errors";
import type { Keyring } from "../crypto/keyring";
import { keyringFor } from "../crypto/keyring";
import { checkRow, type MacedTable, type RowContent, type RowVerdict } from "../crypto/row-mac";
import type { Env } from "../env";
import { type ForgedRow, reportForgedRows } from "./forged-row-report";
import { learnLegacyRowsSigned } from "./legacy-rows";
import { alertTriageContent, legContent, legKey, policyContent, policyKey, recordContent, statusContent, statusKey } from "./row-contents";
import { RowMacStore } from "./row-mac-store";
import { storedIssuerOf } from "./sign-legacy-rows";

/** Status rows read per verification: more than any listing holds; past it the rest are not checked (`checked` says how many were). */
const STATUS_ROWS_CHECKED = 10_000;
/** Witness findings re-checked per verification. */
const FINDINGS_RECHECKED = 50;
/** Legs read per verification (those that grant now, and those of findings): past it the rest are not checked (`checked` says how many were). */
const LEG_ROWS_CHECKED = 10_000;
/** Triaged alerts read per verification, newest first, with those of findings. */
const ALERT_ROWS_CHECKED = 1_000;
/** D1 round trips the row check adds to a verification: layers, status rows, the records of findings, legs, triaged alerts, the alerts of new findings. */
export const ROW_CHECK_QUERY_BOUND = 6;

export interface RowsReport {
	/** `signed`: every row from before the row-MAC migrations (0014, 0018) has its MAC, so a row without one is a forgery; `signing`: the legacy job is still at work; `unknown`: no witness, or it could not be reached. */
	legacy: "signed" | "signing" | "unknown";
	/** The same per migration: "0014" policies, records, status rows; "0018" legs and alert triage. */
	legacy_sets: { "0014": "signed" | "signing" | "unknown"; "0018": "signed" | "signing" | "unknown" };
	checked: { policies: number; principal_status: number; records: number; legs: number; alerts: number };
	/** Rows whose MAC fails now: each one is not used as it reads. */
	problems: ForgedRow[];
	/** Every finding the witness holds (readers and verification reported them), newest first: a history, kept even once the row is repaired. */
	reported: (ForgedRow & { first_at: string; last_at: string })[];
}

/**
 * The row half of `GET /v1/audit/verify`: every policy layer and status row is checked here (they
 * are few); records are too many to read per request, so those the readers found forged (the
 * reveal path checks each record it reads, at no extra round trip) are read back from the witness
 * and checked again. New findings raise their alert and go to the witness like the readers' do.
 */
export async function verifyRows(env: Env, now: number, ctx?: Pick<ExecutionContext, "waitUntil">): Promise<RowsReport> {
	const witness = auditWitnessFor(env);
	// An unreachable witness leaves the legacy state unknown (rows without a MAC are then not called
	// forgeries here) and its findings unread; the chain half of the report says it could not compare.
	const [signedState, signed0018, findings] = witness
		? await Promise.all([witness.legacyRowsSigned("0014"), witness.legacyRowsSigned("0018"), witness.forgedRows(FINDINGS_RECHECKED)]).catch(
				() => [undefined, undefined, []] as const,
			)
		: [undefined, undefined, []];
	const stateOf = (state: { at: number } | null | undefined) => (state === undefined ? "unknown" : state !== null ? "signed" : "signing");
	const legacySets = { "0014": stateOf(signedState), "0018": stateOf(signed0018) } as const;
	const legacy = legacySets["0014"] === "signed" && legacySets["0018"] !== "signed" ? "signing" : legacySets["0014"];
	if (legacySets["0014"] === "signed") learnLegacyRowsSigned(true, "0014");
	if (legacySets["0018"] === "signed") learnLegacyRowsSigned(true, "0018");
	const keyring = await keyringFor(keyringConfig(env));
	const store = new RowMacStore(env.DB);
	const stored = storedIssuerOf(env);
	const failing = (verdict: Verdict, set: "0014" | "0018" = "0014"): string | null => {
		if (verdict === "valid" || (verdict === "unsigned" && legacySets[set] !== "signed")) return null;
		if (verdict === "unknown_key") return "mac_key_unknown";
		return verdict === "unsigned" ? "mac_missing" : "mac_invalid";
	};
	const problems: ForgedRow[] = [];

	const recordIds = [...new Set(findings.filter((finding) => finding.table === "records" || finding.table === "honeytokens").map((finding) => finding.key))];
	const keysOf = (table: string) => [...new Set(findings.filter((finding) => finding.table === table).map((finding) => finding.key))];
	const [layers, statuses, records, legs, alerts] = await Promise.all([
		store.policyLayers(),
		store.statuses(STATUS_ROWS_CHECKED),
		store.recordsById(recordIds),
		store.legsToVerify(now, keysOf("legs"), LEG_ROWS_CHECKED),
		store.triagedAlerts(keysOf("alerts"), ALERT_ROWS_CHECKED),
	]);
	for (const layer of layers) {
		const seal = { mac: layer.mac as string | null, mac_key: layer.mac_key as string | null };
		const reason = failing(
			await checkRow(
				keyring,
				"policies",
				policyContent(layer, (issuer) => stored(issuer)),
				seal,
			),
		);
		if (reason) problems.push({ table: "policies", key: policyKey(layer), mac_key: seal.mac_key, reason });
	}
	for (const row of statuses) {
		const content = statusContent({ ...row, issuer: stored(row.issuer) });
		const reason = failing(await judge(keyring, "principal_status", content, row));
		if (reason) problems.push({ table: "principal_status", key: statusKey({ ...row, issuer: stored(row.issuer) }), mac_key: row.mac_key, reason });
	}
	for (const row of records) {
		const listed = row.honeytoken === 1;
		const base = { ...row, courier_issuer: row.courier === null ? null : stored(row.courier_issuer) };
		const verdict = await judge(keyring, "records", recordContent({ ...base, honeytoken: listed }), row);
		const reason = failing(verdict);
		if (!reason) continue;
		if (verdict === "forged" && (await judge(keyring, "records", recordContent({ ...base, honeytoken: !listed }), row)) === "valid") {
			problems.push({ table: "honeytokens", key: row.id, mac_key: row.mac_key, reason: listed ? "honeytoken_forged" : "honeytoken_unlisted" });
		} else problems.push({ table: "records", key: row.id, mac_key: row.mac_key, reason });
	}
	for (const leg of legs) {
		const content = legContent({ ...leg, courier_issuer: leg.courier === null ? null : stored(leg.courier_issuer) });
		const reason = failing(await judge(keyring, "legs", content, leg), "0018");
		if (reason) problems.push({ table: "legs", key: legKey(leg), mac_key: leg.mac_key, reason });
	}
	for (const alert of alerts) {
		// An open alert is as raised, with no MAC; one with a MAC, or past open, is judged.
		if (alert.state === "open" && alert.mac === null && alert.mac_key === null) continue;
		const reason = failing(await judge(keyring, "alerts", alertTriageContent(alert), alert), "0018");
		if (reason) problems.push({ table: "alerts", key: alert.id, mac_key: alert.mac_key, reason });
	}
	if (problems.length > 0) await reportForgedRows(env, problems, now, ctx);
	return {
		legacy,
		legacy_sets: legacySets,
		checked: { policies: layers.length, principal_status: statuses.length, records: records.length, legs: legs.length, alerts: alerts.length },
		problems,
		reported: findings.map(({ table, key, mac_key, reason, first_at, last_at }) => ({
			table,
			key,
			mac_key,
			reason,
			first_at: new Date(first_at).toISOString(),
			last_at: new Date(last_at).toISOString(),
		})),
	};
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
