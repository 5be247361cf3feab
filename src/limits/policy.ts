import type { Principal } from "../auth/principal";

export const LIMIT_KINDS = ["burst", "daily", "distinct"] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];
export type PolicyMode = "enforce" | "report-only";
export type PolicyLayer = "default" | "role" | "depot" | "employee";

export const DAY_SECONDS = 86_400;

/** A stored policy layer; a null limit defers to the layers below. */
export interface PolicyRow {
	layer: PolicyLayer;
	target: string;
	mode: PolicyMode;
	burst_limit: number | null;
	burst_window_seconds: number | null;
	daily_limit: number | null;
	distinct_limit: number | null;
	ring_threshold: number | null;
	depot_daily_budget: number | null;
	version: number;
	updated_by: string;
	updated_at: number;
}

/** One limit as it applies to one principal: at most `limit` grants per `windowSeconds`. */
export interface Rule {
	kind: LimitKind;
	limit: number;
	windowSeconds: number;
	mode: PolicyMode;
	layer: PolicyLayer;
	target: string;
}

export interface EffectivePolicy {
	/** The enforcing rule of each kind: one per kind, always (the built-in one if no layer enforces it). */
	enforced: Rule[];
	/** Report-only rules more specific than the enforcing one: evaluated and recorded, never refusing. */
	shadow: Rule[];
	/** Employees of one depot at their daily quota on one day that raise a ring alert. */
	ringThreshold: number;
	/** Reveals by all employees of the principal's depot in 24 hours before a critical alert. */
	depotDailyBudget: number;
}

/** Strict limits that apply to any kind no stored layer enforces: the vault never runs unlimited. */
const BUILT_IN: PolicyRow = {
	layer: "default",
	target: "",
	mode: "enforce",
	burst_limit: 20,
	burst_window_seconds: 600,
	daily_limit: 200,
	distinct_limit: 150,
	ring_threshold: 3,
	depot_daily_budget: 5000,
	version: 0,
	updated_by: "built-in",
	updated_at: 0,
};

function ruleFrom(row: PolicyRow, kind: LimitKind): Rule | null {
	const limit = kind === "burst" ? row.burst_limit : kind === "daily" ? row.daily_limit : row.distinct_limit;
	if (limit === null) return null;
	const windowSeconds = kind === "burst" ? (row.burst_window_seconds ?? 600) : DAY_SECONDS;
	return { kind, limit, windowSeconds, mode: row.mode, layer: row.layer, target: row.target };
}

/** The layers that apply to a principal, most specific first. Services have the role "service". */
export function layersFor(principal: Pick<Principal, "kind" | "subject"> & { role?: string; depot?: string }): [PolicyLayer, string][] {
	const layers: [PolicyLayer, string][] = [["employee", principal.subject]];
	if (principal.kind === "employee" && principal.depot) layers.push(["depot", principal.depot]);
	layers.push(["role", principal.kind === "employee" ? (principal.role ?? "") : "service"]);
	layers.push(["default", ""]);
	return layers;
}

/**
 * Resolves the layers for one principal. For each limit, the most specific enforcing layer that
 * sets it is enforced; report-only layers above it become shadow rules (a trial of a new value
 * that records what it would refuse while the old value still protects). A report-only layer never
 * displaces an enforcing one below it, so report-only can never switch enforcement off by accident.
 */
export function resolvePolicy(rows: readonly PolicyRow[], principal: Parameters<typeof layersFor>[0]): EffectivePolicy {
	const byKey = new Map(rows.map((row) => [`${row.layer}\u0000${row.target}`, row]));
	const applicable = layersFor(principal)
		.map(([layer, target]) => byKey.get(`${layer}\u0000${target}`) ?? (layer === "default" ? BUILT_IN : undefined))
		.filter((row): row is PolicyRow => row !== undefined);
	const enforced: Rule[] = [];
	const shadow: Rule[] = [];
	for (const kind of LIMIT_KINDS) {
		let enforcing: Rule | null = null;
		for (const row of applicable) {
			const rule = ruleFrom(row, kind);
			if (!rule) continue;
			if (rule.mode === "enforce") {
				enforcing = rule;
				break;
			}
			shadow.push(rule);
		}
		// Every limit is always enforced by someone: if no stored layer enforces it, the built-in does.
		enforced.push(enforcing ?? (ruleFrom(BUILT_IN, kind) as Rule));
	}
	// Detection thresholds come from enforcing layers only: a report-only trial must not silence them.
	const live = applicable.filter((row) => row.mode === "enforce");
	const ringThreshold = live.find((row) => row.ring_threshold !== null)?.ring_threshold ?? (BUILT_IN.ring_threshold as number);
	const depotDailyBudget = live.find((row) => row.depot_daily_budget !== null)?.depot_daily_budget ?? (BUILT_IN.depot_daily_budget as number);
	return { enforced, shadow, ringThreshold, depotDailyBudget };
}
