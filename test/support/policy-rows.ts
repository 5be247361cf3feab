import type { PolicyRow } from "../../src/limits/policy";

/** A stored layer that sets nothing: every limit null, so each defers to the layers below (or the built-in). */
const UNSET: PolicyRow = {
	layer: "default",
	target_issuer: "",
	target: "",
	mode: "enforce",
	burst_limit: null,
	burst_window_seconds: null,
	daily_limit: null,
	distinct_limit: null,
	ring_threshold: null,
	depot_daily_budget: null,
	lookup_limit: null,
	lookup_window_seconds: null,
	lookup_daily_limit: null,
	miss_limit: null,
	refusal_limit: null,
	require_active_leg: null,
	leg_grace_seconds: null,
	stale_window_seconds: null,
	case_limit: null,
	plaintext_phone_limit: null,
	call_burst_limit: null,
	call_burst_window_seconds: null,
	call_daily_limit: null,
	call_distinct_limit: null,
	version: 1,
	updated_by: "t",
	updated_at: 0,
};

/**
 * A policy layer as the store returns it, for the pure policy rules: `set` holds the fields the
 * test cares about, the rest are unset. An employee layer names its employee's issuer, as an
 * employee is the pair (issuer, subject); the other layers have none.
 */
export function policyRow(layer: PolicyRow["layer"], target: string, set: Partial<PolicyRow>, issuer: string): PolicyRow {
	return { ...UNSET, layer, target, target_issuer: layer === "employee" ? issuer : "", ...set };
}
