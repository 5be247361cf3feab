import { auditWitnessFor } from "../audit/witness-client";
import { keyringConfig } from "../config";
import { keyringFor } from "../crypto/keyring";
import type { Env } from "../env";
import { legKey } from "./row-contents";
import { RowJudge } from "./row-judge";
import { RowMacStore } from "./row-mac-store";
import { legacyStates } from "./row-scan";
import { storedIssuerOf } from "./sign-legacy-rows";

/** Findings read back from the witness: more than a DBA's edit leaves before verification alerts on it. */
const FINDINGS_READ = 500;

/**
 * The legs verification found forged that still fail their MAC, by key (`shipment_id:n`): what the
 * careful-insider detectors leave out of their work counts. They count legs in D1 by the hundred
 * thousand (GROUP BY over 14 days), too many to read back and HMAC each hour, so they rely on the
 * verification instead: every leg is judged by the full re-verification's scan (and those that
 * grant now by each `GET /v1/audit/verify`, those an ask reads by the ask), each forgery raising a
 * critical alert that names it and a finding the witness keeps. A finding's key is checked again
 * here, so a leg since rewritten from the events under the same key counts again. Until the scan
 * reaches a forged leg it counts: the window is one scan, and the forgery is alerted on anyway.
 * One D1 query and the witness's findings; none when there are no findings.
 */
export async function legsFoundForged(env: Env): Promise<string[]> {
	const witness = auditWitnessFor(env);
	if (!witness) return [];
	const keys = [...new Set((await witness.forgedRows(FINDINGS_READ)).filter((finding) => finding.table === "legs").map((finding) => finding.key))];
	if (keys.length === 0) return [];
	const legs = await new RowMacStore(env.DB).legsByKey(keys);
	const judge = new RowJudge(await keyringFor(keyringConfig(env)), await legacyStates((set) => witness.legacyRowsSigned(set)), storedIssuerOf(env));
	const failing = new Set((await judge.legs(legs)).map((found) => found.key));
	return legs.map(legKey).filter((key) => failing.has(key));
}
