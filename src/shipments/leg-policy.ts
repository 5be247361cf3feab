import type { PolicyRow } from "../limits/policy";
import { layerKey, layersFor, type PolicySubject } from "../limits/policy-layers";

/** The leg columns of a policy layer (migration 0008); null defers to the layers below. */
export type LegPolicyRow = Pick<
	PolicyRow,
	"layer" | "target_issuer" | "target" | "mode" | "require_active_leg" | "leg_grace_seconds" | "stale_window_seconds" | "case_limit"
>;

export interface LegPolicy {
	/** Whether a reveal without an open leg is refused. */
	requireActiveLeg: boolean;
	/** A report-only layer asks for legs while enforcement does not: "would refuse" is recorded, nothing refused. */
	reportOnly: boolean;
	graceSeconds: number;
	staleWindowSeconds: number;
	/** customer_service reveals per day for the principal's role; null for no limit of its own. */
	caseLimit: number | null;
}

/** What applies when no stored layer says otherwise (the defaults of migration 0008). */
export const BUILT_IN_LEG_POLICY: LegPolicy = { requireActiveLeg: true, reportOnly: false, graceSeconds: 1800, staleWindowSeconds: 43_200, caseLimit: null };

/**
 * The leg policy of one principal, resolved like the reveal limits (src/limits/policy.ts): the most
 * specific enforcing layer that sets a value wins; a report-only layer above it that requires legs
 * where enforcement does not makes the requirement report-only. A report-only layer never switches
 * a requirement off, so a trial can only ever add reporting.
 */
export function resolveLegPolicy(rows: readonly LegPolicyRow[], principal: PolicySubject): LegPolicy {
	const byKey = new Map(rows.map((row) => [layerKey(row.layer, row.target_issuer, row.target), row]));
	const applicable = layersFor(principal)
		.map(([layer, issuer, target]) => byKey.get(layerKey(layer, issuer, target)))
		.filter((row): row is LegPolicyRow => row !== undefined);
	const enforcing = applicable.filter((row) => row.mode === "enforce");
	const first = <K extends keyof LegPolicyRow>(column: K) => enforcing.find((row) => row[column] !== null)?.[column] ?? null;
	const require = first("require_active_leg");
	const requireActiveLeg = require === null ? BUILT_IN_LEG_POLICY.requireActiveLeg : require === 1;
	// Only report-only layers more specific than the enforcing one count, as for limits.
	const enforcingIndex = applicable.findIndex((row) => row.mode === "enforce" && row.require_active_leg !== null);
	const above = enforcingIndex === -1 ? applicable : applicable.slice(0, enforcingIndex);
	const reportOnly = !requireActiveLeg && above.some((row) => row.mode === "report-only" && row.require_active_leg === 1);
	return {
		requireActiveLeg,
		reportOnly,
		graceSeconds: (first("leg_grace_seconds") as number | null) ?? BUILT_IN_LEG_POLICY.graceSeconds,
		staleWindowSeconds: (first("stale_window_seconds") as number | null) ?? BUILT_IN_LEG_POLICY.staleWindowSeconds,
		caseLimit: first("case_limit") as number | null,
	};
}

/**
 * The grace period of legs at a depot: legs belong to parcels, not to the employee asking, so only
 * the depot and default layers apply (the grace is fixed when the closing event is recorded).
 */
export function graceSecondsAt(rows: readonly LegPolicyRow[], depot: string | null): number {
	const live = rows.filter((row) => row.mode === "enforce" && row.leg_grace_seconds !== null);
	const atDepot = depot === null ? undefined : live.find((row) => row.layer === "depot" && row.target === depot);
	const byDefault = live.find((row) => row.layer === "default");
	return atDepot?.leg_grace_seconds ?? byDefault?.leg_grace_seconds ?? BUILT_IN_LEG_POLICY.graceSeconds;
}
