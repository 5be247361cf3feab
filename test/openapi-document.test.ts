import { beforeAll, describe, expect, it } from "vitest";
import { call, json } from "./support/api";

type Operation = {
	operationId?: string;
	security?: Record<string, string[]>[];
	parameters?: { in: string; name: string }[];
	responses: Record<string, { headers?: Record<string, unknown> }>;
};
type Document = {
	servers?: unknown[];
	paths: Record<string, Record<string, Operation>>;
	components: { schemas: Record<string, { properties: Record<string, unknown> }> };
};

let document: Document;
let operations: [string, string, Operation][];

beforeAll(async () => {
	document = await json<Document>(await call("GET", "/openapi.json"));
	operations = Object.entries(document.paths).flatMap(([path, methods]) =>
		Object.entries(methods).map(([method, op]) => [path, method, op] as [string, string, Operation]),
	);
});

describe("the OpenAPI document", () => {
	it("names every operation uniquely and says where it is served", () => {
		const ids = operations.map(([, , op]) => op.operationId);
		expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
		expect(new Set(ids).size).toBe(ids.length);
		expect(document.servers).toHaveLength(1);
	});

	it("states the scopes of every /v1 operation, and that the rest are public", () => {
		for (const [path, method, op] of operations) {
			if (path.startsWith("/v1/")) expect(op.security?.[0]?.bearer?.length, `${method} ${path}`).toBeGreaterThan(0);
			else expect(op.security, `${method} ${path}`).toEqual([]);
		}
		expect(document.paths["/v1/records"]?.post?.security).toEqual([{ bearer: ["records:write"] }]);
		expect(document.paths["/v1/policies/{layer}/{target}"]?.put?.security).toEqual([{ bearer: ["ops"] }]);
	});

	it("declares 422 wherever a path or query parameter is validated, and the challenge on every 401 and 403", () => {
		for (const [path, method, op] of operations) {
			if ((op.parameters ?? []).some((p) => p.in === "path" || p.in === "query")) expect(op.responses["422"], `${method} ${path}`).toBeDefined();
			for (const status of ["401", "403"]) if (op.responses[status]) expect(op.responses[status]?.headers?.["WWW-Authenticate"]).toBeDefined();
			if (op.responses["429"]) expect(Object.keys(op.responses["429"]?.headers ?? {})).toEqual(expect.arrayContaining(["Retry-After", "RateLimit"]));
		}
	});

	it("declares the precondition statuses and headers of conditional changes", () => {
		const put = document.paths["/v1/policies/{layer}/{target}"]?.put as Operation;
		expect(Object.keys(put.responses)).toEqual(expect.arrayContaining(["200", "201", "412", "428"]));
		expect(put.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(["if-match", "if-none-match"]));
		expect(put.responses["200"]?.headers?.ETag).toBeDefined();
		expect(document.paths["/v1/records"]?.post?.responses["201"]?.headers?.["Idempotent-Replayed"]).toBeDefined();
	});

	it("has every extension member the vault sends in its Problem schema", () => {
		expect(Object.keys(document.components.schemas.Problem?.properties ?? {})).toEqual(
			expect.arrayContaining([
				"type",
				"title",
				"status",
				"detail",
				"instance",
				"errors",
				"variable",
				"limit",
				"reason",
				"max_bytes",
				"key_id",
				"parameter",
				"provider",
				"provider_code",
			]),
		);
	});

	it("bounds retention_days by the default RETENTION_MAX_DAYS", () => {
		const record = document.components.schemas.RecordInput as unknown as { properties: { retention_days: { maximum: number } } };
		expect(record.properties.retention_days.maximum).toBe(90);
	});
});
