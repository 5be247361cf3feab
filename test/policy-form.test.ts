import { beforeAll, describe, expect, it } from "vitest";
import { layerBody } from "../public/ui/console/layer-body.js";
import { PolicyInput } from "../src/limits/schemas";
import { call, json } from "./support/api";
import { token } from "./support/tokens";

/** Every field `PUT /v1/policies/…` takes besides the mode, from its schema. */
const API_FIELDS = Object.keys(PolicyInput.shape).filter((field) => field !== "mode");

/** A depot layer with every field set (a depot layer may set all of them, enforcing). */
const EVERY_FIELD = {
	mode: "enforce",
	burst_limit: 7,
	burst_window_seconds: 120,
	daily_limit: 90,
	distinct_limit: 80,
	ring_threshold: 4,
	depot_daily_budget: 3000,
	lookup_limit: 50,
	lookup_window_seconds: 30,
	lookup_daily_limit: 900,
	miss_limit: 20,
	refusal_limit: 15,
	require_active_leg: 0,
	leg_grace_seconds: 0,
	stale_window_seconds: 3600,
	case_limit: 0,
	plaintext_phone_limit: 3,
	call_burst_limit: 12,
	call_burst_window_seconds: 300,
	call_daily_limit: 120,
	call_distinct_limit: 100,
};

let ops: string;
beforeAll(async () => {
	ops = await token({ sub: "ops-form", scope: "ops" });
});

describe("the console's policy form", () => {
	it("has a control for every field the API takes, with the schema's lowest value as its minimum", async () => {
		expect(Object.keys(EVERY_FIELD).sort()).toEqual(["mode", ...API_FIELDS].sort());
		const page = await (await call("GET", "/ops")).text();
		const controls = [...page.matchAll(/<(input|select)\b[^>]*\bdata-policy-field="([a-z_]+)"[^>]*>/g)];
		expect(controls.map((match) => match[2]).sort()).toEqual([...API_FIELDS].sort());
		for (const [tag, kind, field] of controls) {
			const schema = PolicyInput.shape[field as keyof typeof PolicyInput.shape];
			if (kind === "select") {
				// A yes/no field: inherit (null), 1 or 0, each a value the API takes.
				const options = page.slice(page.indexOf(tag)).split("</select>")[0] ?? "";
				const values = [...options.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]);
				expect(values, field).toEqual(["", "1", "0"]);
				for (const value of values) expect(schema.safeParse(value === "" ? null : Number(value)).success, field).toBe(true);
				continue;
			}
			const min = Number(/\bmin="(\d+)"/.exec(tag)?.[1]);
			expect(schema.safeParse(min).success, `${field} takes ${min}`).toBe(true);
			expect(schema.safeParse(min - 1).success, `${field} refuses ${min - 1}`).toBe(false);
		}
	});

	it("saves the layer as loaded with the edited field over it: every other field, known to the page or not, is kept", async () => {
		expect((await call("PUT", "/v1/policies/depot/FORM-1", { token: ops, body: EVERY_FIELD })).status).toBe(201);
		const stored = (await json<{ policies: Record<string, unknown>[] }>(await call("GET", "/v1/policies", { token: ops }))).policies.find(
			(policy) => policy.layer === "depot" && policy.target === "FORM-1",
		) as Record<string, unknown>;
		// The page knows only some fields (say an older page, before case_limit and the leg columns).
		const body = layerBody(stored, { mode: "enforce", daily_limit: 91, burst_limit: 7, burst_window_seconds: 120 });
		const saved = await call("PUT", "/v1/policies/depot/FORM-1", { token: ops, body, headers: { "If-Match": `"${stored.version}"` } });
		expect(saved.status).toBe(200);
		const after = (await json<{ policies: Record<string, unknown>[] }>(await call("GET", "/v1/policies", { token: ops }))).policies.find(
			(policy) => policy.layer === "depot" && policy.target === "FORM-1",
		) as Record<string, unknown>;
		expect(after).toMatchObject({ ...EVERY_FIELD, daily_limit: 91, version: (stored.version as number) + 1 });
	});

	it("sends a new layer as the form holds it, and never the stored layer's name, version or author", () => {
		expect(layerBody(null, { mode: "enforce", daily_limit: 5 })).toEqual({ mode: "enforce", daily_limit: 5 });
		const stored = { layer: "employee", target: "c-1", target_issuer: "https://i", version: 3, updated_by: "x", updated_at: "2026-01-01T00:00:00Z" };
		expect(layerBody({ ...stored, future_limit: 9, case_limit: 2 }, { mode: "enforce", case_limit: null })).toEqual({
			mode: "enforce",
			future_limit: 9,
			case_limit: null,
		});
	});
});
