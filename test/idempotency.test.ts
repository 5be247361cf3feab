import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, json, recordBody } from "./support/api";
import { countRecords } from "./support/db";
import { serviceToken, token } from "./support/tokens";

let service: string;
beforeAll(async () => {
	service = await serviceToken();
});

const post = (path: string, body: unknown, key: string, bearer = service) => call("POST", path, { token: bearer, body, headers: { "Idempotency-Key": key } });

describe("Idempotency-Key", () => {
	it("the same create sent twice concurrently makes one record, and both answers are the same", async () => {
		const body = recordBody();
		const before = await countRecords();
		const responses = await Promise.all(Array.from({ length: 16 }, () => post("/v1/records", body, "create-concurrent-1")));
		expect(responses.map((r) => r.status)).toEqual(Array(16).fill(201));
		const bodies = await Promise.all(responses.map((r) => r.text()));
		expect(new Set(bodies).size).toBe(1);
		expect(await countRecords()).toBe(before + 1);
		expect(responses.filter((r) => r.headers.get("Idempotent-Replayed") === "true")).toHaveLength(15);
	});

	it("a sequential retry returns the first response, marked as replayed", async () => {
		const body = recordBody();
		const first = await post("/v1/records", body, "create-retry-1");
		const retry = await post("/v1/records", body, "create-retry-1");
		expect(first.status).toBe(201);
		expect(retry.status).toBe(201);
		expect(first.headers.get("Idempotent-Replayed")).toBeNull();
		expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
		expect(await retry.json()).toEqual(await first.json());
	});

	it("the same key with a different body is 422 and writes nothing", async () => {
		await post("/v1/records", recordBody(), "create-reuse-1");
		const before = await countRecords();
		const reused = await post("/v1/records", recordBody(), "create-reuse-1");
		expect(reused.status).toBe(422);
		expect((await json(reused)).type).toBe("/problems/idempotency-key-reused");
		expect(await countRecords()).toBe(before);
	});

	it("keys belong to the caller: another service may use the same key for its own request", async () => {
		const other = await token({ sub: "billing-svc", scope: "records:write" });
		const a = await post("/v1/records", recordBody(), "shared-key", service);
		const b = await post("/v1/records", recordBody(), "shared-key", other);
		expect([a.status, b.status]).toEqual([201, 201]);
		expect((await json(a)).id).not.toBe((await json(b)).id);
	});

	it("a batch retried concurrently is written once", async () => {
		const body = { records: Array.from({ length: 50 }, () => recordBody()) };
		const before = await countRecords();
		const responses = await Promise.all(Array.from({ length: 4 }, () => post("/v1/records/batch", body, "batch-concurrent-1")));
		expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201]);
		const ids = await Promise.all(responses.map(async (r) => (await json<{ ids: string[] }>(r)).ids.join()));
		expect(new Set(ids).size).toBe(1);
		expect(await countRecords()).toBe(before + 50);
	});

	it("a failed request does not claim its key: fixing the body and retrying works", async () => {
		const existing = recordBody();
		await call("POST", "/v1/records", { token: service, body: existing });
		const clash = await post("/v1/records", existing, "after-conflict-1");
		expect(clash.status).toBe(409);
		const stored = await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys WHERE key = 'after-conflict-1'").first<{ n: number }>();
		expect(stored?.n).toBe(0);
	});

	it("remembers ids only, under a keyed fingerprint of the body", async () => {
		const body = recordBody({ contact: { name: "孙悟空", phone: "13544445555", address: "江苏省苏州市昆山市长江路8号" } });
		const created = await json(await post("/v1/records", body, "ids-only-1"));
		const row = await env.DB.prepare("SELECT body, request_hash FROM idempotency_keys WHERE key = 'ids-only-1'").first<{
			body: string;
			request_hash: string;
		}>();
		expect(JSON.parse(row?.body as string)).toEqual({ ids: [created.id] });
		const unkeyed = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(body))))))
			.replace(/\+/g, "-")
			.replace(/\//g, "_")
			.replace(/=+$/, "");
		expect(row?.request_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(row?.request_hash).not.toBe(unkeyed);
	});

	it("a retry after the record was erased says so instead of replaying its masked view", async () => {
		const body = recordBody();
		const created = await json(await post("/v1/records", body, "erased-later-1"));
		expect((await call("DELETE", `/v1/records/${created.id}`, { token: service })).status).toBe(204);
		const retry = await post("/v1/records", body, "erased-later-1");
		expect(retry.status).toBe(410);
		expect(await retry.text()).not.toContain("****");
	});
});
