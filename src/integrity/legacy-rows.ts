import { LEGACY_SETS, type LegacySet } from "../audit/witness";
import { auditWitnessFor } from "../audit/witness-client";
import type { MacedTable } from "../crypto/row-mac";
import type { Env } from "../env";

/**
 * Whether rows without a MAC (written before the migration that MACed their table) may still be
 * used as they read.
 *
 * SQL cannot compute a MAC, so a row-MAC migration leaves existing rows without one, and the
 * every-minute legacy job (sign-legacy-rows.ts) MACs them as they are. Once a run finds none left
 * of a migration's tables it tells the audit witness, outside D1 (a flag in D1 is one a database
 * administrator could clear), and from then on a row of those tables without a MAC is a forgery.
 * Each migration has its own flag: legs and alert triage (0018) have their own window after
 * policies, records and status rows (0014) closed theirs. An isolate learns the flags from the
 * witness in the background, never on a request's path (the MAC check adds no round trip): until
 * it has, it reads rows without a MAC as before. Once learned, never forgotten (a flag never goes
 * back), so the window is each new isolate's first moments, and verification, which asks the
 * witness itself, reports such rows either way.
 */
const signed = new Set<LegacySet>();
let lastAsked = 0;
const ASK_EVERY_MS = 60_000;

/** The migration that MACed each table. */
export const LEGACY_SET_OF: Readonly<Record<MacedTable, LegacySet>> = {
	policies: "0014",
	records: "0014",
	principal_status: "0014",
	honeytokens: "0014",
	legs: "0018",
	alerts: "0018",
	shipment_events: "0019",
};

export function legacyRowsAccepted(table: MacedTable = "policies"): boolean {
	return !signed.has(LEGACY_SET_OF[table]);
}

/** What the witness said (verification, the legacy job); also what tests use to learn it at once. */
export function learnLegacyRowsSigned(value: boolean, set: LegacySet = "0014"): void {
	if (value) signed.add(set);
}

/** Asks the witness after the response, at most once a minute per isolate, until every set is signed. */
export function refreshLegacyState(env: Env, ctx: Pick<ExecutionContext, "waitUntil"> | undefined, now: number): void {
	const unknown = LEGACY_SETS.filter((set) => !signed.has(set));
	if (unknown.length === 0 || !ctx || now - lastAsked < ASK_EVERY_MS) return;
	const witness = auditWitnessFor(env);
	if (!witness) return;
	lastAsked = now;
	ctx.waitUntil(
		Promise.all(unknown.map(async (set) => learnLegacyRowsSigned((await witness.legacyRowsSigned(set)) !== null, set))).catch(() => {
			lastAsked = 0;
		}),
	);
}
