import { ROLES, type Role } from "../auth/principal";
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
	/** Calls per call burst window (migration 0020); with `call_burst_window_seconds`. Enforcing layers; null: the layer below, or the role's built-in. */
	call_burst_limit: number | null;
	call_burst_window_seconds: number | null;
	/** Calls per rolling 24 hours. */
	call_daily_limit: number | null;
	/** Distinct records called about per rolling 24 hours. */
	call_distinct_limit: number | null;
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
	/** The call limits (burst, daily, distinct; DESIGN "Calls instead of numbers"): always enforced, one of each kind. */
	calls: Rule<LimitKind>[];
}

/**
 * Plaintext phones per role and day when no layer sets `plaintext_phone_limit`. A courier calls
 * through the privacy number and needs the number itself only when a bridge failed; a clerk's
 * work with phones is customer_service (its own case path), so a clerk gets none for delivery or
 * pickup; anything else (a service, a role not named here) none either: fail closed.
 */
export const PLAINTEXT_PHONE_DEFAULTS: Readonly<Record<string, number>> = { courier: 10, clerk: 0, supervisor: 10 };

/** One principal's call limits: calls per burst window, per 24 hours, distinct records per 24 hours. */
export interface CallLimits {
	burst: number;
	burstWindowSeconds: number;
	daily: number;
	distinct: number;
}

/**
 * Calls per role when no layer sets the call columns. A courier's route is 100–300 parcels a day
 * and a double tap (or a redial) reuses the live binding, so a courier's day fits well inside
 * these; clerks and supervisors call about their depot's parcels, fewer of them. A service makes no
 * calls (POST /v1/calls is for employees): its built-in is the least a rule can say, one.
 */
export const CALL_DEFAULTS: Readonly<Record<Role, CallLimits>> = {
	courier: { burst: 30, burstWindowSeconds: 600, daily: 400, distinct: 300 },
	clerk: { burst: 20, burstWindowSeconds: 600, daily: 200, distinct: 150 },
	supervisor: { burst: 30, burstWindowSeconds: 600, daily: 300, distinct: 200 },
};
const NO_CALLS: CallLimits = { burst: 1, burstWindowSeconds: 600, daily: 1, distinct: 1 };

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
	// Per role: CALL_DEFAULTS.
	call_burst_limit: null,
	call_burst_window_seconds: null,
	call_daily_limit: null,
	call_distinct_limit: null,
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
		calls: callRules(live, principal),
	};
}

/**
 * Each call limit from the most specific enforcing layer that sets it, else the role's built-in
 * (CALL_DEFAULTS). Enforcing layers only, as for the plaintext phone: calls are not replayed by the
 * what-if, so a report-only trial of them would have nothing to show.
 */
function callRules(live: readonly PolicyRow[], principal: PolicySubject): Rule<LimitKind>[] {
	const role = builtInRole(principal);
	const builtIn = (ROLES as readonly string[]).includes(role) ? CALL_DEFAULTS[role as Role] : NO_CALLS;
	const burst = live.find((row) => row.call_burst_limit != null);
	const daily = live.find((row) => row.call_daily_limit != null);
	const distinct = live.find((row) => row.call_distinct_limit != null);
	return [
		alwaysEnforced("burst", burst, burst?.call_burst_limit ?? builtIn.burst, burst?.call_burst_window_seconds ?? builtIn.burstWindowSeconds, role),
		alwaysEnforced("daily", daily, daily?.call_daily_limit ?? builtIn.daily, DAY_SECONDS, role),
		alwaysEnforced("distinct", distinct, distinct?.call_distinct_limit ?? builtIn.distinct, DAY_SECONDS, role),
	];
}

/**
 * The most specific enforcing layer that sets `plaintext_phone_limit`, else the role's built-in.
 * Enforcing layers only: the limit is the exception to calling, and a trial of it has nothing to
 * record that the audit's `reveal.granted` entries do not already say.
 */
function plaintextPhoneRule(live: readonly PolicyRow[], principal: PolicySubject): Rule<PlaintextPhoneKind> {
	const row = live.find((candidate) => candidate.plaintext_phone_limit != null);
	const role = builtInRole(principal);
	return alwaysEnforced(PLAINTEXT_PHONE, row, row?.plaintext_phone_limit ?? PLAINTEXT_PHONE_DEFAULTS[role] ?? 0, DAY_SECONDS, role);
}

/** Whose built-in limits apply: an employee's role, or "service". An employee without a role gets "", a role no built-in names: the least call limits (NO_CALLS) and no plaintext phone. */
function builtInRole(principal: PolicySubject): string {
	return principal.kind === "employee" ? (principal.role ?? "") : "service";
}

/** A limit no layer can switch to report-only: named after the layer `row` that set it, else after the role's built-in. */
function alwaysEnforced<K extends RuleKind>(kind: K, row: PolicyRow | undefined, limit: number, windowSeconds: number, role: string): Rule<K> {
	return row
		? { kind, limit, windowSeconds, mode: "enforce", layer: row.layer, target: row.target }
		: { kind, limit, windowSeconds, mode: "enforce", layer: "role", target: role };
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
	| "call_burst_limit"
	| "call_burst_window_seconds"
	| "call_daily_limit"
	| "call_distinct_limit"
>;

/** The columns of a layer as an API body gives them: every field it leaves out is null, deferring to the layers below. */
export function layerInputOf(input: { mode: PolicyMode } & { [K in Exclude<keyof LayerInput, "mode">]?: LayerInput[K] | undefined }): LayerInput {
	return {
		mode: input.mode,
		burst_limit: input.burst_limit ?? null,
		burst_window_seconds: input.burst_window_seconds ?? null,
		daily_limit: input.daily_limit ?? null,
		distinct_limit: input.distinct_limit ?? null,
		ring_threshold: input.ring_threshold ?? null,
		depot_daily_budget: input.depot_daily_budget ?? null,
		lookup_limit: input.lookup_limit ?? null,
		lookup_window_seconds: input.lookup_window_seconds ?? null,
		lookup_daily_limit: input.lookup_daily_limit ?? null,
		miss_limit: input.miss_limit ?? null,
		refusal_limit: input.refusal_limit ?? null,
		require_active_leg: input.require_active_leg ?? null,
		leg_grace_seconds: input.leg_grace_seconds ?? null,
		stale_window_seconds: input.stale_window_seconds ?? null,
		case_limit: input.case_limit ?? null,
		plaintext_phone_limit: input.plaintext_phone_limit ?? null,
		call_burst_limit: input.call_burst_limit ?? null,
		call_burst_window_seconds: input.call_burst_window_seconds ?? null,
		call_daily_limit: input.call_daily_limit ?? null,
		call_distinct_limit: input.call_distinct_limit ?? null,
	};
}

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
		for (const field of [
			"leg_grace_seconds",
			"stale_window_seconds",
			"case_limit",
			"plaintext_phone_limit",
			"call_burst_limit",
			"call_burst_window_seconds",
			"call_daily_limit",
			"call_distinct_limit",
		] as const) {
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
