import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../src/limits/policy";
import { REMEMBERED_PRINCIPALS, resolvedPolicy } from "../src/limits/resolved-policies";
import { policyRow } from "./support/policy-rows";

const ISSUER = "https://issuer.test";
const courier = (subject: string, issuer = ISSUER, depot = "D1") => ({ kind: "employee" as const, issuer, subject, role: "courier", depot });

describe("policies resolved once per set of layers", () => {
	it("answers what resolvePolicy answers, for each principal apart, and again after the layers are read anew", () => {
		const rows = [
			policyRow("employee", "c-1", { daily_limit: 7 }, ISSUER),
			policyRow("depot", "D2", { daily_limit: 40 }, ISSUER),
			policyRow("role", "courier", { daily_limit: 90 }, ISSUER),
		];
		for (const who of [courier("c-1"), courier("c-1", "https://partner.test"), courier("c-2"), courier("c-2", "https://issuer.test", "D2")]) {
			expect(resolvedPolicy(rows, who)).toEqual(resolvePolicy(rows, who));
			expect(resolvedPolicy(rows, who)).toBe(resolvedPolicy(rows, who));
		}
		// The same sub under another issuer is another person, with another policy (the employee layer names the first).
		expect(resolvedPolicy(rows, courier("c-1")).enforced).not.toEqual(resolvedPolicy(rows, courier("c-1", "https://partner.test")).enforced);
		// A new read of the layers (a new array) is resolved afresh: an ops change is not hidden by the memo.
		const changed = [policyRow("employee", "c-1", { daily_limit: 3 }, ISSUER), ...rows.slice(1)];
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
		const rows = [policyRow("role", "courier", { daily_limit: 90 }, ISSUER)];
		for (let i = 0; i <= REMEMBERED_PRINCIPALS + 10; i++) resolvedPolicy(rows, courier(`c-${i}`));
		expect(resolvedPolicy(rows, courier("c-0"))).toEqual(resolvePolicy(rows, courier("c-0")));
	});
});
