import { LEGACY_SETS, type LegacySet } from "../audit/witness";
import { auditWitnessFor } from "../audit/witness-client";
import { keyringConfig } from "../config";
import { keyringFor } from "../crypto/keyring";
import type { Env } from "../env";
import { type ForgedRow, reportForgedRows } from "./forged-row-report";
import { learnLegacyRowsSigned } from "./legacy-rows";
import { RowJudge } from "./row-judge";
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
/** D1 round trips the row check adds to a verification: layers, status rows, the records of findings, legs, the events of findings, triaged alerts, the alerts of new findings. */
export const ROW_CHECK_QUERY_BOUND = 7;

export interface RowsReport {
	/** `signed`: every row from before the row-MAC migrations (0014, 0018, 0019) has its MAC, so a row without one is a forgery; `signing`: the legacy job is still at work; `unknown`: no witness, or it could not be reached. */
	legacy: "signed" | "signing" | "unknown";
	/** The same per migration: "0014" policies, records, status rows; "0018" legs and alert triage; "0019" shipment events. */
	legacy_sets: Record<LegacySet, "signed" | "signing" | "unknown">;
	checked: { policies: number; principal_status: number; records: number; legs: number; shipment_events: number; alerts: number };
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
	const [signedState, signed0018, signed0019, findings] = witness
		? await Promise.all([
				witness.legacyRowsSigned("0014"),
				witness.legacyRowsSigned("0018"),
				witness.legacyRowsSigned("0019"),
				witness.forgedRows(FINDINGS_RECHECKED),
			]).catch(() => [undefined, undefined, undefined, []] as const)
		: [undefined, undefined, undefined, []];
	const stateOf = (state: { at: number } | null | undefined) => (state === undefined ? "unknown" : state !== null ? "signed" : "signing");
	const legacySets = { "0014": stateOf(signedState), "0018": stateOf(signed0018), "0019": stateOf(signed0019) } as const;
	const legacy = legacySets["0014"] === "signed" && (legacySets["0018"] !== "signed" || legacySets["0019"] !== "signed") ? "signing" : legacySets["0014"];
	for (const set of LEGACY_SETS) if (legacySets[set] === "signed") learnLegacyRowsSigned(true, set);
	const judge = new RowJudge(await keyringFor(keyringConfig(env)), legacySets, storedIssuerOf(env));
	const store = new RowMacStore(env.DB);

	const recordIds = [...new Set(findings.filter((finding) => finding.table === "records" || finding.table === "honeytokens").map((finding) => finding.key))];
	const keysOf = (table: string) => [...new Set(findings.filter((finding) => finding.table === table).map((finding) => finding.key))];
	const [layers, statuses, records, legs, events, alerts] = await Promise.all([
		store.policyLayers(),
		store.statuses(STATUS_ROWS_CHECKED),
		store.recordsById(recordIds),
		store.legsToVerify(now, keysOf("legs"), LEG_ROWS_CHECKED),
		store.eventsByKey(keysOf("shipment_events")),
		store.triagedAlerts(keysOf("alerts"), ALERT_ROWS_CHECKED),
	]);
	const problems: ForgedRow[] = [
		...(await judge.policies(layers)),
		...(await judge.statuses(statuses)),
		...(await judge.records(records)),
		...(await judge.legs(legs)),
		...(await judge.events(events)),
		...(await judge.alerts(alerts)),
	];
	if (problems.length > 0) await reportForgedRows(env, problems, now, ctx);
	return {
		legacy,
		legacy_sets: legacySets,
		checked: {
			policies: layers.length,
			principal_status: statuses.length,
			records: records.length,
			legs: legs.length,
			shipment_events: events.length,
			alerts: alerts.length,
		},
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
