import { beforeAll, describe, expect, it } from "vitest";
import { call, recordBody } from "./support/api";
import { rawDump } from "./support/db";
import { serviceToken } from "./support/tokens";

/**
 * Bad input gets a precise 4xx problem and changes nothing: each case compares a full dump of D1
 * before and after, and checks that the response never echoes what was sent.
 */

let token: string;
let existingId: string;
beforeAll(async () => {
	token = await serviceToken();
	const created = await call("POST", "/v1/records", { token, body: recordBody() });
	existingId = ((await created.json()) as { id: string }).id;
});

const SECRET_PHONE = "13911112222";
const valid = () => recordBody({ contact: { name: "赵六", phone: SECRET_PHONE, address: "湖北省武汉市洪山区光谷大道77号" } });
const withContact = (contact: Record<string, unknown>) => ({ ...valid(), contact: { ...valid().contact, ...contact } });
const withoutField = (field: string) => {
	const body: Record<string, unknown> = valid();
	delete body[field];
	return body;
};

interface Case {
	name: string;
	method?: string;
	path?: string | (() => string);
	body?: unknown;
	rawBody?: string;
	headers?: Record<string, string>;
	status: number;
	type: string;
	pointer?: string;
}

const cases: Case[] = [
	{ name: "malformed JSON", rawBody: '{"shipment_id": "A1",', headers: { "Content-Type": "application/json" }, status: 400, type: "bad-request" },
	{ name: "empty body", rawBody: "", headers: { "Content-Type": "application/json" }, status: 400, type: "bad-request" },
	{ name: "JSON array instead of object", body: [valid()], status: 422, type: "validation-failed" },
	{ name: "JSON string instead of object", rawBody: '"hello"', headers: { "Content-Type": "application/json" }, status: 422, type: "validation-failed" },
	{
		name: "wrong content type (text/plain)",
		rawBody: JSON.stringify(valid()),
		headers: { "Content-Type": "text/plain" },
		status: 415,
		type: "unsupported-media-type",
	},
	{ name: "no content type", rawBody: JSON.stringify(valid()), status: 415, type: "unsupported-media-type" },
	{
		name: "form-encoded body",
		rawBody: "shipment_id=A1",
		headers: { "Content-Type": "application/x-www-form-urlencoded" },
		status: 415,
		type: "unsupported-media-type",
	},
	{ name: "missing shipment_id", body: withoutField("shipment_id"), status: 422, type: "validation-failed", pointer: "/shipment_id" },
	{ name: "missing contact", body: withoutField("contact"), status: 422, type: "validation-failed", pointer: "/contact" },
	{ name: "missing depot", body: withoutField("depot"), status: 422, type: "validation-failed", pointer: "/depot" },
	{
		name: "missing contact.phone",
		body: { ...valid(), contact: { name: "赵六", address: "湖北省武汉市洪山区" } },
		status: 422,
		type: "validation-failed",
		pointer: "/contact/phone",
	},
	{ name: "unknown top-level field", body: { ...valid(), vip: true }, status: 422, type: "validation-failed", pointer: "/vip" },
	{ name: "unknown contact field", body: withContact({ email: "a@b.c" }), status: 422, type: "validation-failed", pointer: "/contact/email" },
	{ name: "party outside the enum", body: { ...valid(), party: "courier" }, status: 422, type: "validation-failed", pointer: "/party" },
	{ name: "shipment_id of the wrong type", body: { ...valid(), shipment_id: 12345 }, status: 422, type: "validation-failed", pointer: "/shipment_id" },
	{ name: "phone as a number", body: withContact({ phone: 13911112222 }), status: 422, type: "validation-failed", pointer: "/contact/phone" },
	{ name: "invalid phone (too short)", body: withContact({ phone: "12345" }), status: 422, type: "validation-failed", pointer: "/contact/phone" },
	{ name: "invalid phone (letters)", body: withContact({ phone: "1391111abcd" }), status: 422, type: "validation-failed", pointer: "/contact/phone" },
	{ name: "invalid phone (bad mobile prefix)", body: withContact({ phone: "12911112222" }), status: 422, type: "validation-failed", pointer: "/contact/phone" },
	{ name: "blank name", body: withContact({ name: "   " }), status: 422, type: "validation-failed", pointer: "/contact/name" },
	{ name: "huge name", body: withContact({ name: "张".repeat(5000) }), status: 422, type: "validation-failed", pointer: "/contact/name" },
	{ name: "huge address", body: withContact({ address: "路".repeat(100_000) }), status: 422, type: "validation-failed", pointer: "/contact/address" },
	{ name: "control characters in name", body: withContact({ name: "张三\u0000\u001b[31m" }), status: 422, type: "validation-failed", pointer: "/contact/name" },
	{
		name: "shipment_id with spaces and quotes",
		body: { ...valid(), shipment_id: "SF1' OR '1'='1" },
		status: 422,
		type: "validation-failed",
		pointer: "/shipment_id",
	},
	{ name: "courier of the wrong type", body: { ...valid(), courier: ["a"] }, status: 422, type: "validation-failed", pointer: "/courier" },
	{
		name: "oversized body",
		rawBody: JSON.stringify({ ...valid(), pad: "x".repeat(1024 * 1024 + 1) }),
		headers: { "Content-Type": "application/json" },
		status: 413,
		type: "payload-too-large",
	},
	{
		name: "batch of 1001 records",
		path: "/v1/records/batch",
		body: { records: Array.from({ length: 1001 }, () => valid()) },
		status: 422,
		type: "validation-failed",
		pointer: "/records",
	},
	{ name: "empty batch", path: "/v1/records/batch", body: { records: [] }, status: 422, type: "validation-failed", pointer: "/records" },
	{
		name: "batch with one bad record among good ones",
		path: "/v1/records/batch",
		body: { records: [valid(), withContact({ phone: "0" }), valid()] },
		status: 422,
		type: "validation-failed",
		pointer: "/records/1/contact/phone",
	},
	{
		name: "batch repeating a shipment and party",
		path: "/v1/records/batch",
		body: {
			records: [
				{ ...valid(), shipment_id: "DUP1" },
				{ ...valid(), shipment_id: "DUP1" },
			],
		},
		status: 422,
		type: "validation-failed",
		pointer: "/records/1/shipment_id",
	},
	{
		name: "batch with unknown field",
		path: "/v1/records/batch",
		body: { records: [valid()], dry_run: true },
		status: 422,
		type: "validation-failed",
		pointer: "/dry_run",
	},
	{ name: "reassignment with nothing to change", method: "PATCH", path: () => `/v1/records/${existingId}`, body: {}, status: 422, type: "validation-failed" },
	{
		name: "reassignment with unknown field",
		method: "PATCH",
		path: () => `/v1/records/${existingId}`,
		body: { depot: "SZ-FT-02", contact: {} },
		status: 422,
		type: "validation-failed",
		pointer: "/contact",
	},
	{
		name: "reassignment with a bad depot",
		method: "PATCH",
		path: () => `/v1/records/${existingId}`,
		body: { depot: "../../etc" },
		status: 422,
		type: "validation-failed",
		pointer: "/depot",
	},
	{ name: "malformed record id", method: "GET", path: "/v1/records/not-a-record", status: 422, type: "validation-failed", pointer: "/id" },
	{
		name: "a phone in the URL, even beside a shipment_id",
		method: "GET",
		path: "/v1/records?phone=13911112222&shipment_id=A1",
		status: 400,
		type: "bad-request",
	},
	{ name: "lookup with neither", method: "GET", path: "/v1/records", status: 422, type: "validation-failed", pointer: "/shipment_id" },
	{ name: "a phone in the URL that is not even a phone", method: "GET", path: "/v1/records?phone=abc", status: 400, type: "bad-request" },
	{ name: "a name in the URL", method: "GET", path: "/v1/records?name=%E5%BC%A0%E4%B8%89", status: 400, type: "bad-request" },
	{
		name: "lookup with an unknown parameter",
		method: "GET",
		path: "/v1/records?shipment_id=A1&depot=X",
		status: 422,
		type: "validation-failed",
		pointer: "/depot",
	},
	{ name: "idempotency key with spaces", headers: { "Idempotency-Key": "two words" }, body: valid(), status: 400, type: "bad-request" },
];

describe("bad input", () => {
	it("has at least 25 cases", () => {
		expect(cases.length).toBeGreaterThanOrEqual(25);
	});

	for (const testCase of cases) {
		it(`${testCase.name} → ${testCase.status} ${testCase.type}, D1 unchanged`, async () => {
			const before = await rawDump();
			const path = typeof testCase.path === "function" ? testCase.path() : (testCase.path ?? "/v1/records");
			const response = await call(testCase.method ?? "POST", path, { token, body: testCase.body, rawBody: testCase.rawBody, headers: testCase.headers });
			expect(response.status).toBe(testCase.status);
			expect(response.headers.get("Content-Type")).toBe("application/problem+json");
			const text = await response.text();
			const problem = JSON.parse(text) as { type: string; status: number; title: string; errors?: { pointer: string }[] };
			expect(problem).toMatchObject({ type: `/problems/${testCase.type}`, status: testCase.status });
			expect(problem.title).toBeTruthy();
			if (testCase.pointer) expect(problem.errors?.map((e) => e.pointer)).toContain(testCase.pointer);
			// Never echo submitted values (the secret phone, names, injected strings).
			for (const echoed of [SECRET_PHONE, "赵六", "光谷大道", "OR '1'='1", "etc", "张张张"]) expect(text).not.toContain(echoed);
			expect(await rawDump()).toBe(before);
		});
	}
});
