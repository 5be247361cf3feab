/**
 * Calls instead of numbers (DESIGN): POST /v1/calls binds the employee's phone and the customer's
 * behind a virtual number at the provider simulator (a real HTTP server speaking Alibaba's
 * Dyplsapi), judged like a reveal of `phone`, counted under call limits of its own, and ended
 * when the leg ends. Every request here goes to a simulator pool of this file's own, so what the
 * provider holds can be read back.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Env } from "../src/env";
import { call, callWith, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { settle } from "./support/settle";
import { type SimulatorPool, simulatorPool } from "./support/telephony";
import { token } from "./support/tokens";

const MIN = 60_000;
const HOUR = 60 * MIN;

let pool: SimulatorPool;
let withPool: Partial<Env>;
let service: string;
let ops: string;

beforeAll(async () => {
	// Forty numbers: one X serves one employee's phone once at a time, and the limit test binds thirty at once.
	pool = await simulatorPool({ numbers: Array.from({ length: 40 }, (_, i) => String(17100000000 + i)) });
	withPool = { TELEPHONY: pool.telephony };
	service = await token({ sub: "calls-svc", scope: "records:write records:read" });
	ops = await token({ sub: "calls-ops", scope: "ops" });
});

afterEach(() => {
	vi.restoreAllMocks();
});

let phoneSerial = 0;
/** A fresh mainland mobile: national digits, and E.164 as the vault holds it. */
function freshPhone(prefix = "138"): { national: string; e164: string } {
	phoneSerial += 1;
	const national = `${prefix}${String(Date.now() % 10_000).padStart(4, "0")}${String(phoneSerial).padStart(4, "0")}`;
	return { national, e164: `+86${national}` };
}

interface Courier {
	sub: string;
	depot: string;
	phone: { national: string; e164: string };
	bearer: string;
}

async function courier(sub: string, depot = "CALL-1", withPhone = true): Promise<Courier> {
	const phone = freshPhone("139");
	const bearer = await token({ sub, role: "courier", depot, scope: "reveal", extra: withPhone ? { phone_number: phone.e164 } : {} });
	return { sub, depot, phone, bearer };
}

const post = (path: string, bearer: string, body: unknown, overrides: Partial<Env> = withPool) => callWith(overrides, "POST", path, { token: bearer, body });

/** A recipient record assigned to the courier, with the delivery leg open (out_for_delivery). */
async function parcel(holder: Courier, customer = freshPhone()): Promise<{ recordId: string; shipmentId: string; customer: typeof customer }> {
	const body = recordBody({
		depot: holder.depot,
		courier: holder.sub,
		contact: { name: "李四", phone: customer.national, address: "广东省深圳市南山区科技园路2号" },
	});
	const created = await call("POST", "/v1/records", { token: service, body });
	expect(created.status).toBe(201);
	const recordId = (await json<{ id: string }>(created)).id;
	await events(service, [{ shipment_id: body.shipment_id, type: "out_for_delivery", courier: holder.sub, depot: holder.depot }]);
	return { recordId, shipmentId: body.shipment_id as string, customer };
}

async function events(bearer: string, list: Record<string, unknown>[]): Promise<void> {
	const response = await post("/v1/shipment-events", bearer, { events: list });
	expect(response.status).toBe(200);
}

const makeCall = (bearer: string, recordId: string, purpose = "delivery", overrides: Partial<Env> = withPool) =>
	post("/v1/calls", bearer, { record_id: recordId, purpose }, overrides);

interface Binding {
	call_id: string;
	virtual_number: string;
	expires_at: string;
}

/** Every audit entry about a record, after the limiters have flushed. */
async function auditOf(recordId: string, ...bearers: string[]): Promise<{ kind: string; details: string; record_id: string | null }[]> {
	await settle(...bearers);
	const { results } = await env.DB.prepare(
		"SELECT kind, details, record_id FROM audit_log WHERE record_id = ?1 OR seq IN (SELECT seq FROM audit_record_refs WHERE record_id = ?1) ORDER BY seq",
	)
		.bind(recordId)
		.all<{ kind: string; details: string; record_id: string | null }>();
	return results;
}

/** No form of these phones in a text: E.164, national, or the national digits inside something longer. */
function expectNoPhones(text: string, ...phones: { national: string; e164: string }[]): void {
	for (const phone of phones) {
		expect(text).not.toContain(phone.national);
		expect(text).not.toContain(phone.e164);
	}
}

/** Everything the worker writes to the console while `run` runs. */
async function consoleDuring<T>(run: () => Promise<T>): Promise<{ lines: string[]; result: T }> {
	const lines: string[] = [];
	for (const method of ["log", "info", "warn", "error", "debug"] as const) {
		vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
			lines.push(args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "));
		});
	}
	const result = await run();
	vi.restoreAllMocks();
	return { lines, result };
}

describe("POST /v1/calls binds a privacy number", () => {
	it("answers a virtual number that is neither party's phone; no answer, log line, audit entry or row holds the customer's phone", async () => {
		const c = await courier("call-courier-1");
		const { recordId, customer } = await parcel(c);
		const before = Date.now();
		const { lines, result: response } = await consoleDuring(() => makeCall(c.bearer, recordId));
		expect(response.status).toBe(201);
		expect(response.headers.get("Cache-Control")).toBe("no-store");
		const text = await response.text();
		const binding = JSON.parse(text) as Binding;
		expect(binding.call_id).toMatch(/^call_[0-9a-f]{40}$/);
		expect(pool.numbers).toContain(binding.virtual_number);
		expect(binding.virtual_number).not.toBe(customer.national);
		expect(binding.virtual_number).not.toBe(c.phone.national);
		expect(Date.parse(binding.expires_at)).toBeLessThanOrEqual(before + 2 * HOUR + 1000);
		expectNoPhones(text, customer);
		expectNoPhones(lines.join("\n"), customer, c.phone);

		// The provider got A (the courier's claim) and B (the record's phone), and the call id as OutId.
		const held = (await pool.bindings()).find((b) => b.out_id === binding.call_id);
		expect(held).toMatchObject({ secret_no: binding.virtual_number, phone_no_a: c.phone.national, phone_no_b: customer.national });
		expect(held?.expires_at).toBe(Date.parse(binding.expires_at));

		// Audit: the grant names the call, and no entry about the record holds a phone.
		const entries = await auditOf(recordId, c.bearer);
		const granted = entries.find((entry) => entry.kind === "call.granted");
		expect(JSON.parse(granted?.details ?? "{}")).toMatchObject({ call_id: binding.call_id, purpose: "delivery", leg_kind: "delivery" });
		expectNoPhones(JSON.stringify(entries), customer, c.phone);

		// The row keeps only X.
		const row = await env.DB.prepare("SELECT * FROM calls WHERE id = ?1").bind(binding.call_id).first();
		expect(row).toMatchObject({ record_id: recordId, virtual_number: binding.virtual_number, issuer: expect.any(String), subject: c.sub, ended_at: null });
		expectNoPhones(JSON.stringify(row), customer, c.phone);
	});

	it("a double tap returns the same binding and counts one call", async () => {
		const c = await courier("call-courier-tap");
		const { recordId } = await parcel(c);
		const first = await makeCall(c.bearer, recordId);
		expect(first.status).toBe(201);
		const second = await makeCall(c.bearer, recordId);
		expect(second.status).toBe(201);
		const [a, b] = [await json<Binding>(first), await json<Binding>(second)];
		expect(b).toEqual(a);
		expect((await pool.bindings()).filter((binding) => binding.out_id === a.call_id)).toHaveLength(1);
		// The daily call count moved once: the second answer shows what the first left.
		const daily = (response: Response) => /"call_daily";r=(\d+)/.exec(response.headers.get("RateLimit") ?? "")?.[1];
		expect(daily(second)).toBe(daily(first));
		expect(first.headers.get("RateLimit-Policy")).toContain('"call_daily";q=400;w=86400');
		// Two taps at once also land one binding.
		const other = await parcel(c);
		const racing = await Promise.all([makeCall(c.bearer, other.recordId), makeCall(c.bearer, other.recordId)]);
		expect(racing.map((r) => r.status)).toEqual([201, 201]);
		const ids = new Set(await Promise.all(racing.map(async (r) => (await json<Binding>(r)).call_id)));
		expect(ids.size).toBe(1);
		const live = await env.DB.prepare("SELECT count(*) AS n FROM calls WHERE record_id = ?1 AND ended_at IS NULL").bind(other.recordId).first<{ n: number }>();
		expect(live?.n).toBe(1);
		expect((await pool.bindings()).filter((binding) => binding.phone_no_b === other.customer.national)).toHaveLength(1);
	});

	it("is refused without the phone_number claim (422 that says so), out of scope (403) and without an open leg (403 no-open-leg), binding nothing", async () => {
		const c = await courier("call-courier-refused");
		const { recordId } = await parcel(c);
		const noPhone = await token({ sub: c.sub, role: "courier", depot: c.depot, scope: "reveal" });
		const missing = await makeCall(noPhone, recordId);
		expect(missing.status).toBe(422);
		const problem = await json<{ type: string; detail: string }>(missing);
		expect(problem.type).toBe("/problems/phone-number-required");
		expect(problem.detail).toContain("phone_number");
		// A claim that is not E.164 is no phone: the same answer, and nothing is sent to the provider.
		const national = await token({ sub: c.sub, role: "courier", depot: c.depot, scope: "reveal", extra: { phone_number: c.phone.national } });
		expect((await json<{ type: string }>(await makeCall(national, recordId))).type).toBe("/problems/phone-number-required");
		// Services do not call.
		expect((await makeCall(await token({ sub: "calls-svc", scope: "reveal" }), recordId)).status).toBe(403);

		const stranger = await courier("call-courier-stranger");
		const outOfScope = await makeCall(stranger.bearer, recordId);
		expect(outOfScope.status).toBe(403);
		expect((await json<{ type: string }>(outOfScope)).type).toBe("/problems/out-of-scope");

		// Assigned, but the work was never given out: no leg.
		const created = await call("POST", "/v1/records", { token: service, body: recordBody({ depot: c.depot, courier: c.sub }) });
		const unopened = (await json<{ id: string }>(created)).id;
		const noLeg = await makeCall(c.bearer, unopened);
		expect(noLeg.status).toBe(403);
		expect(await json(noLeg)).toMatchObject({ type: "/problems/no-open-leg", reason: "no_open_leg" });
		expect(noLeg.headers.get("RateLimit")).toContain("call_burst");

		// The sender of a delivery is not the delivery's party.
		const sender = await makeCall(c.bearer, recordId, "pickup");
		expect(sender.status).toBe(403);

		const bound = (await pool.bindings()).filter((binding) => binding.phone_no_a === c.phone.national || binding.phone_no_a === stranger.phone.national);
		expect(bound).toHaveLength(0);
		const denied = (await auditOf(unopened, c.bearer)).filter((entry) => entry.kind === "call.denied");
		expect(denied.map((entry) => JSON.parse(entry.details).reason)).toEqual(["no_open_leg"]);
	});

	it("answers 503 naming TELEPHONY when it is missing or malformed, before anything is counted", async () => {
		const c = await courier("call-courier-noconf");
		const { recordId } = await parcel(c);
		for (const telephony of ["", "{not json", JSON.stringify({ provider: "aliyun", endpoint: "ftp://x" })]) {
			const response = await makeCall(c.bearer, recordId, "delivery", { TELEPHONY: telephony });
			expect(response.status).toBe(503);
			expect(await json(response)).toMatchObject({ type: "/problems/configuration-unavailable", variable: "TELEPHONY" });
		}
		expect((await auditOf(recordId, c.bearer)).filter((entry) => entry.kind.startsWith("call."))).toEqual([]);
	});
});

describe("the binding's lifetime follows the leg", () => {
	it("expires no later than the leg's end: two hours while it is unknown, the end of the grace once delivered; the cron unbinds at the leg's end", async () => {
		const c = await courier("call-courier-grace");
		const { recordId, shipmentId } = await parcel(c);
		const before = Date.now();
		const open = await json<Binding>(await makeCall(c.bearer, recordId));
		expect(Date.parse(open.expires_at)).toBeLessThanOrEqual(Date.now() + 2 * HOUR);
		expect(Date.parse(open.expires_at)).toBeGreaterThan(before + 2 * HOUR - MIN);

		await events(service, [{ shipment_id: shipmentId, type: "delivered" }]);
		const legs = await json<{ legs: { kind: string; close_after: string | null; open: boolean }[] }>(
			await call("GET", `/v1/shipments/${shipmentId}/legs`, { token: ops }),
		);
		const closeAfter = Date.parse(legs.legs[0]?.close_after ?? "");
		expect(legs.legs[0]?.open).toBe(true);
		// Still in the grace: the binding lives on, and a tap now says when it will end.
		expect((await pool.bindings()).some((b) => b.out_id === open.call_id)).toBe(true);
		const tapped = await json<Binding>(await makeCall(c.bearer, recordId));
		expect(tapped.call_id).toBe(open.call_id);
		expect(Date.parse(tapped.expires_at)).toBeLessThanOrEqual(closeAfter);

		// A call made within the grace expires at the provider by the leg's end.
		const second = await parcel(c);
		await events(service, [{ shipment_id: second.shipmentId, type: "delivered" }]);
		const late = await json<Binding>(await makeCall(c.bearer, second.recordId));
		const secondLegs = await json<{ legs: { close_after: string }[] }>(await call("GET", `/v1/shipments/${second.shipmentId}/legs`, { token: ops }));
		const secondEnd = Date.parse(secondLegs.legs[0]?.close_after ?? "");
		expect(Date.parse(late.expires_at)).toBeLessThanOrEqual(secondEnd);
		expect(Date.parse(late.expires_at)).toBeGreaterThan(secondEnd - 1000);
		expect((await pool.bindings()).find((b) => b.out_id === late.call_id)?.expires_at).toBeLessThanOrEqual(secondEnd);

		// The grace ends: the minute cron unbinds the first at the provider (made for two hours); the
		// second is past its own expiry, which the provider honours, and is only marked.
		await runCron("* * * * *", Math.max(closeAfter, secondEnd) + 1000, { ...env, ...withPool } as Env);
		expect((await pool.bindings()).some((b) => b.out_id === open.call_id)).toBe(false);
		expect((await pool.requests()).filter((r) => r.action === "UnbindSubscription" && r.code === "OK").length).toBeGreaterThan(0);
		const rows = await env.DB.prepare("SELECT id, end_reason FROM calls WHERE id IN (?1, ?2)")
			.bind(open.call_id, late.call_id)
			.all<{ id: string; end_reason: string }>();
		expect(Object.fromEntries(rows.results.map((row) => [row.id, row.end_reason]))).toEqual({ [open.call_id]: "leg_closed", [late.call_id]: "expired" });
	});

	it("cancelling the shipment unbinds at once, and moving the leg to another courier does too", async () => {
		const c = await courier("call-courier-cancel");
		const cancelled = await parcel(c);
		const a = await json<Binding>(await makeCall(c.bearer, cancelled.recordId));
		expect((await pool.bindings()).some((b) => b.out_id === a.call_id)).toBe(true);
		await events(service, [{ shipment_id: cancelled.shipmentId, type: "cancelled" }]);
		expect((await pool.bindings()).some((b) => b.out_id === a.call_id)).toBe(false);
		expect(await env.DB.prepare("SELECT end_reason FROM calls WHERE id = ?1").bind(a.call_id).first()).toEqual({ end_reason: "leg_closed" });

		const moved = await parcel(c);
		const b = await json<Binding>(await makeCall(c.bearer, moved.recordId));
		await events(service, [{ shipment_id: moved.shipmentId, type: "out_for_delivery", courier: "call-courier-other", depot: c.depot }]);
		expect((await pool.bindings()).some((binding) => binding.out_id === b.call_id)).toBe(false);
		// The old holder's leg is gone: a new call is stale, not a binding.
		const again = await makeCall(c.bearer, moved.recordId);
		expect(again.status).toBe(403);

		const ended = (await auditOf(cancelled.recordId, c.bearer)).filter((entry) => entry.kind === "call.ended");
		expect(JSON.parse(ended[0]?.details ?? "{}")).toMatchObject({ calls: [{ call_id: a.call_id, reason: "leg_closed" }], by: "vault" });
	});

	it("DELETE ends it: the caller or ops (204), nobody else (404)", async () => {
		const c = await courier("call-courier-end");
		const other = await courier("call-courier-end-other");
		const first = await parcel(c);
		const a = await json<Binding>(await makeCall(c.bearer, first.recordId));
		expect((await callWith(withPool, "DELETE", `/v1/calls/${a.call_id}`, { token: other.bearer })).status).toBe(404);
		expect((await callWith(withPool, "DELETE", `/v1/calls/${a.call_id}`, { token: c.bearer })).status).toBe(204);
		expect((await pool.bindings()).some((b) => b.out_id === a.call_id)).toBe(false);
		expect((await callWith(withPool, "DELETE", `/v1/calls/${a.call_id}`, { token: c.bearer })).status).toBe(204);
		// Ended, so the next call is a new binding.
		const fresh = await json<Binding>(await makeCall(c.bearer, first.recordId));
		expect(fresh.call_id).not.toBe(a.call_id);
		expect((await callWith(withPool, "DELETE", `/v1/calls/${fresh.call_id}`, { token: ops })).status).toBe(204);
		const reasons = await env.DB.prepare("SELECT end_reason FROM calls WHERE id IN (?1, ?2) ORDER BY created_at")
			.bind(a.call_id, fresh.call_id)
			.all<{ end_reason: string }>();
		expect(reasons.results.map((row) => row.end_reason).sort()).toEqual(["ended_by_caller", "ended_by_ops"]);
		expect((await callWith(withPool, "DELETE", "/v1/calls/not-a-call", { token: c.bearer })).status).toBe(422);
	});
});

describe("provider failures never fall back to the number", () => {
	it("an end the provider cannot do now: 503, audited, handed out to nobody meanwhile, and the minute cron ends it once the provider is back", async () => {
		const flaky = await simulatorPool();
		const withFlaky = { TELEPHONY: flaky.telephony };
		const c = await courier("call-courier-end-later");
		const { recordId } = await parcel(c);
		const binding = await json<Binding>(await makeCall(c.bearer, recordId, "delivery", withFlaky));
		await flaky.setMode("down");
		const refused = await callWith(withFlaky, "DELETE", `/v1/calls/${binding.call_id}`, { token: c.bearer });
		expect(refused.status).toBe(503);
		expect((await json<{ type: string }>(refused)).type).toBe("/problems/telephony-unavailable");
		expect(await env.DB.prepare("SELECT ended_at, end_requested_reason, unbind_attempts FROM calls WHERE id = ?1").bind(binding.call_id).first()).toEqual({
			ended_at: null,
			end_requested_reason: "ended_by_caller",
			unbind_attempts: 1,
		});
		const failed = (await auditOf(recordId, c.bearer)).find((entry) => entry.kind === "call.failed");
		expect(JSON.parse(failed?.details ?? "{}")).toMatchObject({ call_id: binding.call_id, action: "UnbindSubscription", failure: "unavailable" });

		// Still down at the next minute: counted, kept. Up again: ended.
		await runCron("* * * * *", Date.now(), { ...env, ...withFlaky } as Env);
		expect((await env.DB.prepare("SELECT unbind_attempts FROM calls WHERE id = ?1").bind(binding.call_id).first())?.unbind_attempts).toBe(2);
		await flaky.setMode("up");

		// Tapping Call again before the cron has ended it: the ended binding is not handed back, no
		// second one is made beside it (one per leg), and nothing is counted.
		const tapped = await makeCall(c.bearer, recordId, "delivery", withFlaky);
		const tappedText = await tapped.text();
		expect(tapped.status).toBe(409);
		expect(JSON.parse(tappedText)).toMatchObject({ type: "/problems/call-ending" });
		expect(tapped.headers.get("Retry-After")).toBe("60");
		expect(tappedText).not.toContain(binding.virtual_number);
		expect(tappedText).not.toContain(binding.call_id);
		expect((await flaky.bindings()).map((b) => b.out_id)).toEqual([binding.call_id]);

		await runCron("* * * * *", Date.now(), { ...env, ...withFlaky } as Env);
		expect((await flaky.bindings()).some((b) => b.out_id === binding.call_id)).toBe(false);
		expect((await env.DB.prepare("SELECT end_reason FROM calls WHERE id = ?1").bind(binding.call_id).first())?.end_reason).toBe("ended_by_caller");
		// Ended: the next tap is a new binding, the second call counted (the refused tap was not).
		const again = await makeCall(c.bearer, recordId, "delivery", withFlaky);
		expect(again.status).toBe(201);
		expect((await json<Binding>(again)).call_id).not.toBe(binding.call_id);
		expect(again.headers.get("RateLimit")).toContain('"call_daily";r=398;');
	});

	it("provider down: 503 telephony-unavailable, a call.failed entry, the count given back, no phone anywhere", async () => {
		const down = await simulatorPool();
		const c = await courier("call-courier-down");
		const { recordId, customer } = await parcel(c);
		await down.setMode("down");
		const { lines, result: response } = await consoleDuring(() => makeCall(c.bearer, recordId, "delivery", { TELEPHONY: down.telephony }));
		expect(response.status).toBe(503);
		const text = await response.text();
		expect(JSON.parse(text)).toMatchObject({ type: "/problems/telephony-unavailable", provider: "aliyun" });
		expectNoPhones(text, customer, c.phone);
		expectNoPhones(lines.join("\n"), customer, c.phone);
		const entries = await auditOf(recordId, c.bearer);
		expect(entries.map((entry) => entry.kind)).toEqual(expect.arrayContaining(["call.granted", "call.failed"]));
		expect(JSON.parse(entries.find((entry) => entry.kind === "call.failed")?.details ?? "{}")).toMatchObject({ failure: "unavailable", action: "BindAxb" });
		expectNoPhones(JSON.stringify(entries), customer, c.phone);
		expect(await env.DB.prepare("SELECT count(*) AS n FROM calls WHERE record_id = ?1").bind(recordId).first()).toEqual({ n: 0 });

		// Up again: the failed try did not use up a call.
		await down.setMode("up");
		const retried = await makeCall(c.bearer, recordId, "delivery", { TELEPHONY: down.telephony });
		expect(retried.status).toBe(201);
		expect(retried.headers.get("RateLimit")).toContain('"call_daily";r=399;');
	});

	it.each([
		["exhausted", 503, "telephony-no-number", "no-number"],
		["throttled", 503, "telephony-unavailable", "unavailable"],
		["hang", 503, "telephony-unavailable", "unavailable"],
	] as const)("provider %s: %i %s, audited, nothing bound, nothing leaked", async (mode, status, type, failure) => {
		const failing = await simulatorPool();
		// A hung provider is given up on after timeout_ms.
		const telephony = JSON.stringify({ ...JSON.parse(failing.telephony), timeout_ms: 300 });
		const c = await courier(`call-courier-${mode}`);
		const { recordId, customer } = await parcel(c);
		await failing.setMode(mode);
		const response = await makeCall(c.bearer, recordId, "delivery", { TELEPHONY: telephony });
		expect(response.status).toBe(status);
		const text = await response.text();
		expect(JSON.parse(text).type).toBe(`/problems/${type}`);
		expectNoPhones(text, customer, c.phone);
		const failed = (await auditOf(recordId, c.bearer)).find((entry) => entry.kind === "call.failed");
		expect(JSON.parse(failed?.details ?? "{}")).toMatchObject({ failure });
		await failing.setMode("up");
		expect(await failing.bindings()).toEqual([]);
	});

	it("a wrong secret is refused by the simulator's signature check and answered 502 telephony-misconfigured", async () => {
		const c = await courier("call-courier-secret");
		const { recordId, customer } = await parcel(c);
		const wrong = JSON.stringify({ ...JSON.parse(pool.telephony), access_key_secret: "not-the-secret" });
		const response = await makeCall(c.bearer, recordId, "delivery", { TELEPHONY: wrong });
		expect(response.status).toBe(502);
		const text = await response.text();
		expect(JSON.parse(text)).toMatchObject({ type: "/problems/telephony-misconfigured", variable: "TELEPHONY", provider_code: "SignatureDoesNotMatch" });
		expectNoPhones(text, customer, c.phone);
		expect((await pool.requests()).some((r) => r.action === "BindAxb" && r.code === "SignatureDoesNotMatch")).toBe(true);
		const failed = (await auditOf(recordId, c.bearer)).find((entry) => entry.kind === "call.failed");
		expect(JSON.parse(failed?.details ?? "{}")).toMatchObject({ failure: "configuration", provider_code: "SignatureDoesNotMatch" });
	});
});

describe("calls are limited and judged like reveals", () => {
	it("count in their own limits: the 31st call in ten minutes is refused, the courier's reveal quota untouched", async () => {
		const c = await courier("call-courier-burst");
		const body = (i: number) =>
			recordBody({ depot: c.depot, courier: c.sub, contact: { name: "王五", phone: freshPhone("137").national, address: `广东省深圳市福田区${i}号` } });
		const bodies = Array.from({ length: 31 }, (_, i) => body(i));
		const created = await call("POST", "/v1/records/batch", { token: service, body: { records: bodies } });
		expect(created.status).toBe(201);
		const ids = (await json<{ ids: string[] }>(created)).ids;
		await events(
			service,
			bodies.map((b) => ({ shipment_id: b.shipment_id, type: "out_for_delivery", courier: c.sub, depot: c.depot })),
		);
		const statuses: number[] = [];
		let last: Response | undefined;
		for (const id of ids) {
			last = await makeCall(c.bearer, id);
			statuses.push(last.status);
		}
		expect(statuses.slice(0, 30)).toEqual(Array(30).fill(201));
		expect(statuses[30]).toBe(429);
		const refused = await json<{ type: string; limit: string }>(last as Response);
		expect(refused).toMatchObject({ type: "/problems/quota-exceeded", limit: "call_burst" });
		expect(Number((last as Response).headers.get("Retry-After"))).toBeGreaterThan(0);
		expect((last as Response).headers.get("RateLimit")).toContain('"call_burst";r=0;');

		// A refusal decided before the limiter's rules (no such record) reports where the call rules stand.
		const unknown = await makeCall(c.bearer, `rec_${"0".repeat(26)}`);
		expect(unknown.status).toBe(404);
		expect(unknown.headers.get("RateLimit")).toContain('"call_burst";r=0;');
		expect(unknown.headers.get("RateLimit")).toContain('"call_daily";r=370;');

		// Reveals are counted apart: nothing of the reveal quota was used.
		const quota = await json<{ limits: { kind: string; used: number }[] }>(await call("GET", "/v1/reveals/quota", { token: c.bearer }));
		expect(quota.limits.map((limit) => limit.used)).toEqual(quota.limits.map(() => 0));
	});

	it("are policy: an employee layer's call limits replace the role's, a depot's daily shows beside them, and removing the layer gives the built-ins back", async () => {
		const c = await courier("call-courier-layered", "CALL-LAYER");
		const put = (path: string, body: unknown) => call("PUT", path, { token: ops, body });
		// Report-only layers cannot carry call limits (nothing replays calls to trial them), and the burst needs its window.
		const trial = await put(`/v1/policies/employee/${c.sub}`, { mode: "report-only", call_daily_limit: 5 });
		expect(trial.status).toBe(422);
		expect((await json<{ errors: { pointer: string }[] }>(trial)).errors.map((error) => error.pointer)).toEqual(["/call_daily_limit"]);
		const windowless = await put(`/v1/policies/employee/${c.sub}`, { mode: "enforce", call_burst_limit: 3 });
		expect(windowless.status).toBe(422);
		expect((await json<{ errors: { pointer: string }[] }>(windowless)).errors.map((error) => error.pointer)).toEqual(["/call_burst_window_seconds"]);
		const daily = await put("/v1/policies/depot/CALL-LAYER", { mode: "enforce", call_daily_limit: 50, call_distinct_limit: 40 });
		expect(daily.status).toBe(201);
		const layer = await put(`/v1/policies/employee/${c.sub}`, { mode: "enforce", call_burst_limit: 3, call_burst_window_seconds: 900 });
		expect(layer.status).toBe(201);

		const effective = await json<{ calls: { kind: string; limit: number; window_seconds: number; layer: string }[] }>(
			await call("GET", `/v1/policies/effective?subject=${c.sub}&role=courier&depot=CALL-LAYER`, { token: ops }),
		);
		expect(effective.calls).toEqual([
			expect.objectContaining({ kind: "burst", limit: 3, window_seconds: 900, layer: "employee" }),
			expect.objectContaining({ kind: "daily", limit: 50, window_seconds: 86_400, layer: "depot" }),
			expect.objectContaining({ kind: "distinct", limit: 40, window_seconds: 86_400, layer: "depot" }),
		]);

		const parcels = [];
		for (let i = 0; i < 5; i++) parcels.push(await parcel(c));
		const binds = async () => (await pool.requests()).filter((r) => r.action === "BindAxb").length;
		const statuses: number[] = [];
		for (const { recordId } of parcels.slice(0, 3)) statuses.push((await makeCall(c.bearer, recordId)).status);
		expect(statuses).toEqual([201, 201, 201]);
		const bindsBefore = await binds();
		const refused = await makeCall(c.bearer, parcels[3]?.recordId as string);
		expect(refused.status).toBe(429);
		expect(await json(refused)).toMatchObject({ type: "/problems/quota-exceeded", limit: "call_burst" });
		expect(refused.headers.get("RateLimit-Policy")).toBe('"call_burst";q=3;w=900, "call_daily";q=50;w=86400, "call_distinct";q=40;w=86400');
		// Refused by the limiter, so the provider was never asked.
		expect(await binds()).toBe(bindsBefore);
		// Where the call limits stand, to ops and to the courier: three counted, the burst spent.
		const status = await json<{ calls_last_24h: number; call_limits: { kind: string; limit: number; used: number; layer: string }[] }>(
			await call("GET", `/v1/employees/${c.sub}?role=courier&depot=CALL-LAYER`, { token: ops }),
		);
		// Seen by their calls alone (their audit entries may not have reached D1 yet): not a 404.
		expect(status.calls_last_24h).toBe(3);
		expect(status.call_limits).toEqual([
			expect.objectContaining({ kind: "burst", limit: 3, used: 3, layer: "employee" }),
			expect.objectContaining({ kind: "daily", limit: 50, used: 3, layer: "depot" }),
			expect.objectContaining({ kind: "distinct", limit: 40, used: 3, layer: "depot" }),
		]);
		const own = await json<{ limits: { kind: string; used: number }[]; call_limits: { kind: string; remaining: number }[] }>(
			await call("GET", "/v1/reveals/quota", { token: c.bearer }),
		);
		expect(own.call_limits.map((rule) => [rule.kind, rule.remaining])).toEqual([
			["burst", 0],
			["daily", 47],
			["distinct", 37],
		]);
		// The reveal limits are their own: nothing of them used.
		expect(own.limits.map((rule) => rule.used)).toEqual([0, 0, 0]);

		// The layer removed, the courier's built-in burst (30 per 600 s) applies again at once.
		const removed = await call("DELETE", `/v1/policies/employee/${c.sub}`, { token: ops, headers: { "If-Match": '"1"' } });
		expect(removed.status).toBe(204);
		const again = await makeCall(c.bearer, parcels[4]?.recordId as string);
		expect(again.status).toBe(201);
		expect(again.headers.get("RateLimit-Policy")).toBe('"call_burst";q=30;w=600, "call_daily";q=50;w=86400, "call_distinct";q=40;w=86400');
		expect(again.headers.get("RateLimit")).toContain('"call_daily";r=46;');
	});

	it("a refused call spends the refusal budget as a refused reveal does: past it 429 too-many-refusals, summed in the minute's entry, nothing bound", async () => {
		const c = await courier("call-courier-over-budget", "CALL-REFUSE");
		const layer = { mode: "enforce", call_burst_limit: 1, call_burst_window_seconds: 600, refusal_limit: 1 };
		expect((await call("PUT", `/v1/policies/employee/${c.sub}`, { token: ops, body: layer })).status).toBe(201);
		const [bound, withinBudget, pastBudget] = [await parcel(c), await parcel(c), await parcel(c)];
		const binds = async () => (await pool.requests()).filter((r) => r.action === "BindAxb").length;
		expect((await makeCall(c.bearer, bound.recordId)).status).toBe(201);
		const bindsBefore = await binds();
		const refused = await makeCall(c.bearer, withinBudget.recordId);
		expect(refused.status).toBe(429);
		expect(await json<{ type: string; limit: string }>(refused)).toMatchObject({ type: "/problems/quota-exceeded", limit: "call_burst" });
		const summed = await makeCall(c.bearer, pastBudget.recordId);
		expect(summed.status).toBe(429);
		expect(Number(summed.headers.get("Retry-After"))).toBeGreaterThan(600);
		expect((await json<{ type: string }>(summed)).type).toMatch(/too-many-refusals$/);
		expect(await binds()).toBe(bindsBefore);
		// Within the budget the refusal has its own entry; past it, only the minute's summary names the record.
		expect((await auditOf(withinBudget.recordId, c.bearer)).map((entry) => entry.kind)).toContain("call.denied");
		const past = await auditOf(pastBudget.recordId, c.bearer);
		expect(past.map((entry) => entry.kind)).not.toContain("call.denied");
		const summaries = past.filter((entry) => entry.kind === "refusals.summarized");
		expect(summaries.reduce((sum, entry) => sum + Number((JSON.parse(entry.details) as Record<string, unknown>).call_burst ?? 0), 0)).toBe(1);
	});

	it("the what-if replays them: the recorded calls under a proposed call burst, a double tap counted nowhere", async () => {
		const c = await courier("call-courier-whatif", "CALL-WHATIF");
		const parcels = [];
		for (let i = 0; i < 5; i++) parcels.push(await parcel(c));
		for (const { recordId } of parcels) expect((await makeCall(c.bearer, recordId)).status).toBe(201);
		// A double tap: the live binding again, recorded as reused, never counted.
		expect((await makeCall(c.bearer, parcels[0]?.recordId as string)).status).toBe(201);
		await settle(c.bearer);

		const proposal = { layer: "employee", target: c.sub, mode: "enforce", call_burst_limit: 3, call_burst_window_seconds: 600 };
		const response = await call("POST", "/v1/policies/simulate", { token: ops, body: { days: 1, depot: "CALL-WHATIF", layers: [proposal] } });
		expect(response.status).toBe(200);
		const result = await json<{
			calls: {
				calls: number;
				recorded: { granted: number; refused: number };
				current: { refused: number };
				proposed: { refused: number; by_reason: Record<string, number> };
			};
			principals: { subject: string; calls: { replayed: number; current: number; proposed: number } }[];
			bound: { calls_read: number };
		}>(response);
		expect(result.calls).toMatchObject({
			calls: 6,
			recorded: { granted: 6, refused: 0 },
			current: { refused: 0 },
			proposed: { refused: 2, by_reason: { call_burst: 2 } },
		});
		expect(result.principals.find((p) => p.subject === c.sub)?.calls).toEqual({ replayed: 6, current: 0, proposed: 2 });
		expect(result.bound.calls_read).toBe(6);
		// Nothing was saved: the courier's calls are still under the role's burst.
		const effective = await json<{ calls: { kind: string; limit: number }[] }>(
			await call("GET", `/v1/policies/effective?subject=${c.sub}&role=courier&depot=CALL-WHATIF`, { token: ops }),
		);
		expect(effective.calls.find((rule) => rule.kind === "burst")?.limit).toBe(30);
	});

	it("exactly: 25 concurrent calls by a clerk against a burst of 20 give 20 bindings", async () => {
		const phone = freshPhone("139");
		const clerk = await token({ sub: "call-clerk-burst", role: "clerk", depot: "CALL-CONC", scope: "reveal", extra: { phone_number: phone.e164 } });
		const bodies = Array.from({ length: 25 }, () =>
			recordBody({
				depot: "CALL-CONC",
				courier: "call-conc-courier",
				contact: { name: "赵六", phone: freshPhone("136").national, address: "广东省深圳市南山区1号" },
			}),
		);
		const created = await call("POST", "/v1/records/batch", { token: service, body: { records: bodies } });
		const ids = (await json<{ ids: string[] }>(created)).ids;
		await events(
			service,
			bodies.map((b) => ({ shipment_id: b.shipment_id, type: "out_for_delivery", courier: "call-conc-courier", depot: "CALL-CONC" })),
		);
		const responses = await Promise.all(ids.map((id) => makeCall(clerk, id)));
		const statuses = responses.map((r) => r.status);
		expect(statuses.filter((status) => status === 201)).toHaveLength(20);
		expect(statuses.filter((status) => status === 429)).toHaveLength(5);
		expect((await pool.bindings()).filter((binding) => binding.phone_no_a === phone.national)).toHaveLength(20);
	});

	it("a call for a honeytoken suspends the caller, as a reveal would", async () => {
		const c = await courier("call-courier-trap", "CALL-HT");
		const before = await parcel(c);
		const live = await json<Binding>(await makeCall(c.bearer, before.recordId));
		const planted = await call("POST", "/v1/honeytokens", { token: ops, body: { record: recordBody({ depot: c.depot, courier: c.sub }) } });
		expect(planted.status).toBe(201);
		const trap = (await json<{ record_id: string }>(planted)).record_id;
		const response = await makeCall(c.bearer, trap);
		expect(response.status).toBe(423);
		expect((await json<{ type: string }>(response)).type).toBe("/problems/suspended");
		const entries = await auditOf(trap, c.bearer);
		expect(entries.map((entry) => entry.kind)).toEqual(expect.arrayContaining(["call.denied", "principal.suspended"]));
		const alert = await env.DB.prepare("SELECT kind FROM alerts WHERE kind = 'honeytoken_touched' AND details LIKE ?1").bind(`%${trap}%`).first();
		expect(alert).toEqual({ kind: "honeytoken_touched" });
		// Suspended for calls and reveals alike: the courier's own open parcel no longer binds.
		const own = await parcel(c);
		expect((await makeCall(c.bearer, own.recordId)).status).toBe(423);
		expect((await call("POST", "/v1/reveals", { token: c.bearer, body: { record_id: own.recordId, fields: ["phone"], purpose: "delivery" } })).status).toBe(
			423,
		);
		// The binding made before the suspension ends at the next minute.
		expect((await pool.bindings()).some((binding) => binding.out_id === live.call_id)).toBe(true);
		await runCron("* * * * *", Date.now(), { ...env, ...withPool } as Env);
		expect((await pool.bindings()).filter((binding) => binding.phone_no_a === c.phone.national)).toHaveLength(0);
		expect((await env.DB.prepare("SELECT end_reason FROM calls WHERE id = ?1").bind(live.call_id).first())?.end_reason).toBe("caller_suspended");
	});

	it("erasing the record ends its binding at the next minute", async () => {
		const c = await courier("call-courier-erased");
		const { recordId } = await parcel(c);
		const binding = await json<Binding>(await makeCall(c.bearer, recordId));
		const eraser = await token({ sub: "calls-eraser", scope: "records:delete" });
		expect((await call("DELETE", `/v1/records/${recordId}`, { token: eraser })).status).toBe(204);
		await runCron("* * * * *", Date.now(), { ...env, ...withPool } as Env);
		expect((await pool.bindings()).some((b) => b.out_id === binding.call_id)).toBe(false);
		expect((await env.DB.prepare("SELECT end_reason FROM calls WHERE id = ?1").bind(binding.call_id).first())?.end_reason).toBe("record_erased");
	});
});
