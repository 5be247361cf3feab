import { describe, expect, it } from "vitest";
import { wireDetails, wireTime } from "../src/http/wire-time";
import { askReveal, call, createRecords, json, recordBody } from "./support/api";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, token } from "./support/tokens";

/** RFC 3339 in UTC with milliseconds: the one format times take on the wire. */
const WIRE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every member named `at` or `…_at`, at any depth, with its path. */
function timeMembers(value: unknown, path = ""): [string, unknown][] {
	if (Array.isArray(value)) return value.flatMap((item, i) => timeMembers(item, `${path}/${i}`));
	if (value === null || typeof value !== "object") return [];
	return Object.entries(value).flatMap(([key, inner]) => [
		...(key === "at" || key.endsWith("_at") ? ([[`${path}/${key}`, inner]] as [string, unknown][]) : []),
		...timeMembers(inner, `${path}/${key}`),
	]);
}

/** Fails with the path of every time member that is not wire time (null is allowed: "not yet"). */
function expectWireTimes(body: unknown): number {
	const members = timeMembers(body);
	expect(members.filter(([, value]) => value !== null && !(typeof value === "string" && WIRE.test(value)))).toEqual([]);
	return members.filter(([, value]) => value !== null).length;
}

describe("one timestamp format on the wire", () => {
	it("wireTime writes UTC with milliseconds; wireDetails converts only time members, at any depth", () => {
		expect(wireTime(1_795_984_689_000)).toBe("2026-11-29T20:38:09.000Z");
		expect(wireDetails({ at: 0, expires_at: 1000, limit: 1000, before: { updated_at: 5, version: 5 }, ids: [1, 2], jti: "x" })).toEqual({
			at: "1970-01-01T00:00:00.000Z",
			expires_at: "1970-01-01T00:00:01.000Z",
			limit: 1000,
			before: { updated_at: "1970-01-01T00:00:00.005Z", version: 5 },
			ids: [1, 2],
			jti: "x",
		});
	});

	it("policies, employees, alerts, honeytokens, checkpoints, audit details and the document: every time is RFC 3339 UTC", async () => {
		const ops = await token({ sub: "ops-wire", scope: "ops" });
		const service = await serviceToken();
		const started = Date.now();

		// A policy change (updated_at; the entry's before/after carry it too).
		const put = await call("PUT", "/v1/policies/depot/WT-1", { token: ops, body: { mode: "enforce", daily_limit: 50, distinct_limit: 40 } });
		expect(put.status).toBe(201);
		const layer = await json<{ updated_at: string }>(put);
		expect(Date.parse(layer.updated_at)).toBeGreaterThanOrEqual(started);
		expectWireTimes(layer);
		expect(expectWireTimes(await json(await call("GET", "/v1/policies", { token: ops })))).toBeGreaterThan(0);

		// A honeytoken touched: an alert, a suspension, a listed employee.
		const planted = await json<{ record_id: string }>(await call("POST", "/v1/honeytokens", { token: ops, body: { record: recordBody({ depot: "WT-1" }) } }));
		const [mine] = await createRecords(service, 1, { depot: "WT-1", courier: "wt-courier" });
		const clerk = await employeeToken("clerk", "wt-clerk", "WT-1");
		const courier = await employeeToken("courier", "wt-courier", "WT-1");
		expect((await askReveal(courier, mine as string)).status).toBe(201);
		expect((await askReveal(clerk, planted.record_id, "return")).status).toBe(423);
		await settle(clerk, courier);

		const honeytokens = await json<{ honeytokens: { planted_at: string }[] }>(await call("GET", "/v1/honeytokens", { token: ops }));
		expect(expectWireTimes(honeytokens)).toBeGreaterThan(0);
		const alerts = await json<{ alerts: { at: string; kind: string }[] }>(await call("GET", "/v1/alerts", { token: ops }));
		expect(alerts.alerts.map((alert) => alert.kind)).toContain("honeytoken_touched");
		expectWireTimes(alerts);
		const status = await json<{ suspension: { at: string } }>(await call("GET", "/v1/employees/wt-clerk", { token: ops }));
		expect(Date.parse(status.suspension.at)).toBeGreaterThanOrEqual(started);
		expectWireTimes(status);
		const listed = await json<{ principals: { subject: string; last_seen_at: string | null }[] }>(await call("GET", "/v1/employees", { token: ops }));
		expect(listed.principals.find((row) => row.subject === "wt-courier")?.last_seen_at).toMatch(WIRE);
		expectWireTimes(listed);

		// Audit entries: the grant's token expiry inside `details` is a time too; the chain is untouched.
		const audit = await json<{ entries: { kind: string; details: Record<string, unknown> }[] }>(
			await call("GET", "/v1/audit?kind=reveal.granted&actor=wt-courier", { token: ops }),
		);
		expect(audit.entries[0]?.details.expires_at).toMatch(WIRE);
		expectWireTimes(audit);
		expectWireTimes(await json(await call("GET", "/v1/audit?kind=policy.changed", { token: ops })));
		const signed = await json<{ checkpoint: { at: string } | null }>(await call("POST", "/v1/audit/checkpoints", { token: ops }));
		expectWireTimes(signed);
		expect(expectWireTimes(await json(await call("GET", "/v1/audit/checkpoints", { token: ops })))).toBeGreaterThan(0);
		expect(await json<{ ok: boolean }>(await call("GET", "/v1/audit/verify", { token: ops }))).toMatchObject({ ok: true });
	});

	it("the document types every time member as a date-time string, never a number", async () => {
		const document = await json<{ components: { schemas: Record<string, unknown> }; paths: unknown }>(await call("GET", "/openapi.json"));
		const numeric: string[] = [];
		const walk = (node: unknown, path: string) => {
			if (node === null || typeof node !== "object") return;
			const properties = (node as { properties?: Record<string, { type?: unknown; anyOf?: { type?: unknown }[] }> }).properties;
			for (const [name, schema] of Object.entries(properties ?? {})) {
				if (name !== "at" && !name.endsWith("_at")) continue;
				const types = [schema.type, ...(schema.anyOf ?? []).map((option) => option.type)].flat();
				if (types.includes("number") || types.includes("integer")) numeric.push(`${path}/${name}`);
			}
			for (const [key, inner] of Object.entries(node)) walk(inner, `${path}/${key}`);
		};
		walk(document, "");
		expect(numeric).toEqual([]);
	});
});
