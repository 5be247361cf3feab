import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { CourierProps } from "../src/rpc/caller";
import { call, recordBody as httpBody, json } from "./support/api";
import { settle } from "./support/settle";
import { sharedPoolBindings } from "./support/telephony";
import { serviceToken, TEST_ISSUER, token } from "./support/tokens";

/** The entrypoint as a calling worker's service binding reaches it, with these props. */
const vaultFor = (props: CourierProps) => exports.CourierRecords({ props });

const booking = (subject: string, scopes: string[] = ["records:write", "records:read"]) => vaultFor({ issuer: TEST_ISSUER, subject, scopes });

const recordsOfShipment = async (shipmentId: string) =>
	(await env.DB.prepare("SELECT count(*) AS n FROM records WHERE shipment_id = ?").bind(shipmentId).first<{ n: number }>())?.n ?? 0;

/** A record body as the RPC method's parameter type has it. */
const recordBody = (overrides: Record<string, unknown> = {}) => ({ ...httpBody(overrides), party: "recipient" as const });

let ops: string;

beforeAll(async () => {
	ops = await token({ sub: "ops-rpc", scope: "ops" });
});

describe("Workers RPC: who calls is what the binding's props say", () => {
	it("a service whose props lack records:write cannot create, and nothing is written", async () => {
		const body = recordBody();
		const outcome = await booking("rpc-reader", ["records:read"]).createRecord(body);
		expect(outcome).toMatchObject({ ok: false, problem: { type: "/problems/forbidden", status: 403, detail: "This call needs the scope records:write." } });
		expect(await recordsOfShipment(body.shipment_id)).toBe(0);
		// The failed outcome keeps its type across the binding: a caller narrows on `ok` and reads the problem.
		if (outcome.ok) throw new Error("expected a refusal");
		expect([outcome.problem.type, outcome.headers["WWW-Authenticate"]]).toEqual([
			"/problems/forbidden",
			'Bearer realm="contact-vault", error="insufficient_scope", scope="records:write"',
		]);
		// Reading is what its props allow.
		expect((await booking("rpc-reader", ["records:read"]).lookupByShipment(body.shipment_id)).ok).toBe(true);
	});

	it("props naming an untrusted issuer, an unknown scope or nothing at all admit no one", async () => {
		const body = recordBody();
		const refusals = [
			await vaultFor({ issuer: "https://nobody.example", subject: "rpc-svc", scopes: ["records:write"] }).createRecord(body),
			await vaultFor({ issuer: TEST_ISSUER, subject: "rpc-svc", scopes: ["records:writ"] }).createRecord(body),
			await exports.CourierRecords.createRecord(body),
		];
		for (const outcome of refusals) expect(outcome).toMatchObject({ ok: false, problem: { type: "/problems/unauthorized", status: 401 } });
		expect(await recordsOfShipment(body.shipment_id)).toBe(0);
	});

	it("creates like POST /v1/records: validated, masked, audited under the props' principal, once per idempotency key", async () => {
		const vault = booking("rpc-booking");
		const body = recordBody();
		const first = await vault.createRecord(body, { idempotencyKey: `rpc-${body.shipment_id}` });
		if (!first.ok) throw new Error(JSON.stringify(first));
		expect(first.value.replayed).toBe(false);
		expect(first.value.record.masked).toEqual({ name: "张*", phone: "1******5678", address: "广东省深圳市南山区****" });
		expect(JSON.stringify(first)).not.toContain("13812345678");

		const retry = await vault.createRecord(body, { idempotencyKey: `rpc-${body.shipment_id}` });
		expect(retry).toMatchObject({ ok: true, value: { replayed: true, record: { id: first.value.record.id } } });
		const reused = await vault.createRecord({ ...body, depot: "SZ-FT-02" }, { idempotencyKey: `rpc-${body.shipment_id}` });
		expect(reused).toMatchObject({ ok: false, problem: { type: "/problems/idempotency-key-reused", status: 422 } });
		expect(await recordsOfShipment(body.shipment_id)).toBe(1);

		const entry = await env.DB.prepare("SELECT actor, actor_issuer FROM audit_log WHERE kind = 'record.created' AND record_id = ?")
			.bind(first.value.record.id)
			.first<{ actor: string; actor_issuer: string }>();
		expect(entry).toEqual({ actor: "rpc-booking", actor_issuer: TEST_ISSUER });

		// Over HTTP the record reads the same.
		const read = await call("GET", `/v1/records/${first.value.record.id}`, { token: await serviceToken("records:read", "rpc-http-reader") });
		expect(await json(read)).toEqual(first.value.record);
	});

	it("refuses bad input with the same 422 as HTTP, naming the field and never echoing the value", async () => {
		const outcome = await booking("rpc-booking").createRecord({ ...recordBody(), contact: { name: "张三", phone: "not a phone 13999", address: "x" } });
		expect(outcome).toMatchObject({ ok: false, problem: { type: "/problems/validation-failed", errors: [{ pointer: "/contact/phone" }] } });
		expect(JSON.stringify(outcome)).not.toContain("13999");
		expect(await booking("rpc-booking").createRecord({ ...recordBody(), extra: 1 } as never)).toMatchObject({
			ok: false,
			problem: { errors: [{ pointer: "/extra", code: "unrecognized_keys" }] },
		});
		expect(await booking("rpc-booking").createRecord(recordBody(), { idempotencyKey: "" })).toMatchObject({ ok: false, problem: { status: 400 } });
	});

	it("reads a masked record, 404 for an unknown id, 422 for something that is not an id", async () => {
		const vault = booking("rpc-booking");
		const created = await vault.createRecord(recordBody());
		if (!created.ok) throw new Error(JSON.stringify(created));
		expect(await vault.getRecord(created.value.record.id)).toEqual({ ok: true, value: created.value.record, headers: {} });
		expect(await vault.getRecord("rec_01jdq3v9x2m4n5p6q7r8s9t0vw")).toMatchObject({ ok: false, problem: { status: 404 } });
		expect(await vault.getRecord("../etc")).toMatchObject({ ok: false, problem: { status: 422 } });
	});
});

/** The audit entries of a kind about a record (its own, or a batch entry naming it), oldest first. */
async function entriesAbout(recordId: string, kind: string): Promise<{ actor: string; actor_issuer: string; details: Record<string, unknown> }[]> {
	const { results } = await env.DB.prepare(
		"SELECT actor, actor_issuer, details FROM audit_log WHERE kind = ?2 AND (record_id = ?1 OR seq IN (SELECT seq FROM audit_record_refs WHERE record_id = ?1)) ORDER BY seq",
	)
		.bind(recordId, kind)
		.all<{ actor: string; actor_issuer: string; details: string }>();
	return results.map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
}

/** A record created over RPC by a service that may write, read and erase; its masked view. */
async function created(overrides: Record<string, unknown> = {}) {
	const outcome = await booking("rpc-keeper", ["records:write", "records:read", "records:delete"]).createRecord(recordBody(overrides));
	if (!outcome.ok) throw new Error(JSON.stringify(outcome));
	return outcome.value.record;
}

describe("Workers RPC: a batch, like POST /v1/records/batch", () => {
	it("needs records:write; creates all or nothing under one record.batch_created entry, once per idempotency key", async () => {
		const bodies = [recordBody(), recordBody({ party: "sender" }), recordBody()];
		const refused = await booking("rpc-batcher", ["records:read"]).createRecords({ records: bodies });
		expect(refused).toMatchObject({ ok: false, problem: { type: "/problems/forbidden", status: 403, detail: "This call needs the scope records:write." } });
		for (const body of bodies) expect(await recordsOfShipment(body.shipment_id)).toBe(0);

		const vault = booking("rpc-batcher");
		const first = await vault.createRecords({ records: bodies }, { idempotencyKey: `batch-${bodies[0]?.shipment_id}` });
		if (!first.ok) throw new Error(JSON.stringify(first));
		expect(first.value).toMatchObject({ replayed: false, ids: [expect.any(String), expect.any(String), expect.any(String)] });
		const views = await Promise.all(first.value.ids.map((id) => vault.getRecord(id)));
		expect(views.map((view) => (view.ok ? view.value.shipment_id : null))).toEqual(bodies.map((body) => body.shipment_id));
		expect(await vault.createRecords({ records: bodies }, { idempotencyKey: `batch-${bodies[0]?.shipment_id}` })).toEqual({
			ok: true,
			value: { ids: first.value.ids, replayed: true },
			headers: {},
		});

		const { results } = await env.DB.prepare(
			"SELECT actor, actor_issuer, details FROM audit_log WHERE kind = 'record.batch_created' AND actor = 'rpc-batcher'",
		).all<{
			actor: string;
			actor_issuer: string;
			details: string;
		}>();
		expect(results.map((row) => ({ ...row, details: JSON.parse(row.details) }))).toEqual([
			{ actor: "rpc-batcher", actor_issuer: TEST_ISSUER, details: { count: 3, ids: first.value.ids } },
		]);

		// One record that exists already, and nothing of the batch is written.
		const fresh = recordBody();
		expect(await vault.createRecords({ records: [fresh, bodies[0] as typeof fresh] })).toMatchObject({
			ok: false,
			problem: { type: "/problems/conflict", status: 409 },
		});
		expect(await recordsOfShipment(fresh.shipment_id)).toBe(0);
		expect(await vault.createRecords({ records: [] })).toMatchObject({ ok: false, problem: { status: 422, errors: [{ pointer: "/records" }] } });
	});
});

describe("Workers RPC: reassignment, like PATCH /v1/records/{id}", () => {
	it("needs records:write; moves the record and writes the same record.reassigned entry as HTTP, under the props' principal", async () => {
		const overRpc = await created();
		const overHttp = await created();
		const change = { depot: "SZ-FT-02", courier: "courier-rpc-9" };

		const refused = await booking("rpc-mover", ["records:read"]).reassignRecord(overRpc.id, change);
		expect(refused).toMatchObject({ ok: false, problem: { type: "/problems/forbidden", status: 403, detail: "This call needs the scope records:write." } });
		expect(await entriesAbout(overRpc.id, "record.reassigned")).toEqual([]);

		const moved = await booking("rpc-mover").reassignRecord(overRpc.id, change);
		if (!moved.ok) throw new Error(JSON.stringify(moved));
		expect(moved.value).toMatchObject({ id: overRpc.id, depot: "SZ-FT-02", courier: "courier-rpc-9", courier_issuer: TEST_ISSUER, masked: overRpc.masked });
		const bearer = await serviceToken("records:write", "rpc-mover");
		const patched = await call("PATCH", `/v1/records/${overHttp.id}`, { token: bearer, body: change });
		expect(patched.status).toBe(200);
		// The same answer over both, but for the record's own id, shipment and times.
		const comparable = ({ depot, courier, courier_issuer, masked, key_id }: Record<string, unknown>) => ({ depot, courier, courier_issuer, masked, key_id });
		expect(comparable(moved.value)).toEqual(comparable(await json(patched)));

		const [rpcEntry] = await entriesAbout(overRpc.id, "record.reassigned");
		const [httpEntry] = await entriesAbout(overHttp.id, "record.reassigned");
		expect(rpcEntry).toEqual({
			actor: "rpc-mover",
			actor_issuer: TEST_ISSUER,
			details: { depot: "SZ-FT-02", courier: "courier-rpc-9", courier_issuer: TEST_ISSUER },
		});
		expect(rpcEntry).toEqual(httpEntry);

		// Unassigning, then the problems HTTP answers: nothing to change, unknown id, not an id, an untrusted courier issuer.
		expect(await booking("rpc-mover").reassignRecord(overRpc.id, { courier: null })).toMatchObject({
			ok: true,
			value: { courier: null, courier_issuer: null },
		});
		expect(await booking("rpc-mover").reassignRecord(overRpc.id, {})).toMatchObject({
			ok: false,
			problem: { type: "/problems/validation-failed", status: 422 },
		});
		expect(await booking("rpc-mover").reassignRecord("rec_01jdq3v9x2m4n5p6q7r8s9t0vw", change)).toMatchObject({ ok: false, problem: { status: 404 } });
		expect(await booking("rpc-mover").reassignRecord("../etc", change)).toMatchObject({ ok: false, problem: { status: 422 } });
		expect(await booking("rpc-mover").reassignRecord(overRpc.id, { courier: "c-1", courier_issuer: "https://nobody.example" })).toMatchObject({
			ok: false,
			problem: { status: 422, errors: [{ pointer: "/courier_issuer" }] },
		});
		expect(await entriesAbout(overRpc.id, "record.reassigned")).toHaveLength(2);
	});
});

describe("Workers RPC: erasure, like DELETE /v1/records/{id} and POST /v1/records/erasures", () => {
	it("erasing one record needs records:delete, shreds it under a record.erased entry as HTTP's, once", async () => {
		const overRpc = await created();
		const overHttp = await created();

		const refused = await booking("rpc-eraser", ["records:write", "records:read"]).eraseRecord(overRpc.id);
		expect(refused).toMatchObject({ ok: false, problem: { type: "/problems/forbidden", status: 403, detail: "This call needs the scope records:delete." } });
		expect(await booking("rpc-eraser").getRecord(overRpc.id)).toMatchObject({ ok: true });

		const vault = booking("rpc-eraser", ["records:read", "records:delete"]);
		expect(await vault.eraseRecord(overRpc.id)).toEqual({ ok: true, value: null, headers: {} });
		expect(await vault.getRecord(overRpc.id)).toMatchObject({ ok: false, problem: { type: "/problems/record-erased", status: 410 } });
		const row = await env.DB.prepare("SELECT key_id, wrapped_key, phone_ct FROM records WHERE id = ?1").bind(overRpc.id).first();
		expect(row).toEqual({ key_id: null, wrapped_key: null, phone_ct: null });
		// Erasing it again is done, as HTTP's 204 says, and writes nothing more.
		expect(await vault.eraseRecord(overRpc.id)).toMatchObject({ ok: true, value: null });

		const deleted = await call("DELETE", `/v1/records/${overHttp.id}`, { token: await serviceToken("records:delete", "rpc-eraser") });
		expect(deleted.status).toBe(204);
		const rpcEntries = await entriesAbout(overRpc.id, "record.erased");
		expect(rpcEntries).toEqual([{ actor: "rpc-eraser", actor_issuer: TEST_ISSUER, details: {} }]);
		expect(rpcEntries).toEqual(await entriesAbout(overHttp.id, "record.erased"));

		expect(await vault.eraseRecord("rec_01jdq3v9x2m4n5p6q7r8s9t0vw")).toMatchObject({ ok: false, problem: { type: "/problems/not-found", status: 404 } });
		expect(await vault.eraseRecord("../etc")).toMatchObject({ ok: false, problem: { status: 422 } });
	});

	it("an erasure request by phone or shipment needs records:delete and answers HTTP's receipt, audited as record.batch_erased without the phone", async () => {
		const customer = { name: "赵六", phone: "13500004444", address: "浙江省杭州市西湖区文三路9号" };
		const mine = [await created({ contact: customer }), await created({ contact: customer, party: "sender" })];
		const bystander = await created({ contact: { ...customer, phone: "13500004445" } });

		const refused = await booking("rpc-dsr", ["records:write", "records:read"]).requestErasure({ phone: customer.phone });
		expect(refused).toMatchObject({ ok: false, problem: { type: "/problems/forbidden", status: 403, detail: "This call needs the scope records:delete." } });
		expect(await booking("rpc-dsr").getRecord(mine[0]?.id as string)).toMatchObject({ ok: true });

		const vault = booking("rpc-dsr", ["records:read", "records:delete"]);
		const receipt = await vault.requestErasure({ phone: "+86 135 0000 4444", reference: "DSR-RPC-1" });
		if (!receipt.ok) throw new Error(JSON.stringify(receipt));
		const ids = mine.map((record) => record.id).sort();
		expect(receipt.value).toMatchObject({ matched_by: "phone", reference: "DSR-RPC-1", erased: ids, count: 2, complete: true });
		expect(receipt.value.audit_seqs).toHaveLength(1);
		expect(JSON.stringify(receipt)).not.toContain("4444");
		for (const record of mine) expect(await vault.getRecord(record.id)).toMatchObject({ ok: false, problem: { status: 410 } });
		expect(await vault.getRecord(bystander.id)).toMatchObject({ ok: true });

		const [entry] = await entriesAbout(ids[0] as string, "record.batch_erased");
		expect(entry).toEqual({
			actor: "rpc-dsr",
			actor_issuer: TEST_ISSUER,
			details: { reason: "erasure_request", matched_by: "phone", reference: "DSR-RPC-1", batch: 1, count: 2, ids },
		});
		expect(JSON.stringify(entry)).not.toContain("4444");
		// Nothing left to erase: an empty receipt, nothing written.
		expect(await vault.requestErasure({ phone: customer.phone })).toMatchObject({ ok: true, value: { erased: [], count: 0, audit_seqs: [] } });

		// By shipment over RPC and over HTTP: the same receipt's shape and the same entry's.
		const rpcShipment = await created();
		const httpShipment = await created();
		const byRpc = await vault.requestErasure({ shipment_id: rpcShipment.shipment_id });
		const byHttp = await call("POST", "/v1/records/erasures", {
			token: await serviceToken("records:delete", "rpc-dsr"),
			body: { shipment_id: httpShipment.shipment_id },
		});
		expect(byHttp.status).toBe(200);
		const httpReceipt = await json<Record<string, unknown>>(byHttp);
		if (!byRpc.ok) throw new Error(JSON.stringify(byRpc));
		expect(Object.keys(byRpc.value).sort()).toEqual(Object.keys(httpReceipt).sort());
		expect(byRpc.value).toMatchObject({ matched_by: "shipment_id", reference: null, erased: [rpcShipment.id], count: 1, complete: true });
		const withoutIds = (entries: { details: Record<string, unknown> }[]) =>
			entries.map((e) => ({ ...e, details: { ...e.details, ids: (e.details.ids as unknown[]).length } }));
		expect(withoutIds(await entriesAbout(rpcShipment.id, "record.batch_erased"))).toEqual(
			withoutIds(await entriesAbout(httpShipment.id, "record.batch_erased")),
		);

		// Exactly one of phone or shipment_id, as HTTP requires.
		expect(await vault.requestErasure({ phone: customer.phone, shipment_id: rpcShipment.shipment_id })).toMatchObject({
			ok: false,
			problem: { type: "/problems/validation-failed", status: 422 },
		});
	});
});

describe("Workers RPC: shipment events", () => {
	it("open a leg and assign the record like POST /v1/shipment-events, once per key, and need records:write", async () => {
		const vault = booking("rpc-events");
		const created = await vault.createRecord(recordBody());
		if (!created.ok) throw new Error(JSON.stringify(created));
		const shipment_id = created.value.record.shipment_id;
		const events = { events: [{ shipment_id, type: "out_for_delivery" as const, courier: "courier-rpc-7" }] };

		expect(await booking("rpc-events-reader", ["records:read"]).reportShipmentEvents(events)).toMatchObject({ ok: false, problem: { status: 403 } });
		const reported = await vault.reportShipmentEvents(events, { idempotencyKey: `events-${shipment_id}` });
		expect(reported).toEqual({ ok: true, value: { accepted: 1, shipments: [shipment_id], replayed: false }, headers: {} });
		expect(await vault.reportShipmentEvents(events, { idempotencyKey: `events-${shipment_id}` })).toMatchObject({ ok: true, value: { replayed: true } });
		expect(await vault.getRecord(created.value.record.id)).toMatchObject({ ok: true, value: { courier: "courier-rpc-7", courier_issuer: TEST_ISSUER } });

		const legs = await json<{ legs: { kind: string; courier: string; open: boolean }[] }>(
			await call("GET", `/v1/shipments/${shipment_id}/legs`, { token: ops }),
		);
		expect(legs.legs).toEqual([expect.objectContaining({ kind: "delivery", courier: "courier-rpc-7" })]);
		const entries = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE kind = 'shipment.events' AND actor = 'rpc-events'").first<{ n: number }>();
		expect(entries?.n).toBe(1);
	});
});

describe("Workers RPC: shipment events end the calls of the legs they close", () => {
	it("a cancelled shipment reported over RPC unbinds its privacy number at once, as over HTTP, without the minute cron", async () => {
		const vault = booking("rpc-events-calls");
		const created = await vault.createRecord(
			recordBody({ depot: "RPC-CALL-1", contact: { name: "李四", phone: "13600002222", address: "广东省深圳市南山区科技园路2号" } }),
		);
		if (!created.ok) throw new Error(JSON.stringify(created));
		const { id: recordId, shipment_id } = created.value.record;
		const opened = await vault.reportShipmentEvents({ events: [{ shipment_id, type: "out_for_delivery", courier: "courier-rpc-call", depot: "RPC-CALL-1" }] });
		expect(opened.ok).toBe(true);

		// The courier calls the customer through the shared simulator pool the worker's TELEPHONY names.
		const courier = await token({ sub: "courier-rpc-call", role: "courier", depot: "RPC-CALL-1", scope: "reveal", extra: { phone_number: "+8613900003333" } });
		const made = await call("POST", "/v1/calls", { token: courier, body: { record_id: recordId, purpose: "delivery" } });
		expect(made.status).toBe(201);
		const { call_id } = await json<{ call_id: string }>(made);
		expect((await sharedPoolBindings()).some((binding) => binding.out_id === call_id)).toBe(true);

		const cancelled = await vault.reportShipmentEvents({ events: [{ shipment_id, type: "cancelled" }] });
		expect(cancelled).toMatchObject({ ok: true, value: { replayed: false } });
		// The unbind runs after the answer (waitUntil), which an RPC caller cannot wait on: wait for the
		// provider to lose the binding. Without it the binding would live on until the cron, far past this.
		await vi.waitFor(async () => expect((await sharedPoolBindings()).some((binding) => binding.out_id === call_id)).toBe(false), {
			timeout: 20_000,
			interval: 50,
		});
		await vi.waitFor(async () =>
			expect(await env.DB.prepare("SELECT end_reason FROM calls WHERE id = ?1").bind(call_id).first()).toEqual({ end_reason: "leg_closed" }),
		);
		const ended = await env.DB.prepare(
			"SELECT details FROM audit_log WHERE kind = 'call.ended' AND seq IN (SELECT seq FROM audit_record_refs WHERE record_id = ?1)",
		)
			.bind(recordId)
			.first<{ details: string }>();
		expect(JSON.parse(ended?.details ?? "{}")).toMatchObject({ calls: [{ call_id, reason: "leg_closed" }], by: "vault" });
	});
});

describe("Workers RPC: lookups are limited and audited like HTTP", () => {
	it("shares the principal's lookup limit with HTTP, answers 429 with Retry-After past it, and is summarized in the audit", async () => {
		const subject = "rpc-limited";
		const put = await call("PUT", `/v1/policies/employee/${subject}`, { token: ops, body: { mode: "enforce", lookup_limit: 3, lookup_window_seconds: 600 } });
		expect(put.status).toBe(201);
		const vault = booking(subject);
		const created = await vault.createRecord(recordBody({ contact: { name: "王五", phone: "13700001111", address: "上海市浦东新区世纪大道1号" } }));
		if (!created.ok) throw new Error(JSON.stringify(created));

		const first = await vault.lookupByPhone("+86 137 0000 1111");
		expect(first).toMatchObject({ ok: true, value: { records: [{ id: created.value.record.id }] } });
		expect(first.headers["RateLimit-Policy"]).toContain('"lookup_burst";q=3;w=600');
		expect(first.headers.RateLimit).toContain('"lookup_burst";r=2;');
		expect((await vault.lookupByShipment(created.value.record.shipment_id)).headers.RateLimit).toContain('"lookup_burst";r=1;');

		// The same (issuer, subject) over HTTP counts against the same limit.
		const bearer = await serviceToken("records:read", subject);
		const overHttp = await call("POST", "/v1/records/lookup", { token: bearer, body: { phone: "13700001111" } });
		expect(overHttp.status).toBe(200);
		expect(overHttp.headers.get("RateLimit")).toContain('"lookup_burst";r=0;');

		const refused = await vault.lookupByPhone("13700001111");
		expect(refused).toMatchObject({ ok: false, problem: { type: "/problems/quota-exceeded", status: 429, limit: "lookup_burst" } });
		expect(Number(refused.headers["Retry-After"])).toBeGreaterThan(0);
		expect(refused.headers.RateLimit).toContain('"lookup_burst";r=0;');
		expect((await call("POST", "/v1/records/lookup", { token: bearer, body: { phone: "13700001111" } })).status).toBe(429);

		await settle(bearer);
		const { results } = await env.DB.prepare("SELECT details FROM audit_log WHERE kind = 'lookups.summarized' AND actor = ? AND actor_issuer = ?")
			.bind(subject, TEST_ISSUER)
			.all<{ details: string }>();
		const total = (name: string) => results.reduce((sum, row) => sum + Number((JSON.parse(row.details) as Record<string, unknown>)[name] ?? 0), 0);
		expect(total("phone_lookups") + total("shipment_lookups")).toBe(5);
		expect(total("refused")).toBe(2);
		for (const row of results) expect(row.details).not.toContain("13700001111");
	});
});
