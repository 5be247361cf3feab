import { describe, expect, it } from "vitest";
import { call, json } from "./support/api";

describe("public endpoints", () => {
	it("/healthz answers ok when configuration parses and D1 answers", async () => {
		const response = await call("GET", "/healthz");
		expect(response.status).toBe(200);
		expect(await json(response)).toEqual({ status: "ok" });
	});

	it("/openapi.json is an OpenAPI 3.1 document with every records route", async () => {
		const doc = await json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(await call("GET", "/openapi.json"));
		expect(doc.openapi).toBe("3.1.0");
		expect(Object.keys(doc.paths["/v1/records"] ?? {}).sort()).toEqual(["get", "post"]);
		expect(Object.keys(doc.paths["/v1/records/batch"] ?? {})).toEqual(["post"]);
		expect(Object.keys(doc.paths["/v1/records/{id}"] ?? {}).sort()).toEqual(["delete", "get", "patch"]);
		for (const path of [
			"/v1/reveals",
			"/v1/reveals/redeem",
			"/v1/audit",
			"/v1/audit/verify",
			"/v1/audit/export",
			"/v1/audit/checkpoints",
			"/.well-known/jwks.json",
			"/healthz",
		]) {
			expect(doc.paths[path], path).toBeDefined();
		}
	});
});

describe("docs and problem types", () => {
	it("/docs renders every operation without scripts", async () => {
		const response = await call("GET", "/docs");
		expect(response.status).toBe(200);
		expect(response.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
		const html = await response.text();
		expect(html).not.toContain("<script");
		for (const operation of ["POST /v1/records", "POST /v1/reveals/redeem", "GET /v1/audit/verify"]) expect(html).toContain(operation);
	});

	it("every problem type URI dereferences to its description", async () => {
		const response = await call("GET", "/problems/out-of-scope");
		expect(await json(response)).toMatchObject({ type: "/problems/out-of-scope", status: 403 });
		expect((await call("GET", "/problems/no-such-thing")).status).toBe(404);
	});
});
