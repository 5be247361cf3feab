import { describe, expect, it } from "vitest";
import { type PolicyRow, resolvePolicy } from "../src/limits/policy";
import { REMEMBERED_PRINCIPALS, resolvedPolicy } from "../src/limits/resolved-policies";

const layer = (over: Partial<PolicyRow>): PolicyRow => ({
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
	version: 1,
	updated_by: "ops",
	updated_at: 0,
	...over,
});
const courier = (subject: string, issuer = "https://issuer.test", depot = "D1") => ({ kind: "employee" as const, issuer, subject, role: "courier", depot });

describe("policies resolved once per set of layers", () => {
	it("answers what resolvePolicy answers, for each principal apart, and again after the layers are read anew", () => {
		const rows = [
			layer({ layer: "employee", target_issuer: "https://issuer.test", target: "c-1", daily_limit: 7 }),
			layer({ layer: "depot", target: "D2", daily_limit: 40 }),
			layer({ layer: "role", target: "courier", daily_limit: 90 }),
		];
		for (const who of [courier("c-1"), courier("c-1", "https://partner.test"), courier("c-2"), courier("c-2", "https://issuer.test", "D2")]) {
			expect(resolvedPolicy(rows, who)).toEqual(resolvePolicy(rows, who));
			expect(resolvedPolicy(rows, who)).toBe(resolvedPolicy(rows, who));
		}
		// The same sub under another issuer is another person, with another policy (the employee layer names the first).
		expect(resolvedPolicy(rows, courier("c-1")).enforced).not.toEqual(resolvedPolicy(rows, courier("c-1", "https://partner.test")).enforced);
		// A new read of the layers (a new array) is resolved afresh: an ops change is not hidden by the memo.
		const changed = [layer({ layer: "employee", target_issuer: "https://issuer.test", target: "c-1", daily_limit: 3 }), ...rows.slice(1)];
		expect(resolvedPolicy(changed, courier("c-1"))).toEqual(resolvePolicy(changed, courier("c-1")));
		expect(resolvedPolicy(changed, courier("c-1"))).not.toEqual(resolvedPolicy(rows, courier("c-1")));
	});

	it("hands out a frozen policy: a change in place throws instead of reaching the next request", () => {
		const policy = resolvedPolicy([], courier("frozen"));
		expect(Object.isFrozen(policy)).toBe(true);
		expect(() => {
			(policy as { ringThreshold: number }).ringThreshold = 99;
		}).toThrow(TypeError);
		expect(resolvedPolicy([], courier("frozen")).ringThreshold).toBe(resolvePolicy([], courier("frozen")).ringThreshold);
	});

	it("remembers at most REMEMBERED_PRINCIPALS principals per set of layers, and stays right past it", () => {
		const rows = [layer({ layer: "role", target: "courier", daily_limit: 90 })];
		for (let i = 0; i <= REMEMBERED_PRINCIPALS + 10; i++) resolvedPolicy(rows, courier(`c-${i}`));
		expect(resolvedPolicy(rows, courier("c-0"))).toEqual(resolvePolicy(rows, courier("c-0")));
	});
});
