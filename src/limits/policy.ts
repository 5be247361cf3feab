import { ROLES } from "../auth/principal";
import { type LegPolicy, resolveLegPolicy } from "../shipments/leg-policy";
import { layerKey, layersFor, type PolicyLayer, type PolicySubject } from "./policy-layers";

export { layerKey, layersFor, POLICY_LAYERS, type PolicyLayer, type PolicySubject } from "./policy-layers";

/** Reveal limits: grants per burst window, per 24 hours, and distinct records per 24 hours. */
export const LIMIT_KINDS = ["burst", "daily", "distinct"] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];
/**
 * Limits of everything else a principal does (DESIGN "Principals and scopes": every lookup is
 * counted, each under a limit of its own): lookups per burst window and per 24 hours, employee
 * shipment lookups that find nothing in scope per hour, refused calls per hour.
 */
export const ACTIVITY_KINDS = ["lookup_burst", "lookup_daily", "misses", "refusals"] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];
/**
 * The plaintext phone of a delivery or pickup (DESIGN "Calls instead of numbers"): the counted
 * exception to calling through a privacy number, under a tight daily limit of its own.
 */
export const PLAINTEXT_PHONE = "plaintext_phone" as const;
export type PlaintextPhoneKind = typeof PLAINTEXT_PHONE;
export type RuleKind = LimitKind | ActivityKind | PlaintextPhoneKind;

export const POLICY_MODES = ["enforce", "report-only"] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];
/** What a role layer may target: the employee roles, and "service" for every service principal. */
export const ROLE_TARGETS = [...ROLES, "service"] as const;

export const DAY_SECONDS = 86_400;
export const HOUR_SECONDS = 3_600;

/** A stored policy layer; a null limit defers to the layers below. */
export interface PolicyRow {
	layer: PolicyLayer;
	/** The issuer of an employee layer's employee (DESIGN "Identity"); '' for other layers. */
	target_issuer: string;
	target: string;
	mode: PolicyMode;
	burst_limit: number | null;
	burst_window_seconds: number | null;
	daily_limit: number | null;
	distinct_limit: number | null;
	ring_threshold: number | null;
	depot_daily_budget: number | null;
	lookup_limit: number | null;
	lookup_window_seconds: number | null;
	lookup_daily_limit: number | null;
	miss_limit: number | null;
	refusal_limit: number | null;
	/** Whether a reveal needs an open leg (1) or not (0) (DESIGN "Reveals follow the work", migration 0008). */
	require_active_leg: number | null;
	/** Depot and default layers: how long a delivered, picked-up or returned leg still allows reveals. */
	leg_grace_seconds: number | null;
	/** How long after a leg closed or moved away an ask about it is stale rather than probing. */
	stale_window_seconds: number | null;
	/** customer_service reveals per rolling 24 hours. */
	case_limit: number | null;
	/** Plaintext phone reveals for delivery or pickup per rolling 24 hours (migration 0017); null: the layer below, or the role's built-in. */
	plaintext_phone_limit: number | null;
	version: number;
	updated_by: string;
	updated_at: number;
}

/** One limit as it applies to one principal: at most `limit` per `windowSeconds`. */
export interface Rule<K extends RuleKind = LimitKind> {
	kind: K;
	limit: number;
	windowSeconds: number;
	mode: PolicyMode;
	layer: PolicyLayer;
	target: string;
}

export interface ResolvedRules<K extends RuleKind = LimitKind> {
	/** The enforcing rule of each kind: one per kind, always (the built-in one if no layer enforces it). */
	enforced: Rule<K>[];
	/** Report-only rules more specific than the enforcing one: evaluated and recorded, never refusing. */
	shadow: Rule<K>[];
}

export interface EffectivePolicy extends ResolvedRules<LimitKind> {
	/** Lookups, misses and refusals, resolved like the reveal limits. */
	activity: ResolvedRules<ActivityKind>;
	/** Employees of one depot at their daily quota on one day that raise a ring alert. */
	ringThreshold: number;
	/** Reveals by all employees of the principal's depot in 24 hours before a critical alert. */
	depotDailyBudget: number;
	/** Whether reveals need live work, and the windows around it (src/shipments/leg-policy.ts). */
	legs: LegPolicy;
	/** Plaintext phone reveals for delivery or pickup per 24 hours: always enforced, never none. */
	plaintextPhone: Rule<PlaintextPhoneKind>;
}

/**
 * Plaintext phones per role and day when no layer sets `plaintext_phone_limit`. A courier calls
 * through the privacy number and needs the number itself only when a bridge failed; a clerk's
 * work with phones is customer_service (its own case path), so a clerk gets none for delivery or
 * pickup; anything else (a service, a role not named here) none either: fail closed.
 */
export const PLAINTEXT_PHONE_DEFAULTS: Readonly<Record<string, number>> = { courier: 10, clerk: 0, supervisor: 10 };

/** Strict limits that apply to any kind no stored layer enforces: the vault never runs unlimited. */
const BUILT_IN: PolicyRow = {
	layer: "default",
	target_issuer: "",
	target: "",
	mode: "enforce",
	burst_limit: 20,
	burst_window_seconds: 600,
	daily_limit: 200,
	distinct_limit: 150,
	ring_threshold: 3,
	depot_daily_budget: 5000,
	lookup_limit: 120,
	lookup_window_seconds: 60,
	lookup_daily_limit: 2000,
	miss_limit: 60,
	refusal_limit: 30,
	// The leg columns defer to BUILT_IN_LEG_POLICY (resolveLegPolicy applies it).
	require_active_leg: null,
	leg_grace_seconds: null,
	stale_window_seconds: null,
	case_limit: null,
	// Per role: PLAINTEXT_PHONE_DEFAULTS.
	plaintext_phone_limit: null,
	version: 0,
	updated_by: "built-in",
	updated_at: 0,
};

function ruleFrom<K extends RuleKind>(row: PolicyRow, kind: K): Rule<K> | null {
	const [limit, windowSeconds] = ((): [number | null, number] => {
		switch (kind) {
			case "burst":
				return [row.burst_limit, row.burst_window_seconds ?? 600];
			case "daily":
				return [row.daily_limit, DAY_SECONDS];
			case "distinct":
				return [row.distinct_limit, DAY_SECONDS];
			case "lookup_burst":
				return [row.lookup_limit, row.lookup_window_seconds ?? 60];
			case "lookup_daily":
				return [row.lookup_daily_limit, DAY_SECONDS];
			case "misses":
				return [row.miss_limit, HOUR_SECONDS];
			case "refusals":
				return [row.refusal_limit, HOUR_SECONDS];
			case "plaintext_phone":
				return [row.plaintext_phone_limit, DAY_SECONDS];
		}
	})();
	if (limit === null) return null;
	return { kind, limit, windowSeconds, mode: row.mode, layer: row.layer, target: row.target };
}

function resolveKinds<K extends RuleKind>(applicable: readonly PolicyRow[], kinds: readonly K[]): ResolvedRules<K> {
	const enforced: Rule<K>[] = [];
	const shadow: Rule<K>[] = [];
	for (const kind of kinds) {
		let enforcing: Rule<K> | null = null;
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
		enforced.push(enforcing ?? (ruleFrom(BUILT_IN, kind) as Rule<K>));
	}
	return { enforced, shadow };
}

/**
 * Resolves the layers for one principal. For each limit, the most specific enforcing layer that
 * sets it is enforced; report-only layers above it become shadow rules (a trial of a new value
 * that records what it would refuse while the old value still protects). A report-only layer never
 * displaces an enforcing one below it, so report-only can never switch enforcement off by accident.
 * Rows must carry their real issuer (PolicyStore reads '' as the employee issuer).
 */
export function resolvePolicy(rows: readonly PolicyRow[], principal: PolicySubject): EffectivePolicy {
	const byKey = new Map(rows.map((row) => [layerKey(row.layer, row.target_issuer, row.target), row]));
	const applicable = layersFor(principal)
		.map(([layer, issuer, target]) => byKey.get(layerKey(layer, issuer, target)) ?? (layer === "default" ? BUILT_IN : undefined))
		.filter((row): row is PolicyRow => row !== undefined);
	// Detection thresholds come from enforcing layers only: a report-only trial must not silence them.
	const live = applicable.filter((row) => row.mode === "enforce");
	const ringThreshold = live.find((row) => row.ring_threshold !== null)?.ring_threshold ?? (BUILT_IN.ring_threshold as number);
	const depotDailyBudget = live.find((row) => row.depot_daily_budget !== null)?.depot_daily_budget ?? (BUILT_IN.depot_daily_budget as number);
	return {
		...resolveKinds(applicable, LIMIT_KINDS),
		activity: resolveKinds(applicable, ACTIVITY_KINDS),
		ringThreshold,
		depotDailyBudget,
		legs: resolveLegPolicy(rows, principal),
		plaintextPhone: plaintextPhoneRule(live, principal),
	};
}

/**
 * The most specific enforcing layer that sets `plaintext_phone_limit`, else the role's built-in.
 * Enforcing layers only: the limit is the exception to calling, and a trial of it has nothing to
 * record that the audit's `reveal.granted` entries do not already say.
 */
function plaintextPhoneRule(live: readonly PolicyRow[], principal: PolicySubject): Rule<PlaintextPhoneKind> {
	const row = live.find((candidate) => candidate.plaintext_phone_limit != null);
	const role = principal.kind === "employee" ? (principal.role ?? "") : "service";
	if (row) {
		return {
			kind: PLAINTEXT_PHONE,
			limit: row.plaintext_phone_limit as number,
			windowSeconds: DAY_SECONDS,
			mode: "enforce",
			layer: row.layer,
			target: row.target,
		};
	}
	return { kind: PLAINTEXT_PHONE, limit: PLAINTEXT_PHONE_DEFAULTS[role] ?? 0, windowSeconds: DAY_SECONDS, mode: "enforce", layer: "role", target: role };
}

/** A field error as the API reports it: an RFC 6901 pointer into the request, and what is wrong. */
export interface FieldError {
	pointer: string;
	code: string;
	message: string;
}

export type LayerInput = Pick<
	PolicyRow,
	| "mode"
	| "burst_limit"
	| "burst_window_seconds"
	| "daily_limit"
	| "distinct_limit"
	| "ring_threshold"
	| "depot_daily_budget"
	| "lookup_limit"
	| "lookup_window_seconds"
	| "lookup_daily_limit"
	| "miss_limit"
	| "refusal_limit"
	| "require_active_leg"
	| "leg_grace_seconds"
	| "stale_window_seconds"
	| "case_limit"
	| "plaintext_phone_limit"
>;

/**
 * The rules a layer must keep beyond its schema: role layers name a role, detection thresholds
 * live on depot and default layers, and the default layer enforces every limit (it is what applies
 * when nothing more specific does). Pure: the route reports what this returns.
 */
export function layerErrors(layer: PolicyLayer, target: string, input: LayerInput): FieldError[] {
	const errors: FieldError[] = [];
	if (layer === "role" && !(ROLE_TARGETS as readonly string[]).includes(target)) {
		errors.push({ pointer: "/target", code: "invalid_value", message: `must be one of ${ROLE_TARGETS.join(", ")}` });
	}
	for (const field of ["ring_threshold", "depot_daily_budget"] as const) {
		if (input[field] !== null && layer !== "depot" && layer !== "default") {
			errors.push({ pointer: `/${field}`, code: "custom", message: "only depot and default layers take this" });
		}
	}
	// The grace belongs to the parcel's work, fixed when its closing event lands: only depot and default layers set it (graceSecondsAt).
	if (input.leg_grace_seconds !== null && layer !== "depot" && layer !== "default") {
		errors.push({ pointer: "/leg_grace_seconds", code: "custom", message: "only depot and default layers take this" });
	}
	if (input.mode === "report-only") {
		// A report-only layer trials the requirement and nothing else (resolveLegPolicy): it can add reporting, never switch enforcement off.
		if (input.require_active_leg === 0) {
			errors.push({ pointer: "/require_active_leg", code: "custom", message: "a report-only layer can only trial 1 (record what would be refused)" });
		}
		for (const field of ["leg_grace_seconds", "stale_window_seconds", "case_limit", "plaintext_phone_limit"] as const) {
			if (input[field] !== null) errors.push({ pointer: `/${field}`, code: "custom", message: "only enforcing layers take this" });
		}
	}
	if (layer === "default") {
		if (input.mode !== "enforce") errors.push({ pointer: "/mode", code: "custom", message: "the default layer must enforce" });
		// Lookup and refusal limits it leaves unset are the built-in ones, never none.
		for (const field of ["burst_limit", "daily_limit", "distinct_limit"] as const) {
			if (input[field] === null)
				errors.push({ pointer: `/${field}`, code: "custom", message: "the default layer must enforce burst, daily and distinct limits" });
		}
	}
	return errors;
}
