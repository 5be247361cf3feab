import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { demoLegEvents, demoRecords } from "../scripts/lib/demo-data.ts";
import { entryMacsFor } from "../src/audit/audit-log-for";
import { AuditLog } from "../src/audit/log";
import { D1RecordStore } from "../src/records/store";
import { askReveal, call, json, recordBody } from "./support/api";
import { countingDb } from "./support/counting-db";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, TEST_ISSUER, token } from "./support/tokens";

interface LegView {
	kind: string;
	parties: string;
	courier: string | null;
	courier_issuer: string | null;
	depot: string | null;
	opened_at: string;
	closed_at: string | null;
	close_after: string | null;
	open: boolean;
	at: string;
}

let service: string;
let ops: string;
beforeAll(async () => {
	service = await serviceToken();
	ops = await token({ sub: "ops-legs", scope: "ops" });
});

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A shipment with a recipient and a sender record, in depot D-LEGS; their ids. */
async function shipment(): Promise<{ shipmentId: string; recipient: string; sender: string }> {
	const recipient = recordBody({ depot: "D-LEGS", courier: undefined });
	const sender = { ...recordBody({ depot: "D-LEGS", courier: undefined, party: "sender" }), shipment_id: recipient.shipment_id };
	const response = await call("POST", "/v1/records/batch", { token: service, body: { records: [recipient, sender] } });
	expect(response.status).toBe(201);
	const [r, s] = (await json<{ ids: string[] }>(response)).ids as [string, string];
	return { shipmentId: recipient.shipment_id, recipient: r, sender: s };
}

const report = (events: Record<string, unknown>[], headers: Record<string, string> = {}) =>
	call("POST", "/v1/shipment-events", { token: service, body: { events }, headers });

async function legs(shipmentId: string): Promise<LegView[]> {
	const response = await call("GET", `/v1/shipments/${shipmentId}/legs`, { token: ops });
	expect(response.status).toBe(200);
	return (await json<{ legs: LegView[] }>(response)).legs;
}

const eventCount = async (shipmentId: string) =>
	(await env.DB.prepare("SELECT count(*) AS n FROM shipment_events WHERE shipment_id = ?1").bind(shipmentId).first<{ n: number }>())?.n ?? 0;

const auditEntries = async (shipmentId: string) =>
	(
		await env.DB.prepare("SELECT details, actor FROM audit_log WHERE kind = 'shipment.events' AND details LIKE ?1")
			.bind(`%${shipmentId}%`)
			.all<{ details: string; actor: string }>()
	).results;

describe("POST /v1/shipment-events: DESIGN's event table over HTTP", () => {
	it("out_for_delivery opens the recipient's delivery leg and assigns the record to the courier and depot", async () => {
		const { shipmentId, recipient, sender } = await shipment();
		const response = await report([{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-legs-1", depot: "D-LEGS-2" }]);
		expect(response.status).toBe(200);
		expect(await json(response)).toEqual({ accepted: 1, shipments: [shipmentId] });
		expect(await legs(shipmentId)).toEqual([
			expect.objectContaining({
				kind: "delivery",
				parties: "recipient",
				courier: "courier-legs-1",
				courier_issuer: TEST_ISSUER,
				depot: "D-LEGS-2",
				open: true,
				closed_at: null,
			}),
		]);
		const assigned = await json(await call("GET", `/v1/records/${recipient}`, { token: service }));
		expect(assigned).toMatchObject({ courier: "courier-legs-1", courier_issuer: TEST_ISSUER, depot: "D-LEGS-2" });
		// As stored, not only as read: the redeem's single-use mark compares the stored pair.
		const stored = await env.DB.prepare("SELECT courier, courier_issuer, depot FROM records WHERE id = ?1").bind(recipient).first();
		expect(stored).toEqual({ courier: "courier-legs-1", courier_issuer: TEST_ISSUER, depot: "D-LEGS-2" });
		// The sender's record is not the courier's delivery work.
		expect(await json(await call("GET", `/v1/records/${sender}`, { token: service }))).toMatchObject({ courier: null, depot: "D-LEGS" });
	});

	it("a second out_for_delivery for another courier moves the leg and the assignment", async () => {
		const { shipmentId, recipient } = await shipment();
		const t = Date.now() - 60 * MIN;
		await report([{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-a", at: iso(t) }]);
		await report([{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-b", at: iso(t + 10 * MIN) }]);
		const list = await legs(shipmentId);
		expect(list.map((leg) => [leg.courier, leg.open, leg.closed_at, leg.close_after])).toEqual([
			["courier-a", false, iso(t + 10 * MIN), iso(t + 10 * MIN)],
			["courier-b", true, null, null],
		]);
		expect(await json(await call("GET", `/v1/records/${recipient}`, { token: service }))).toMatchObject({ courier: "courier-b" });
	});

	it("delivery_attempted keeps the leg open; delivered closes it after 30 minutes' grace", async () => {
		const { shipmentId } = await shipment();
		const t = Date.now() - 20 * MIN;
		await report([
			{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-a", at: iso(t) },
			{ shipment_id: shipmentId, type: "delivery_attempted", at: iso(t + 5 * MIN) },
		]);
		expect((await legs(shipmentId))[0]).toMatchObject({ open: true, at: iso(t + 5 * MIN) });
		await report([{ shipment_id: shipmentId, type: "delivered", at: iso(t + 10 * MIN) }]);
		expect((await legs(shipmentId))[0]).toMatchObject({ open: true, closed_at: iso(t + 10 * MIN), close_after: iso(t + 40 * MIN) });
	});

	it("delivered long ago: the leg is closed now", async () => {
		const { shipmentId } = await shipment();
		const t = Date.now() - 120 * MIN;
		await report([
			{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-a", at: iso(t) },
			{ shipment_id: shipmentId, type: "delivered", at: iso(t + 10 * MIN) },
		]);
		expect((await legs(shipmentId))[0]).toMatchObject({ open: false, close_after: iso(t + 40 * MIN) });
	});

	it("pickup_scheduled / picked_up: the sender's pickup leg; return_started / returned: a return leg over both; cancelled closes all, no grace", async () => {
		const { shipmentId } = await shipment();
		const t = Date.now() - 30 * MIN;
		await report([
			{ shipment_id: shipmentId, type: "pickup_scheduled", courier: "courier-p", at: iso(t) },
			{ shipment_id: shipmentId, type: "picked_up", at: iso(t + MIN) },
			{ shipment_id: shipmentId, type: "return_started", depot: "D-LEGS", at: iso(t + 2 * MIN) },
			{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-a", at: iso(t + 3 * MIN) },
		]);
		expect((await legs(shipmentId)).map((leg) => [leg.kind, leg.parties, leg.courier, leg.open])).toEqual([
			["pickup", "sender", "courier-p", true],
			["return", "both", null, true],
			["delivery", "recipient", "courier-a", true],
		]);
		await report([{ shipment_id: shipmentId, type: "cancelled", at: iso(t + 4 * MIN) }]);
		const closed = await legs(shipmentId);
		expect(closed.map((leg) => [leg.kind, leg.open, leg.close_after])).toEqual([
			["pickup", false, iso(t + 4 * MIN)],
			["return", false, iso(t + 4 * MIN)],
			["delivery", false, iso(t + 4 * MIN)],
		]);
	});

	it("returned closes the return leg after grace", async () => {
		const { shipmentId } = await shipment();
		const t = Date.now() - 5 * MIN;
		await report([
			{ shipment_id: shipmentId, type: "return_started", courier: "courier-r", at: iso(t) },
			{ shipment_id: shipmentId, type: "returned", at: iso(t + MIN) },
		]);
		expect((await legs(shipmentId))[0]).toMatchObject({ kind: "return", courier: "courier-r", open: true, close_after: iso(t + 31 * MIN) });
	});
});

describe("late and out-of-order events", () => {
	it("delivered reported before its out_for_delivery: the leg ends closed", async () => {
		const { shipmentId } = await shipment();
		const t = Date.now() - 180 * MIN;
		await report([{ shipment_id: shipmentId, type: "delivered", at: iso(t + 60 * MIN) }]);
		expect(await legs(shipmentId)).toEqual([]);
		await report([{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-a", at: iso(t) }]);
		expect(await legs(shipmentId)).toEqual([expect.objectContaining({ courier: "courier-a", open: false, closed_at: iso(t + 60 * MIN) })]);
	});

	it("an old out_for_delivery arriving after the re-route moves neither the leg nor the record back", async () => {
		const { shipmentId, recipient } = await shipment();
		const t = Date.now() - 60 * MIN;
		await report([{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-b", at: iso(t + 10 * MIN) }]);
		await report([{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-a", at: iso(t) }]);
		expect((await legs(shipmentId)).map((leg) => [leg.courier, leg.open])).toEqual([
			["courier-a", false],
			["courier-b", true],
		]);
		expect(await json(await call("GET", `/v1/records/${recipient}`, { token: service }))).toMatchObject({ courier: "courier-b" });
	});

	it("concurrent reports for one shipment both land", async () => {
		const { shipmentId } = await shipment();
		const t = Date.now() - 60 * MIN;
		const responses = await Promise.all([
			report([{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-a", at: iso(t) }]),
			report([{ shipment_id: shipmentId, type: "delivered", at: iso(t + 50 * MIN) }]),
			report([{ shipment_id: shipmentId, type: "pickup_scheduled", courier: "courier-p", at: iso(t + MIN) }]),
		]);
		expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
		expect(await eventCount(shipmentId)).toBe(3);
		expect((await legs(shipmentId)).map((leg) => [leg.kind, leg.closed_at])).toEqual([
			["delivery", iso(t + 50 * MIN)],
			["pickup", null],
		]);
	});
});

describe("all or nothing, idempotency, audit", () => {
	it("an unknown shipment is a 422 naming the item, and nothing of the request is written", async () => {
		const { shipmentId } = await shipment();
		// Counted: entries decided from now on. Limiters may flush what they decided earlier meanwhile;
		// the caller's own has nothing left to flush.
		await settle(service);
		const started = Date.now();
		const writtenSince = async () => (await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE at >= ?1").bind(started).first<{ n: number }>())?.n;
		const response = await report([
			{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-a" },
			{ shipment_id: "NO-SUCH-SHIPMENT-1", type: "delivered" },
		]);
		expect(response.status).toBe(422);
		const problem = await json<{ type: string; errors: { pointer: string; code: string }[] }>(response);
		expect(problem.type).toBe("/problems/validation-failed");
		expect(problem.errors).toEqual([expect.objectContaining({ pointer: "/events/1/shipment_id", code: "unknown_shipment" })]);
		expect(await eventCount(shipmentId)).toBe(0);
		expect(await legs(shipmentId)).toEqual([]);
		await settle(service);
		expect(await writtenSince()).toBe(0);
	});

	it("a write that fails in the database writes nothing: events, legs, assignment and audit go together", async () => {
		const { shipmentId, recipient } = await shipment();
		// A trigger refusing this shipment's legs fails the batch after its events were inserted and its legs deleted.
		const store = new D1RecordStore(env.DB, new AuditLog(env.DB, entryMacsFor(env)), (issuer) => issuer ?? "");
		await report([{ shipment_id: shipmentId, type: "pickup_scheduled", courier: "courier-p" }]);
		const legsBefore = await legs(shipmentId);
		await env.DB.prepare(
			"CREATE TRIGGER legs_refuse_test BEFORE INSERT ON legs WHEN NEW.shipment_id = ?1 BEGIN SELECT RAISE(ABORT, 'refused by test'); END".replace(
				"?1",
				`'${shipmentId}'`,
			),
		).run();
		try {
			const response = await report([{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-x" }]);
			expect(response.status).toBeGreaterThanOrEqual(500);
		} finally {
			await env.DB.prepare("DROP TRIGGER legs_refuse_test").run();
		}
		expect(await eventCount(shipmentId)).toBe(1);
		expect(await legs(shipmentId)).toEqual(legsBefore);
		expect((await store.get(recipient))?.courier).toBeNull();
		expect(await auditEntries(shipmentId)).toHaveLength(1);
	});

	it("the same Idempotency-Key and body replays; another body under it is 422", async () => {
		const { shipmentId } = await shipment();
		const events = [{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-a", at: iso(Date.now() - MIN) }];
		const first = await report(events, { "Idempotency-Key": `legs-${shipmentId}` });
		const again = await Promise.all([1, 2, 3].map(() => report(events, { "Idempotency-Key": `legs-${shipmentId}` })));
		expect(first.status).toBe(200);
		expect(again.map((r) => [r.status, r.headers.get("Idempotent-Replayed")])).toEqual(Array(3).fill([200, "true"]));
		expect(await json(again[0] as Response)).toEqual(await json(first));
		expect(await eventCount(shipmentId)).toBe(1);
		expect(await auditEntries(shipmentId)).toHaveLength(1);
		const reused = await report([{ shipment_id: shipmentId, type: "delivered" }], { "Idempotency-Key": `legs-${shipmentId}` });
		expect(reused.status).toBe(422);
		expect((await json(reused)).type).toBe("/problems/idempotency-key-reused");
		expect(await eventCount(shipmentId)).toBe(1);
	});

	it("concurrent first attempts under one key write once", async () => {
		const { shipmentId } = await shipment();
		const events = [{ shipment_id: shipmentId, type: "pickup_scheduled", courier: "courier-p" }];
		const responses = await Promise.all(Array.from({ length: 4 }, () => report(events, { "Idempotency-Key": `legs-race-${shipmentId}` })));
		expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
		expect(await eventCount(shipmentId)).toBe(1);
	});

	it("one audit entry per request with the shipment ids, event types and the record assigned; never contact data or couriers", async () => {
		const { shipmentId, recipient } = await shipment();
		await report([
			{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-audit-1", depot: "D-LEGS" },
			{ shipment_id: shipmentId, type: "delivery_attempted" },
		]);
		const entries = await auditEntries(shipmentId);
		expect(entries).toHaveLength(1);
		const details = JSON.parse((entries[0] as { details: string }).details);
		expect(details).toEqual({
			count: 2,
			events: [
				{ shipment_id: shipmentId, type: "out_for_delivery" },
				{ shipment_id: shipmentId, type: "delivery_attempted" },
			],
			assigned: [recipient],
		});
		expect(entries[0]?.actor).toBe("courier-svc");
		const history = await json<{ entries: { kind: string }[] }>(await call("GET", `/v1/audit?record_id=${recipient}`, { token: ops }));
		expect(history.entries.map((entry) => entry.kind)).toContain("shipment.events");
	});
});

describe("a full request", () => {
	it("1000 events over 500 shipments land in one request, in one audit entry", async () => {
		const bodies = Array.from({ length: 500 }, () => recordBody({ depot: "D-BULK", courier: undefined }));
		expect((await call("POST", "/v1/records/batch", { token: service, body: { records: bodies } })).status).toBe(201);
		const t = Date.now() - 60 * MIN;
		const events = bodies.flatMap((body, i) => [
			{ shipment_id: body.shipment_id, type: "out_for_delivery", courier: `courier-bulk-${i % 7}`, depot: "D-BULK", at: iso(t) },
			{ shipment_id: body.shipment_id, type: i % 2 === 0 ? "delivered" : "delivery_attempted", at: iso(t + 10 * MIN) },
		]);
		const response = await report(events);
		expect(response.status).toBe(200);
		expect((await json<{ accepted: number }>(response)).accepted).toBe(1000);
		const open = await env.DB.prepare(
			"SELECT count(*) AS n FROM legs WHERE shipment_id IN (SELECT value FROM json_each(?1)) AND (close_after IS NULL OR close_after > ?2)",
		)
			.bind(JSON.stringify(bodies.map((body) => body.shipment_id)), Date.now())
			.first<{ n: number }>();
		expect(open?.n).toBe(250);
		expect(await auditEntries(bodies[0]?.shipment_id as string)).toHaveLength(1);
	});
});

describe("bad input and access", () => {
	it("refuses what the table does not allow, naming the field", async () => {
		const { shipmentId } = await shipment();
		const cases: [Record<string, unknown>, string][] = [
			[{ shipment_id: shipmentId, type: "out_for_delivery" }, "/events/0/courier"],
			[{ shipment_id: shipmentId, type: "pickup_scheduled" }, "/events/0/courier"],
			[{ shipment_id: shipmentId, type: "delivered", courier: "courier-a" }, "/events/0/courier"],
			[{ shipment_id: shipmentId, type: "shipped" }, "/events/0/type"],
			[{ shipment_id: shipmentId, type: "delivered", at: "yesterday" }, "/events/0/at"],
			[{ shipment_id: shipmentId, type: "delivered", at: iso(Date.now() + 60 * MIN) }, "/events/0/at"],
			[{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-a", courier_issuer: "nobody" }, "/events/0/courier_issuer"],
			[{ shipment_id: shipmentId, type: "delivered", phone: "13812345678" }, "/events/0/phone"],
		];
		for (const [event, pointer] of cases) {
			const response = await report([event]);
			expect(response.status, JSON.stringify(event)).toBe(422);
			const problem = await json<{ errors: { pointer: string }[] }>(response);
			expect(problem.errors.map((error) => error.pointer)).toContain(pointer);
		}
		expect((await report(Array.from({ length: 1001 }, () => ({ shipment_id: shipmentId, type: "delivered" })))).status).toBe(422);
		expect(await eventCount(shipmentId)).toBe(0);
	});

	it("events need records:write; legs are for ops only", async () => {
		const { shipmentId } = await shipment();
		const reader = await serviceToken("records:read", "reader-svc");
		expect((await call("POST", "/v1/shipment-events", { token: reader, body: { events: [{ shipment_id: shipmentId, type: "delivered" }] } })).status).toBe(403);
		expect((await call("GET", `/v1/shipments/${shipmentId}/legs`, { token: service })).status).toBe(403);
		expect((await call("GET", `/v1/shipments/${shipmentId}/legs`)).status).toBe(401);
	});
});

describe("getForAsk", () => {
	it("returns the record, its honeytoken flag and its shipment's legs in one query", async () => {
		const { shipmentId, recipient } = await shipment();
		await report([
			{ shipment_id: shipmentId, type: "out_for_delivery", courier: "courier-a", at: iso(Date.now() - 10 * MIN) },
			{ shipment_id: shipmentId, type: "pickup_scheduled", courier: "courier-p", at: iso(Date.now() - 20 * MIN) },
		]);
		const counter = countingDb(env.DB);
		const store = new D1RecordStore(counter.db, new AuditLog(counter.db, entryMacsFor(env)), (issuer) => issuer ?? "");
		const read = await store.getForAsk(recipient);
		expect(counter.count()).toBe(1);
		expect(read.record?.id).toBe(recipient);
		expect(read.honeytoken).toBe(false);
		expect(read.legs.map((leg) => [leg.n, leg.kind, leg.courier])).toEqual([
			[0, "pickup", { subject: "courier-p", issuer: TEST_ISSUER }],
			[1, "delivery", { subject: "courier-a", issuer: TEST_ISSUER }],
		]);
		// The legs come by the primary key's shipment_id prefix, not a scan of every leg.
		const plan = await env.DB.prepare("EXPLAIN QUERY PLAN SELECT n FROM legs AS l WHERE l.shipment_id = ?1").bind(shipmentId).all<{ detail: string }>();
		expect(plan.results.map((row) => row.detail).join(" ")).toMatch(/SEARCH l USING PRIMARY KEY \(shipment_id=\?\)/);
	});

	it("a record without legs reads with an empty list; an unknown id reads as null", async () => {
		const { recipient } = await shipment();
		const store = new D1RecordStore(env.DB, new AuditLog(env.DB, entryMacsFor(env)), (issuer) => issuer ?? "");
		expect((await store.getForAsk(recipient)).legs).toEqual([]);
		expect(await store.getForAsk("no-such-record")).toEqual({ record: null, honeytoken: false, legs: [] });
	});
});

describe("demo data", () => {
	it("the seed's events give README's courier an open delivery leg on DEMO000001, closed legs, pickups and one return", async () => {
		const records = demoRecords(200);
		expect((await call("POST", "/v1/records/batch", { token: service, body: { records } })).status).toBe(201);
		const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
		const events = demoLegEvents(records, hour);
		expect(events.length).toBeLessThanOrEqual(1000);
		const first = await report(events as unknown as Record<string, unknown>[], { "Idempotency-Key": "demo-legs-test" });
		expect(first.status).toBe(200);
		// The seed runs again at every `npm run dev`: the same hour replays.
		expect((await report(events as unknown as Record<string, unknown>[], { "Idempotency-Key": "demo-legs-test" })).headers.get("Idempotent-Replayed")).toBe(
			"true",
		);
		expect(await legs("DEMO000001")).toEqual([expect.objectContaining({ kind: "delivery", courier: "courier-ur-ts-01-1", depot: "UR-TS-01", open: true })]);
		expect((await legs("DEMO000200"))[0]).toMatchObject({ kind: "delivery", open: false });
		expect((await legs("DEMO000020")).map((leg) => leg.kind)).toContain("pickup");
		expect((await legs("DEMO000003")).map((leg) => [leg.kind, leg.open])).toContainEqual(["return", true]);
		// README's reveal: the courier the seed sent out with DEMO000001 asks and redeems.
		const courier = await employeeToken("courier", "courier-ur-ts-01-1", "UR-TS-01");
		const scanned = await json<{ records: { id: string }[] }>(await call("GET", "/v1/records?shipment_id=DEMO000001", { token: courier }));
		expect(scanned.records).toHaveLength(1);
		const asked = await askReveal(courier, scanned.records[0]?.id as string);
		expect(asked.status).toBe(201);
		const { reveal_token } = await json<{ reveal_token: string }>(asked);
		expect((await call("POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token } })).status).toBe(200);
	});
});
