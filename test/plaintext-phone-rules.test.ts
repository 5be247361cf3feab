/**
 * The plaintext phone as the exception (src/calls/plaintext-phone.ts): pure rules, as tables. A
 * phone for delivery or pickup needs a call on the open leg and has a daily limit of its own per
 * role; every other reveal is judged as before.
 */
import { describe, expect, it } from "vitest";
import { applyCall, type CallAsk, type CallState, callView, decideCall, EMPTY_CALLS } from "../src/calls/call-decision";
import { callPolicy } from "../src/calls/call-policy";
import { calledOnLeg, decideReveal, plaintextPhoneAsk } from "../src/calls/plaintext-phone";
import { apply, EMPTY_STATE, type LimiterAsk, type LimiterState, PROBE_LIMIT } from "../src/limits/decide";
import { layerErrors, type PolicyRow, resolvePolicy } from "../src/limits/policy";
import { rateLimitHeaders } from "../src/limits/rate-limit-headers";
import { policyRow } from "./support/policy-rows";

const T0 = Date.UTC(2026, 10, 30, 8, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const LEG = T0 - HOUR;
const employee = (role: string) => ({ kind: "employee" as const, issuer: "https://issuer.test", subject: `${role}-1`, role, depot: "D1" });
const courierPolicy = resolvePolicy([], employee("courier"));

const phoneAsk = (recordId = "rec_a", legOpenedAt: number | null = LEG): LimiterAsk => ({
	recordId,
	class: "in_scope",
	honeytoken: false,
	plaintextPhone: { legOpenedAt },
});
const calledOn = (recordId: string, at: number, legOpenedAt?: number): CallState => ({
	grants: [{ at, recordId, ...(legOpenedAt !== undefined ? { legOpenedAt } : {}) }],
	quotaAlertAt: null,
});

describe("plaintextPhoneAsk: which reveals are the exception", () => {
	it.each([
		["delivery", ["phone"], true],
		["pickup", ["phone"], true],
		["delivery", ["name", "phone"], true],
		["delivery", ["name"], false],
		["pickup", ["address"], false],
		["return", ["phone"], false],
		["customer_service", ["phone"], false],
		["notify", ["phone"], false],
	] as const)("%s %j → %s", (purpose, fields, expected) => {
		expect(plaintextPhoneAsk(purpose, fields, { n: 0, openedAt: LEG }) !== undefined).toBe(expected);
	});

	it("carries the open leg, or null when none is open", () => {
		expect(plaintextPhoneAsk("delivery", ["phone"], { n: 0, openedAt: LEG })).toEqual({ legOpenedAt: LEG });
		// Given the legs of the person's bindings on the record: bound only on this leg (any, without one).
		expect(plaintextPhoneAsk("delivery", ["phone"], { n: 1, openedAt: LEG }, [`1:${LEG}`])).toEqual({ legOpenedAt: LEG, bound: true });
		expect(plaintextPhoneAsk("delivery", ["phone"], { n: 1, openedAt: LEG }, [`0:${LEG - 1}`])).toEqual({ legOpenedAt: LEG, bound: false });
		expect(plaintextPhoneAsk("delivery", ["phone"], null, ["case"])).toEqual({ legOpenedAt: null, bound: true });
		expect(plaintextPhoneAsk("delivery", ["phone"], null, [])).toEqual({ legOpenedAt: null, bound: false });
		expect(plaintextPhoneAsk("delivery", ["phone"], null)).toEqual({ legOpenedAt: null });
	});
});

describe("calledOnLeg", () => {
	it.each([
		["a call on this leg", calledOn("rec_a", T0 - MIN, LEG), LEG, true],
		["a call on an earlier leg of the parcel", calledOn("rec_a", T0 - 2 * MIN, LEG - HOUR), LEG, false],
		["a call on another record", calledOn("rec_b", T0 - MIN, LEG), LEG, false],
		["a call older than a day", calledOn("rec_a", T0 - 25 * HOUR, LEG), LEG, false],
		["a call without its leg, made after the leg opened", calledOn("rec_a", LEG + MIN), LEG, true],
		["a call without its leg, made before the leg opened", calledOn("rec_a", LEG - MIN), LEG, false],
		["any call on the record when no leg is open", calledOn("rec_a", T0 - MIN, LEG - HOUR), null, true],
		["no call", EMPTY_CALLS, LEG, false],
	] as const)("%s → %s", (_name, calls, leg, expected) => {
		expect(calledOnLeg(calls, "rec_a", leg, T0)).toBe(expected);
	});

	it("a call counted by the limiter names its leg, so a reveal on that leg finds it", () => {
		const ask: CallAsk = { recordId: "rec_a", class: "in_scope", honeytoken: false, legRefusal: null, reuse: false, legOpenedAt: LEG };
		const policy = callPolicy(courierPolicy);
		const decision = decideCall(callView(EMPTY_STATE, EMPTY_CALLS), ask, policy, T0);
		const { calls } = applyCall(EMPTY_STATE, EMPTY_CALLS, ask, decision, T0);
		expect(calls.grants).toEqual([{ at: T0, recordId: "rec_a", legOpenedAt: LEG }]);
		expect(calledOnLeg(calls, "rec_a", LEG, T0 + MIN)).toBe(true);
		expect(calledOnLeg(calls, "rec_a", T0 + 30_000, T0 + MIN)).toBe(false);
	});
});

describe("decideReveal", () => {
	it("refuses a phone without a call as call_first: nothing counted, no probe, no suspension", () => {
		let state: LimiterState = EMPTY_STATE;
		for (let i = 0; i < PROBE_LIMIT + 2; i++) {
			const decision = decideReveal(state, EMPTY_CALLS, phoneAsk(), courierPolicy, T0 + i);
			expect(decision).toMatchObject({ granted: false, refusal: "call_first", suspend: null, alerts: [] });
			state = apply(state, phoneAsk(), decision, T0 + i);
		}
		expect(state).toMatchObject({ grants: [], probes: [], suspension: null });
	});

	it("grants it after a call on the leg, marks the grant as a plaintext phone and says the limit in RateLimit", () => {
		const decision = decideReveal(EMPTY_STATE, calledOn("rec_a", T0 - MIN, LEG), phoneAsk(), courierPolicy, T0);
		expect(decision).toMatchObject({ granted: true, refusal: null });
		expect(rateLimitHeaders(decision.usage)["RateLimit-Policy"]).toContain('"plaintext_phone";q=10;w=86400');
		expect(rateLimitHeaders(decision.usage).RateLimit).toMatch(/"plaintext_phone";r=9;t=86400$/);
		expect(apply(EMPTY_STATE, phoneAsk(), decision, T0).grants).toEqual([{ at: T0, recordId: "rec_a", phone: true }]);
	});

	it("refuses the 11th plaintext phone of a courier's day, with Retry-After when the first leaves the window", () => {
		let state: LimiterState = EMPTY_STATE;
		const calls: CallState = { grants: [], quotaAlertAt: null };
		for (let i = 0; i < 11; i++) {
			const recordId = `rec_${i}`;
			calls.grants.push({ at: T0 + i * MIN - 1, recordId, legOpenedAt: LEG });
			const decision = decideReveal(state, calls, phoneAsk(recordId), courierPolicy, T0 + i * MIN);
			if (i < 10) {
				expect(decision.granted, `reveal ${i + 1}`).toBe(true);
				state = apply(state, phoneAsk(recordId), decision, T0 + i * MIN);
				continue;
			}
			expect(decision).toMatchObject({ granted: false, refusal: "plaintext_phone", retryAfterSeconds: 24 * 3600 - 10 * 60 });
			expect(rateLimitHeaders(decision.usage).RateLimit).toMatch(/"plaintext_phone";r=0;t=\d+$/);
		}
		// Names and addresses are not plaintext phones: the reveal limits alone judge them.
		const name: LimiterAsk = { recordId: "rec_x", class: "in_scope", honeytoken: false };
		expect(decideReveal(state, EMPTY_CALLS, name, courierPolicy, T0 + HOUR)).toMatchObject({ granted: true });
	});

	it("a clerk's limit is 0: refused plaintext_phone, call or no call; a supervisor's is 10", () => {
		const clerk = resolvePolicy([], employee("clerk"));
		expect(clerk.plaintextPhone).toMatchObject({ limit: 0, layer: "role", target: "clerk" });
		for (const calls of [EMPTY_CALLS, calledOn("rec_a", T0 - MIN, LEG)]) {
			expect(decideReveal(EMPTY_STATE, calls, phoneAsk(), clerk, T0)).toMatchObject({ granted: false, refusal: "plaintext_phone", retryAfterSeconds: 86_400 });
		}
		expect(resolvePolicy([], employee("supervisor")).plaintextPhone.limit).toBe(10);
		expect(resolvePolicy([], { kind: "service", issuer: "i", subject: "svc" }).plaintextPhone.limit).toBe(0);
	});

	it("leaves honeytokens, suspensions and probing to the reveal rules, before any call is asked for", () => {
		expect(decideReveal(EMPTY_STATE, EMPTY_CALLS, { ...phoneAsk(), honeytoken: true }, courierPolicy, T0)).toMatchObject({
			refusal: "honeytoken",
			suspend: { reason: "honeytoken" },
		});
		expect(decideReveal(EMPTY_STATE, EMPTY_CALLS, { ...phoneAsk(), class: "out_of_scope" }, courierPolicy, T0)).toMatchObject({ refusal: "out_of_scope" });
		const suspended = { ...EMPTY_STATE, suspension: { at: T0 - MIN, reason: "ops" as const, by: "ops" } };
		expect(decideReveal(suspended, calledOn("rec_a", T0 - MIN, LEG), phoneAsk(), courierPolicy, T0)).toMatchObject({ refusal: "suspended" });
	});
});

describe("the plaintext_phone_limit column", () => {
	const row = (layer: PolicyRow["layer"], target: string, limit: number | null, mode: PolicyRow["mode"] = "enforce"): PolicyRow =>
		policyRow(layer, target, { mode, plaintext_phone_limit: limit }, "https://issuer.test");

	it("resolves from the most specific enforcing layer; report-only layers do not set it", () => {
		const courier = employee("courier");
		expect(resolvePolicy([row("role", "courier", 4)], courier).plaintextPhone).toMatchObject({ limit: 4, layer: "role" });
		expect(resolvePolicy([row("role", "courier", 4), row("depot", "D1", 2)], courier).plaintextPhone).toMatchObject({ limit: 2, layer: "depot" });
		expect(resolvePolicy([row("default", "", 3)], courier).plaintextPhone).toMatchObject({ limit: 3, layer: "default" });
		expect(resolvePolicy([row("employee", "courier-1", 20, "report-only")], courier).plaintextPhone).toMatchObject({ limit: 10, layer: "role" });
	});

	it("is refused on a report-only layer by layerErrors", () => {
		expect(layerErrors("role", "courier", { ...row("role", "courier", 5, "report-only") })).toEqual([
			{ pointer: "/plaintext_phone_limit", code: "custom", message: "only enforcing layers take this" },
		]);
		expect(layerErrors("role", "clerk", { ...row("role", "clerk", 0) })).toEqual([]);
	});
});
