import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apply, type Decision, decide, EMPTY_STATE, type LimiterAsk, type LimiterState, PROBE_LIMIT } from "../src/limits/decide";
import { DAY_SECONDS, type EffectivePolicy, type PolicyRow, type Rule, resolvePolicy } from "../src/limits/policy";
import { BUILT_IN_LEG_POLICY } from "../src/shipments/leg-policy";
import { policyRow } from "./support/policy-rows";

const rule = (kind: Rule["kind"], limit: number, windowSeconds: number, mode: Rule["mode"] = "enforce", layer: Rule["layer"] = "default"): Rule => ({
	kind,
	limit,
	windowSeconds,
	mode,
	layer,
	target: "",
});
const policyOf = (enforced: Rule[], shadow: Rule[] = []): EffectivePolicy => ({
	enforced,
	shadow,
	activity: resolvePolicy([], { kind: "service", issuer: "iss", subject: "s" }).activity,
	ringThreshold: 3,
	depotDailyBudget: 5000,
	legs: BUILT_IN_LEG_POLICY,
	plaintextPhone: { kind: "plaintext_phone", limit: 10, windowSeconds: 86_400, mode: "enforce", layer: "role", target: "courier" },
	calls: [],
});
const inScope = (recordId: string): LimiterAsk => ({ recordId, class: "in_scope", honeytoken: false });

/** Drives the pure limiter over a schedule of asks on a virtual clock. */
function run(policy: EffectivePolicy, asks: { at: number; recordId: string }[]) {
	let state: LimiterState = EMPTY_STATE;
	const log: { at: number; recordId: string; decision: Decision; before: LimiterState }[] = [];
	for (const ask of asks) {
		const decision = decide(state, inScope(ask.recordId), policy, ask.at);
		log.push({ ...ask, decision, before: state });
		state = apply(state, inScope(ask.recordId), decision, ask.at);
	}
	return log;
}

/** Asks at non-decreasing times over up to two days, on up to 40 records. */
const schedule = fc
	.array(fc.record({ gap: fc.integer({ min: 0, max: 4 * 60 * 60 * 1000 }), record: fc.integer({ min: 0, max: 39 }) }), { minLength: 1, maxLength: 300 })
	.map((steps) => {
		let at = Date.UTC(2026, 10, 28, 9);
		return steps.map((step) => {
			at += step.gap % 3 === 0 ? 0 : step.gap;
			return { at, recordId: `rec_${step.record}` };
		});
	});

describe("the limiter's decision on a virtual clock (property tests)", () => {
	it("never grants more than a rule's limit in any window of its length, whatever the timing", () => {
		fc.assert(
			fc.property(
				schedule,
				fc.integer({ min: 1, max: 12 }),
				fc.integer({ min: 10, max: 7200 }),
				fc.integer({ min: 1, max: 40 }),
				fc.integer({ min: 1, max: 25 }),
				(asks, burst, window, daily, distinct) => {
					const policy = policyOf([rule("burst", burst, window), rule("daily", daily, DAY_SECONDS), rule("distinct", distinct, DAY_SECONDS)]);
					const grants = run(policy, asks).filter((entry) => entry.decision.granted);
					for (const grant of grants) {
						const inBurst = grants.filter((other) => other.at > grant.at - window * 1000 && other.at <= grant.at);
						expect(inBurst.length).toBeLessThanOrEqual(burst);
						const inDay = grants.filter((other) => other.at > grant.at - DAY_SECONDS * 1000 && other.at <= grant.at);
						expect(inDay.length).toBeLessThanOrEqual(daily);
						expect(new Set(inDay.map((other) => other.recordId)).size).toBeLessThanOrEqual(distinct);
					}
				},
			),
			{ numRuns: 200 },
		);
	});

	it("a refused ask consumes nothing: the state after it holds the same grants", () => {
		fc.assert(
			fc.property(schedule, fc.integer({ min: 1, max: 6 }), (asks, burst) => {
				const policy = policyOf([rule("burst", burst, 600), rule("daily", 20, DAY_SECONDS)]);
				let state: LimiterState = EMPTY_STATE;
				for (const ask of asks) {
					const decision = decide(state, inScope(ask.recordId), policy, ask.at);
					const next = apply(state, inScope(ask.recordId), decision, ask.at);
					if (!decision.granted) {
						expect(next.grants).toEqual(state.grants.filter((grant) => grant.at > ask.at - DAY_SECONDS * 1000));
						// Retry-After is right: the same ask, alone, passes then and not a second before.
						const retryAfter = decision.retryAfterSeconds as number;
						expect(decide(next, inScope(ask.recordId), policy, ask.at + retryAfter * 1000).granted).toBe(true);
						if (retryAfter > 1) expect(decide(next, inScope(ask.recordId), policy, ask.at + (retryAfter - 1) * 1000 - 1).granted).toBe(false);
					}
					state = next;
				}
			}),
			{ numRuns: 200 },
		);
	});

	it("no double burst at a window edge: a full burst, then nothing until the oldest grant leaves the window", () => {
		const policy = policyOf([rule("burst", 30, 600)]);
		const start = Date.UTC(2026, 10, 28, 9, 59, 59);
		const asks = [
			...Array.from({ length: 30 }, (_, i) => ({ at: start, recordId: `r${i}` })),
			...Array.from({ length: 30 }, (_, i) => ({ at: start + 600_000 - 1, recordId: `s${i}` })),
			...Array.from({ length: 31 }, (_, i) => ({ at: start + 600_000, recordId: `t${i}` })),
		];
		const log = run(policy, asks);
		expect(log.slice(0, 30).every((entry) => entry.decision.granted)).toBe(true);
		expect(log.slice(30, 60).some((entry) => entry.decision.granted)).toBe(false);
		expect(log[30]?.decision.retryAfterSeconds).toBe(1);
		expect(log.slice(60).filter((entry) => entry.decision.granted)).toHaveLength(30);
	});

	it("report-only rules never change the outcome, and never hide an enforcing rule of another layer", () => {
		fc.assert(
			fc.property(
				schedule,
				fc.integer({ min: 1, max: 8 }),
				fc.integer({ min: 1, max: 8 }),
				fc.integer({ min: 1, max: 30 }),
				(asks, enforcedBurst, shadowBurst, shadowDaily) => {
					const enforcing = [rule("burst", enforcedBurst, 600, "enforce", "role"), rule("daily", 25, DAY_SECONDS, "enforce", "default")];
					const shadows = [rule("burst", shadowBurst, 600, "report-only", "employee"), rule("daily", shadowDaily, DAY_SECONDS, "report-only", "depot")];
					const withShadow = run(policyOf(enforcing, shadows), asks);
					const without = run(policyOf(enforcing), asks);
					withShadow.forEach((entry, i) => {
						expect(entry.decision.granted).toBe(without[i]?.decision.granted);
						expect(entry.decision.refusal).toBe(without[i]?.decision.refusal);
						for (const refusal of entry.decision.shadowRefusals) expect(["employee", "depot"]).toContain(refusal.layer);
					});
				},
			),
			{ numRuns: 200 },
		);
	});

	it("a report-only rule that would refuse is recorded on a granted ask", () => {
		const policy = policyOf([rule("burst", 10, 600)], [rule("burst", 2, 600, "report-only", "employee")]);
		const log = run(
			policy,
			[0, 1, 2].map((i) => ({ at: 1_000_000 + i, recordId: `r${i}` })),
		);
		expect(log.map((entry) => entry.decision.granted)).toEqual([true, true, true]);
		expect(log[2]?.decision.shadowRefusals).toEqual([{ kind: "burst", layer: "employee", target: "", limit: 2 }]);
	});
});

describe("detection in the decision", () => {
	const policy = policyOf([rule("burst", 30, 600)]);

	it("a honeytoken suspends on that ask, with a critical alert; then everything is refused", () => {
		const decision = decide(EMPTY_STATE, { recordId: "trap", class: "in_scope", honeytoken: true }, policy, 1000);
		expect(decision).toMatchObject({ granted: false, refusal: "honeytoken", suspend: { reason: "honeytoken" } });
		expect(decision.alerts).toEqual([{ severity: "critical", kind: "honeytoken_touched", details: { record_id: "trap" } }]);
		const after = apply(EMPTY_STATE, { recordId: "trap", class: "in_scope", honeytoken: true }, decision, 1000);
		expect(decide(after, inScope("fine"), policy, 2000)).toMatchObject({ granted: false, refusal: "suspended" });
	});

	it("the tenth out-of-scope ask within an hour suspends; older probes do not count", () => {
		let state: LimiterState = EMPTY_STATE;
		const probe: LimiterAsk = { recordId: "other", class: "out_of_scope", honeytoken: false };
		for (let i = 0; i < PROBE_LIMIT - 1; i++) {
			const decision = decide(state, probe, policy, i * 60_000);
			expect(decision.refusal).toBe("out_of_scope");
			state = apply(state, probe, decision, i * 60_000);
		}
		// An hour after the first probe, it no longer counts: the next one is the ninth in the hour.
		const later = decide(state, probe, policy, 60 * 60_000 + 1);
		expect(later.refusal).toBe("out_of_scope");
		const tenth = decide(state, probe, policy, 9 * 60_000);
		expect(tenth).toMatchObject({ refusal: "out_of_scope_probing", suspend: { reason: "out_of_scope_probing" } });
	});

	it("reaching the daily quota raises one warning per day", () => {
		const daily = policyOf([rule("daily", 2, DAY_SECONDS)]);
		const log = run(
			daily,
			[0, 1, 2, 3].map((i) => ({ at: 5_000 + i, recordId: `r${i}` })),
		);
		expect(log.map((entry) => entry.decision.alerts.map((alert) => alert.kind))).toEqual([[], ["daily_quota_reached"], [], []]);
	});
});

describe("policy layering", () => {
	const row = (layer: PolicyRow["layer"], target: string, burst: number | null, mode: PolicyRow["mode"] = "enforce"): PolicyRow =>
		policyRow(layer, target, { mode, burst_limit: burst, burst_window_seconds: burst === null ? null : 600 }, "iss");
	const courier = { kind: "employee" as const, issuer: "iss", subject: "c1", role: "courier", depot: "D1" };
	const burstOf = (rows: PolicyRow[]) => resolvePolicy(rows, courier).enforced.find((r) => r.kind === "burst");

	it("an employee override beats the depot, which beats the role, which beats the default", () => {
		const all = [row("default", "", 10), row("role", "courier", 20), row("depot", "D1", 30), row("employee", "c1", 40)];
		expect(burstOf(all)).toMatchObject({ limit: 40, layer: "employee" });
		expect(burstOf(all.slice(0, 3))).toMatchObject({ limit: 30, layer: "depot" });
		expect(burstOf(all.slice(0, 2))).toMatchObject({ limit: 20, layer: "role" });
		expect(burstOf(all.slice(0, 1))).toMatchObject({ limit: 10, layer: "default" });
		// Another depot's, role's or employee's layer does not apply, nor one for another issuer's "c1".
		expect(burstOf([row("default", "", 10), row("role", "clerk", 20), row("depot", "D2", 30), row("employee", "c2", 40)])).toMatchObject({ limit: 10 });
		expect(burstOf([row("default", "", 10), { ...row("employee", "c1", 40), target_issuer: "other-iss" }])).toMatchObject({ limit: 10 });
	});

	it("a layer that leaves a limit unset defers to the layers below for it", () => {
		expect(burstOf([row("default", "", 10), row("employee", "c1", null)])).toMatchObject({ limit: 10, layer: "default" });
	});

	it("a report-only override becomes a shadow rule while the enforcing layer below still applies", () => {
		const effective = resolvePolicy([row("default", "", 10), row("role", "courier", 20), row("employee", "c1", 5, "report-only")], courier);
		expect(effective.enforced.find((r) => r.kind === "burst")).toMatchObject({ limit: 20, layer: "role" });
		expect(effective.shadow).toEqual([expect.objectContaining({ kind: "burst", limit: 5, layer: "employee", mode: "report-only" })]);
	});

	it("services resolve through the service role, never an employee role", () => {
		const effective = resolvePolicy([row("default", "", 10), row("role", "service", 600), row("role", "courier", 20)], {
			kind: "service",
			issuer: "iss",
			subject: "notify-svc",
		});
		expect(effective.enforced.find((r) => r.kind === "burst")).toMatchObject({ limit: 600, target: "service" });
	});

	it("if every stored layer is report-only for a limit, the built-in limit still enforces it", () => {
		const effective = resolvePolicy([row("default", "", 500, "report-only"), row("role", "courier", 400, "report-only")], courier);
		expect(effective.enforced.find((r) => r.kind === "burst")).toMatchObject({ limit: 20, mode: "enforce" });
		expect(effective.shadow.map((r) => r.limit)).toEqual([400, 500]);
	});

	it("detection thresholds come from enforcing layers only", () => {
		const trial = { ...row("depot", "D1", null, "report-only"), ring_threshold: 50, depot_daily_budget: 1_000_000 };
		const live = { ...row("default", "", 10), ring_threshold: 4, depot_daily_budget: 6000 };
		expect(resolvePolicy([live, trial], courier)).toMatchObject({ ringThreshold: 4, depotDailyBudget: 6000 });
	});

	it("with no default layer stored, built-in strict limits apply (fail closed)", () => {
		expect(resolvePolicy([], courier).enforced.map((r) => [r.kind, r.limit])).toEqual([
			["burst", 20],
			["daily", 200],
			["distinct", 150],
		]);
	});
});
