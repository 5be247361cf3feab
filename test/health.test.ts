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
	});
});
