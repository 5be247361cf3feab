/**
 * The pure rules of calls (src/calls/call-policy.ts, call-decision.ts): expiry, the double tap,
 * and the decision the limiter object makes, as tables.
 */
import { describe, expect, it } from "vitest";
import { applyCall, type CallAsk, type CallDraft, callEvents, callView, decideCall, EMPTY_CALLS, releaseCall } from "../src/calls/call-decision";
import { CALL_MAX_SECONDS, callExpiry, callPolicy, callRateLimitHeaders, reusable } from "../src/calls/call-policy";
import { EMPTY_STATE, type LimiterState } from "../src/limits/decide";
import { CALL_DEFAULTS, type PolicySubject, resolvePolicy } from "../src/limits/policy";
import { policyRow } from "./support/policy-rows";

const T0 = Date.UTC(2026, 10, 30, 8, 0);
const MIN = 60_000;
const base = resolvePolicy([], { kind: "employee", issuer: "https://issuer.test", subject: "c1", role: "courier", depot: "D1" });
const policy = callPolicy(base);
const ask = (overrides: Partial<CallAsk> = {}): CallAsk => ({
	recordId: "rec_a",
	class: "in_scope",
	honeytoken: false,
	legRefusal: null,
	reuse: false,
	...overrides,
});

describe("callExpiry", () => {
	it("is the leg's end when known, never past the maximum", () => {
		expect(callExpiry(null, T0)).toBe(T0 + CALL_MAX_SECONDS * 1000);
		expect(callExpiry({ closeAfter: null }, T0)).toBe(T0 + CALL_MAX_SECONDS * 1000);
		expect(callExpiry({ closeAfter: T0 + 30 * MIN }, T0)).toBe(T0 + 30 * MIN);
		expect(callExpiry({ closeAfter: T0 + 5 * 60 * MIN }, T0)).toBe(T0 + CALL_MAX_SECONDS * 1000);
		expect(callExpiry({ closeAfter: T0 + 10 * 60 * MIN }, T0, 600)).toBe(T0 + 600_000);
	});
});

describe("call limits resolve from the layers", () => {
	const ISS = "https://issuer.test";
	const who = (role: string, subject = "c1", depot = "D1"): PolicySubject => ({ kind: "employee", issuer: ISS, subject, role, depot });
	const limits = (rows: Parameters<typeof resolvePolicy>[0], subject: PolicySubject) =>
		callPolicy(resolvePolicy(rows, subject)).enforced.map((rule) => [rule.kind, rule.limit, rule.windowSeconds, rule.layer, rule.target]);

	it.each(["courier", "clerk", "supervisor"] as const)("no layer sets them: the %s built-ins, as the role's", (role) => {
		const { burst, burstWindowSeconds, daily, distinct } = CALL_DEFAULTS[role];
		expect(limits([], who(role))).toEqual([
			["burst", burst, burstWindowSeconds, "role", role],
			["daily", daily, 86_400, "role", role],
			["distinct", distinct, 86_400, "role", role],
		]);
	});

	it("each kind from the most specific enforcing layer that sets it; the burst keeps its own layer's window", () => {
		const rows = [
			policyRow("default", "", { call_daily_limit: 900, call_distinct_limit: 800, call_burst_limit: 50, call_burst_window_seconds: 300 }, ISS),
			policyRow("role", "courier", { call_daily_limit: 100 }, ISS),
			policyRow("depot", "D1", { call_burst_limit: 5, call_burst_window_seconds: 60 }, ISS),
			policyRow("employee", "c1", { call_distinct_limit: 7 }, ISS),
			// Another employee's, and another issuer's "c1": neither is this courier's.
			policyRow("employee", "c2", { call_daily_limit: 1 }, ISS),
			policyRow("employee", "c1", { call_daily_limit: 2 }, "https://other.test"),
		];
		expect(limits(rows, who("courier"))).toEqual([
			["burst", 5, 60, "depot", "D1"],
			["daily", 100, 86_400, "role", "courier"],
			["distinct", 7, 86_400, "employee", "c1"],
		]);
		// The reveal rules are untouched by them.
		expect(resolvePolicy(rows, who("courier")).enforced.map((rule) => rule.limit)).toEqual(
			resolvePolicy([], who("courier")).enforced.map((rule) => rule.limit),
		);
	});

	it("a report-only layer never sets them (the API refuses one; a stored one is passed over)", () => {
		const rows = [policyRow("employee", "c1", { mode: "report-only", call_burst_limit: 1, call_burst_window_seconds: 60 }, ISS)];
		expect(limits(rows, who("courier"))[0]).toEqual(["burst", CALL_DEFAULTS.courier.burst, 600, "role", "courier"]);
	});
});

describe("callEvents", () => {
	const actor = { subject: "c1", issuer: "https://issuer.test", role: "courier", depot: "D1" };
	const draft: CallDraft = { callId: "call_1", recordId: "rec_a", purpose: "delivery", leg: null, caseId: null, expiresAt: T0 + MIN, scopeReason: null };
	const deniedDetails = (a: CallAsk) => {
		const [entry] = callEvents(actor, draft, a, decideCall(callView(EMPTY_STATE, EMPTY_CALLS), a, policy, T0), T0);
		return entry?.details;
	};

	it("marks a refusal by the leg gate, so the what-if does not replay it as a probe; the same reason as a probe's class carries no mark", () => {
		expect(deniedDetails(ask({ legRefusal: "no_open_leg" }))).toMatchObject({ reason: "no_open_leg", leg_refusal: true });
		const probe = deniedDetails(ask({ class: "no_open_leg" }));
		expect(probe).toMatchObject({ reason: "no_open_leg" });
		expect(probe).not.toHaveProperty("leg_refusal");
	});
});

describe("reusable: a double tap is not a second call", () => {
	const live = { id: "call_1", legN: 2, legOpenedAt: T0 - MIN, expiresAt: T0 + MIN, endRequested: false };
	it.each([
		["the same leg, alive", live, { n: 2, openedAt: T0 - MIN }, true],
		["another leg of the shipment", live, { n: 3, openedAt: T0 - MIN }, false],
		["the leg renumbered (opened at another time)", live, { n: 2, openedAt: T0 }, false],
		["expired", { ...live, expiresAt: T0 }, { n: 2, openedAt: T0 - MIN }, false],
		["a case call, asked as a case call", { ...live, legN: null, legOpenedAt: null }, null, true],
		["a case call, asked on a leg", { ...live, legN: null, legOpenedAt: null }, { n: 2, openedAt: T0 - MIN }, false],
		["the same leg, its end asked for (by its caller or ops) and not yet done", { ...live, endRequested: true }, { n: 2, openedAt: T0 - MIN }, false],
		["none", null, { n: 2, openedAt: T0 - MIN }, false],
	] as const)("%s", (_name, call, leg, expected) => {
		expect(reusable(call, leg, T0)).toBe(expected);
	});
});

describe("decideCall", () => {
	const reveals: LimiterState = EMPTY_STATE;

	it("grants within the call limits and counts the call apart from reveals", () => {
		const decision = decideCall(callView(reveals, EMPTY_CALLS), ask(), policy, T0);
		expect(decision).toMatchObject({ granted: true, refusal: null });
		const next = applyCall(reveals, EMPTY_CALLS, ask(), decision, T0);
		expect(next.calls.grants).toEqual([{ at: T0, recordId: "rec_a" }]);
		expect(next.reveals.grants).toEqual([]);
		expect(callRateLimitHeaders(decision.usage)["RateLimit-Policy"]).toBe(
			`"call_burst";q=${CALL_DEFAULTS.courier.burst};w=600, "call_daily";q=${CALL_DEFAULTS.courier.daily};w=86400, "call_distinct";q=${CALL_DEFAULTS.courier.distinct};w=86400`,
		);
	});

	it("a reused binding is granted without counting; a leg refusal counts nothing and is no probe", () => {
		const reused = decideCall(callView(reveals, EMPTY_CALLS), ask({ reuse: true }), policy, T0);
		expect(reused.granted).toBe(true);
		expect(applyCall(reveals, EMPTY_CALLS, ask({ reuse: true }), reused, T0).calls.grants).toEqual([]);
		for (const legRefusal of ["no_open_leg", "stale", "case_required"] as const) {
			const refused = decideCall(callView(reveals, EMPTY_CALLS), ask({ legRefusal }), policy, T0);
			expect(refused).toMatchObject({ granted: false, refusal: legRefusal, suspend: null });
			const next = applyCall(reveals, EMPTY_CALLS, ask({ legRefusal }), refused, T0);
			expect(next.reveals.probes).toEqual([]);
			expect(next.calls.grants).toEqual([]);
		}
	});

	it("a honeytoken suspends, whatever else is true of the ask; a suspension refuses even a double tap", () => {
		const trap = decideCall(callView(reveals, EMPTY_CALLS), ask({ honeytoken: true, legRefusal: "no_open_leg", class: "out_of_scope" }), policy, T0);
		expect(trap).toMatchObject({ granted: false, refusal: "honeytoken", suspend: { reason: "honeytoken" } });
		const suspended = applyCall(reveals, EMPTY_CALLS, ask({ honeytoken: true }), trap, T0).reveals;
		expect(suspended.suspension?.reason).toBe("honeytoken");
		expect(decideCall(callView(suspended, EMPTY_CALLS), ask({ reuse: true }), policy, T0 + 1)).toMatchObject({ granted: false, refusal: "suspended" });
	});

	it("out of scope is a probe in the reveal state; the tenth within an hour suspends", () => {
		let state = reveals;
		let calls = EMPTY_CALLS;
		const refusals: (string | null)[] = [];
		for (let i = 0; i < 10; i++) {
			const probing = ask({ class: "out_of_scope" });
			const decision = decideCall(callView(state, calls), probing, policy, T0 + i);
			refusals.push(decision.refusal);
			({ reveals: state, calls } = applyCall(state, calls, probing, decision, T0 + i));
		}
		expect(refusals).toEqual([...Array(9).fill("out_of_scope"), "out_of_scope_probing"]);
		expect(state.suspension?.reason).toBe("out_of_scope_probing");
	});

	it("the burst limit refuses the next call; a call given back frees its place", () => {
		let calls = EMPTY_CALLS;
		for (let i = 0; i < CALL_DEFAULTS.courier.burst; i++) {
			const next = ask({ recordId: `rec_${i}` });
			calls = applyCall(reveals, calls, next, decideCall(callView(reveals, calls), next, policy, T0 + i), T0 + i).calls;
		}
		const over = decideCall(callView(reveals, calls), ask({ recordId: "rec_new" }), policy, T0 + 100);
		expect(over).toMatchObject({ granted: false, refusal: "burst" });
		expect(over.retryAfterSeconds).toBe(600);
		const released = releaseCall(calls, "rec_0", T0);
		expect(decideCall(callView(reveals, released), ask({ recordId: "rec_new" }), policy, T0 + 100).granted).toBe(true);
	});
});
