import { env, exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createVaultClient, type RecordInput, rateLimitsOf, retryAfterSeconds, tightestLimit, VaultProblem } from "../client/index.ts";
import { call, recordBody } from "./support/api";
import { serviceToken, token } from "./support/tokens";

/** The typed client talking to the vault's own fetch handler in workerd, as it talks to it over HTTP. */
function clientFor(
	bearer: string,
	retry: { attempts?: number; maxWaitSeconds?: number; waits?: number[]; onWait?: () => Promise<void>; keysSent?: (string | null)[] } = {},
) {
	return createVaultClient({
		baseUrl: "https://vault.test",
		token: bearer,
		fetch: (request) => {
			retry.keysSent?.push(request.headers.get("Idempotency-Key"));
			return exports.default.fetch(request);
		},
		retry: {
			attempts: retry.attempts ?? 3,
			maxWaitSeconds: retry.maxWaitSeconds ?? 30,
			// The wait is recorded, not slept: what matters is how long the client would wait and what it does next.
			sleep: async (ms) => {
				retry.waits?.push(ms);
				await retry.onWait?.();
			},
		},
	});
}

const input = (overrides: Record<string, unknown> = {}) => recordBody(overrides) as RecordInput;
const recordsOfShipment = async (shipmentId: string) =>
	(await env.DB.prepare("SELECT count(*) AS n FROM records WHERE shipment_id = ?").bind(shipmentId).first<{ n: number }>())?.n ?? 0;

let writer: string;
let ops: string;

beforeAll(async () => {
	writer = await serviceToken("records:write records:read", "client-svc");
	ops = await token({ sub: "ops-client", scope: "ops" });
});

afterEach(async () => {
	await env.DB.exec("DROP TRIGGER IF EXISTS client_test_storage_down");
});

describe("the typed client against the vault", () => {
	it("creates once per idempotency key, reads masked, and throws problems with their type, detail and extensions", async () => {
		const vault = clientFor(writer);
		const body = input();
		const first = await vault.createRecord(body, { idempotencyKey: `client-${body.shipment_id}` });
		const retry = await vault.createRecord(body, { idempotencyKey: `client-${body.shipment_id}` });
		expect(first.replayed).toBe(false);
		expect(retry).toEqual({ record: first.record, replayed: true });
		expect(await vault.getRecord(first.record.id)).toMatchObject({ id: first.record.id, masked: { phone: "1******5678" } });

		const missing = await vault.getRecord("rec_01jdq3v9x2m4n5p6q7r8s9t0vw").catch((error: unknown) => error);
		expect(missing).toBeInstanceOf(VaultProblem);
		expect(missing).toMatchObject({ type: "/problems/not-found", status: 404, title: "Not found" });
		expect((missing as VaultProblem).detail).toContain("GET /v1/records?shipment_id=");

		const invalid = (await vault.createRecord({ ...input(), depot: "no spaces allowed" }).catch((error: unknown) => error)) as VaultProblem;
		expect(invalid.is("validation-failed")).toBe(true);
		expect(invalid.extensions.errors).toEqual([expect.objectContaining({ pointer: "/depot" })]);

		const reused = (await vault
			.createRecord({ ...body, depot: "SZ-FT-02" }, { idempotencyKey: `client-${body.shipment_id}` })
			.catch((e: unknown) => e)) as VaultProblem;
		expect(reused).toMatchObject({ type: "/problems/idempotency-key-reused", status: 422 });
		expect(await recordsOfShipment(body.shipment_id)).toBe(1);
	});

	it("retries a create the vault answered 503 with the same Idempotency-Key, after a wait, and writes one record", async () => {
		// Storage refuses record inserts until the client waits; the wait is when it comes back.
		await env.DB.exec("CREATE TRIGGER client_test_storage_down BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'storage down'); END");
		const waits: number[] = [];
		const keysSent: (string | null)[] = [];
		const vault = clientFor(writer, { waits, keysSent, onWait: async () => void (await env.DB.exec("DROP TRIGGER client_test_storage_down")) });
		const body = input();
		const created = await vault.createRecord(body);
		expect(waits).toEqual([1000]);
		expect(keysSent).toHaveLength(2);
		expect(keysSent[0]).toMatch(/^[0-9a-f-]{36}$/);
		expect(keysSent[1]).toBe(keysSent[0]);
		expect(created.replayed).toBe(false);
		expect(await recordsOfShipment(body.shipment_id)).toBe(1);
	});

	it("gives up after its attempts, and the caller gets the 503 as a problem", async () => {
		await env.DB.exec("CREATE TRIGGER client_test_storage_down BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'storage down'); END");
		const waits: number[] = [];
		const body = input();
		const failure = await clientFor(writer, { waits, attempts: 3 })
			.createRecord(body)
			.catch((error: unknown) => error);
		expect(failure).toMatchObject({ type: "/problems/dependency-unavailable", status: 503 });
		expect(waits).toEqual([1000, 2000]);
		expect(await recordsOfShipment(body.shipment_id)).toBe(0);
	});

	it("reads the RateLimit fields of lookups, and on 429 waits the Retry-After it names only when within its bound", async () => {
		const subject = "client-limited";
		expect(
			(await call("PUT", `/v1/policies/employee/${subject}`, { token: ops, body: { mode: "enforce", lookup_limit: 2, lookup_window_seconds: 600 } })).status,
		).toBe(201);
		const reader = await serviceToken("records:read", subject);
		const body = input();
		await clientFor(writer).createRecord(body);

		const first = await clientFor(reader).recordsOfShipment(body.shipment_id);
		expect(first.records).toHaveLength(1);
		expect(first.rateLimits).toContainEqual({ name: "lookup_burst", remaining: 1, resetSeconds: expect.any(Number), quota: 2, windowSeconds: 600 });
		expect(tightestLimit(first.rateLimits)?.name).toBe("lookup_burst");
		await clientFor(reader).lookupByPhone("13812345678");

		// Retry-After is about ten minutes: beyond the default bound, so the 429 comes straight back.
		const waits: number[] = [];
		const refused = (await clientFor(reader, { waits })
			.recordsOfShipment(body.shipment_id)
			.catch((error: unknown) => error)) as VaultProblem;
		expect(refused).toMatchObject({ type: "/problems/quota-exceeded", status: 429, extensions: { limit: "lookup_burst" } });
		expect(refused.retryAfterSeconds).toBeGreaterThan(30);
		expect(refused.rateLimits).toContainEqual(expect.objectContaining({ name: "lookup_burst", remaining: 0 }));
		expect(waits).toEqual([]);

		// Within a wider bound, a GET is tried again after exactly the Retry-After the vault named.
		const patient = (await clientFor(reader, { waits, attempts: 2, maxWaitSeconds: 3600 })
			.recordsOfShipment(body.shipment_id)
			.catch((error: unknown) => error)) as VaultProblem;
		expect(patient.status).toBe(429);
		expect(waits).toHaveLength(1);
		expect(waits[0]).toBeGreaterThan(30_000);
		expect(waits[0]).toBeLessThanOrEqual(600_000);

		// A phone lookup (a POST without a key) is never repeated by the client.
		waits.length = 0;
		await clientFor(reader, { waits, maxWaitSeconds: 3600 })
			.lookupByPhone("13812345678")
			.catch(() => undefined);
		expect(waits).toEqual([]);
	});
});

describe("the client's header helpers", () => {
	it("parse the draft's fields as the vault writes them, quoted names and all, and Retry-After in both forms", () => {
		const headers = new Headers({
			"RateLimit-Policy": '"burst";q=30;w=600, "daily";q=400;w=86400',
			RateLimit: '"burst";r=12;t=240, "daily";r=399;t=80000, "broken";r=x',
			"Retry-After": "17",
		});
		expect(rateLimitsOf(headers)).toEqual([
			{ name: "burst", remaining: 12, resetSeconds: 240, quota: 30, windowSeconds: 600 },
			{ name: "daily", remaining: 399, resetSeconds: 80000, quota: 400, windowSeconds: 86400 },
		]);
		expect(tightestLimit(rateLimitsOf(headers))?.name).toBe("burst");
		expect(retryAfterSeconds(headers)).toBe(17);
		const now = Date.parse("2026-11-30T00:00:00Z");
		expect(retryAfterSeconds(new Headers({ "Retry-After": "Mon, 30 Nov 2026 00:01:00 GMT" }), now)).toBe(60);
		expect(retryAfterSeconds(new Headers())).toBeUndefined();
		expect(rateLimitsOf(new Headers())).toEqual([]);
	});
});
