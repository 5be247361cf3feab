/**
 * The plaintext phone becomes the exception (DESIGN "Calls instead of numbers", issue 15 item 4):
 * a phone reveal for delivery or pickup needs a call on the open leg first, made through the
 * provider simulator (a real HTTP server), and has its own daily limit per role. Each test takes
 * a simulator pool of its own, so the bindings it makes are its own.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { call, callWith, json, recordBody } from "./support/api";
import { settle } from "./support/settle";
import { simulatorPool } from "./support/telephony";
import { token } from "./support/tokens";

let withPool: Partial<Env>;
let service: string;

beforeAll(async () => {
	// A courier's eleven calls below bind eleven numbers to one phone at once.
	const pool = await simulatorPool({ numbers: Array.from({ length: 20 }, (_, i) => String(17200000000 + i)) });
	withPool = { TELEPHONY: pool.telephony };
	service = await token({ sub: "phone-reveals-svc", scope: "records:write records:read" });
});

let serial = 0;
/** A fresh mainland mobile in national digits. */
const freshPhone = () => `137${String(Date.now() % 10_000).padStart(4, "0")}${String(++serial).padStart(4, "0")}`;

const employee = (role: "courier" | "clerk" | "supervisor", sub: string, depot: string) =>
	token({ sub, role, depot, scope: "reveal", extra: { phone_number: `+86${freshPhone()}` } });

/** A record of `party` assigned to the courier, with its leg open (out for delivery, or a pickup scheduled). */
async function parcel(courier: string, depot: string, party: "recipient" | "sender" = "recipient"): Promise<{ recordId: string; shipmentId: string }> {
	const body = recordBody({
		depot,
		party,
		courier,
		contact: { name: "王五", phone: freshPhone(), address: "广东省深圳市南山区科技园路3号" },
	});
	const created = await call("POST", "/v1/records", { token: service, body });
	expect(created.status).toBe(201);
	const shipmentId = body.shipment_id as string;
	await events([{ shipment_id: shipmentId, type: party === "recipient" ? "out_for_delivery" : "pickup_scheduled", courier, depot }]);
	return { recordId: (await json<{ id: string }>(created)).id, shipmentId };
}

async function events(list: Record<string, unknown>[]): Promise<void> {
	const response = await call("POST", "/v1/shipment-events", { token: service, body: { events: list } });
	expect(response.status, await response.clone().text()).toBe(200);
}

const reveal = (bearer: string, recordId: string, purpose = "delivery", fields = ["phone"], caseId?: string) =>
	call("POST", "/v1/reveals", { token: bearer, body: { record_id: recordId, fields, purpose, ...(caseId ? { case_id: caseId } : {}) } });

async function callCustomer(bearer: string, recordId: string, purpose = "delivery"): Promise<void> {
	const made = await callWith(withPool, "POST", "/v1/calls", { token: bearer, body: { record_id: recordId, purpose } });
	expect(made.status).toBe(201);
}

async function quota(bearer: string): Promise<{ suspended: boolean }> {
	return json<{ suspended: boolean }>(await call("GET", "/v1/reveals/quota", { token: bearer }));
}

describe("a phone for delivery or pickup needs a call first", () => {
	it("without a call: 403 call-first, audited, never counted toward suspension; after a call on the open leg: granted and redeemed", async () => {
		const depot = "PH-1";
		const courier = await employee("courier", "ph-courier-1", depot);
		const { recordId } = await parcel("ph-courier-1", depot);

		// Twelve asks, past the ten out-of-scope asks that would suspend: refused each time, never suspended.
		for (let i = 0; i < 12; i++) {
			const refused = await reveal(courier, recordId);
			expect(refused.status).toBe(403);
			const problem = await json<{ type: string; reason: string }>(refused);
			expect(problem).toMatchObject({ type: "/problems/call-first", reason: "call_first" });
			expect(refused.headers.get("RateLimit-Policy")).toContain('"plaintext_phone";q=10;w=86400');
		}
		expect(await quota(courier)).toMatchObject({ suspended: false });
		// Other fields of the same parcel are not the exception.
		expect((await reveal(courier, recordId, "delivery", ["name"])).status).toBe(201);

		await callCustomer(courier, recordId);
		const granted = await reveal(courier, recordId);
		expect(granted.status).toBe(201);
		expect(granted.headers.get("RateLimit")).toMatch(/"plaintext_phone";r=9;t=\d+/);
		const redeemed = await call("POST", "/v1/reveals/redeem", {
			token: courier,
			body: { reveal_token: (await json<{ reveal_token: string }>(granted)).reveal_token },
		});
		expect(redeemed.status).toBe(200);
		expect((await json<{ fields: Record<string, string> }>(redeemed)).fields.phone).toMatch(/^\+86137\d{8}$/);

		await settle(courier);
		const { results } = await env.DB.prepare("SELECT kind, details FROM audit_log WHERE record_id = ?1 AND kind = 'reveal.denied'")
			.bind(recordId)
			.all<{ kind: string; details: string }>();
		expect(results.length).toBeGreaterThan(0);
		expect(JSON.parse(results[0]?.details ?? "{}")).toMatchObject({ reason: "call_first", purpose: "delivery", fields: ["phone"] });
	});

	it("a call the provider has not bound yet opens nothing, nor one it refused; the binding does", async () => {
		const depot = "PH-PEND";
		const sub = "ph-courier-pending";
		const courier = await employee("courier", sub, depot);
		const { recordId } = await parcel(sub, depot);
		const hanging = await simulatorPool();
		await hanging.setMode("hang");
		const withHanging = { TELEPHONY: JSON.stringify({ ...JSON.parse(hanging.telephony), timeout_ms: 30_000 }) };
		const pending = callWith(withHanging, "POST", "/v1/calls", { token: courier, body: { record_id: recordId, purpose: "delivery" } });
		// The limiter counts the call as it decides it, before the provider answers: wait for that count.
		const counted = async () =>
			(await json<{ call_limits: { kind: string; used: number }[] }>(await call("GET", "/v1/reveals/quota", { token: courier }))).call_limits.find(
				(limit) => limit.kind === "daily",
			)?.used;
		for (let polls = 0; (await counted()) !== 1; polls++) {
			expect(polls, "the call was never counted").toBeLessThan(600);
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		const whileBinding = await reveal(courier, recordId);
		expect(whileBinding.status).toBe(403);
		expect(await json<{ type: string }>(whileBinding)).toMatchObject({ type: "/problems/call-first" });

		// The provider gives up: the call fails (503), its count is given back, and still nothing opens.
		await hanging.setMode("down");
		expect((await pending).status).toBe(503);
		expect((await reveal(courier, recordId)).status).toBe(403);

		await callCustomer(courier, recordId);
		expect((await reveal(courier, recordId)).status).toBe(201);
	});

	it("a call on another parcel, or on the parcel's earlier leg, does not open this one", async () => {
		const depot = "PH-2";
		const courier = await employee("courier", "ph-courier-2", depot);
		const first = await parcel("ph-courier-2", depot);
		const second = await parcel("ph-courier-2", depot);
		await callCustomer(courier, first.recordId);
		expect((await json<{ type: string }>(await reveal(courier, second.recordId))).type).toBe("/problems/call-first");
		// The parcel goes out again on a new leg after its delivery: the earlier call was on the old leg.
		await events([{ shipment_id: first.shipmentId, type: "delivered" }]);
		await events([{ shipment_id: first.shipmentId, type: "out_for_delivery", courier: "ph-courier-2", depot }]);
		const afterNewLeg = await reveal(courier, first.recordId);
		expect(afterNewLeg.status).toBe(403);
		expect((await json<{ type: string }>(afterNewLeg)).type).toBe("/problems/call-first");
	});

	it("a pickup's sender phone follows the same rule", async () => {
		const depot = "PH-3";
		const courier = await employee("courier", "ph-courier-3", depot);
		const { recordId } = await parcel("ph-courier-3", depot, "sender");
		expect((await json<{ type: string }>(await reveal(courier, recordId, "pickup"))).type).toBe("/problems/call-first");
		await callCustomer(courier, recordId, "pickup");
		expect((await reveal(courier, recordId, "pickup")).status).toBe(201);
	});
});

describe("the plaintext phone limit", () => {
	it("refuses a courier's 11th plaintext phone of the day with 429 quota-exceeded, limit plaintext_phone, Retry-After and RateLimit", async () => {
		const depot = "PH-4";
		const courier = await employee("courier", "ph-courier-4", depot);
		const parcels = await Promise.all(Array.from({ length: 11 }, () => parcel("ph-courier-4", depot)));
		const statuses: number[] = [];
		let last: Response | null = null;
		for (const { recordId } of parcels) {
			await callCustomer(courier, recordId);
			last = await reveal(courier, recordId);
			statuses.push(last.status);
		}
		expect(statuses).toEqual([...Array(10).fill(201), 429]);
		const refused = last as Response;
		expect(await json(refused)).toMatchObject({ type: "/problems/quota-exceeded", limit: "plaintext_phone" });
		expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
		expect(refused.headers.get("RateLimit")).toMatch(/"plaintext_phone";r=0;t=\d+/);
		// Names are still there to reveal: the limit is on phones only.
		expect((await reveal(courier, parcels[10]?.recordId as string, "delivery", ["name"])).status).toBe(201);
	});

	it("a clerk's delivery phone is refused by the 0 limit; the clerk's customer_service path is unchanged", async () => {
		const depot = "PH-5";
		const clerk = await employee("clerk", "ph-clerk-5", depot);
		const { recordId } = await parcel("ph-courier-5", depot);
		const refused = await reveal(clerk, recordId);
		expect(refused.status).toBe(429);
		expect(await json(refused)).toMatchObject({ type: "/problems/quota-exceeded", limit: "plaintext_phone" });
		expect(refused.headers.get("RateLimit-Policy")).toContain('"plaintext_phone";q=0;w=86400');
		// No call is asked for on the customer-service path, and no plaintext limit counts it.
		const service = await reveal(clerk, recordId, "customer_service", ["phone"], "CS-PH-5");
		expect(service.status).toBe(201);
		expect(service.headers.get("RateLimit-Policy") ?? "").not.toContain("plaintext_phone");
	});

	it("ops set it per layer (plaintext_phone_limit), and the effective policy says where it comes from", async () => {
		const ops = await token({ sub: "ph-ops", scope: "ops" });
		const put = await call("PUT", "/v1/policies/employee/ph-courier-6", { token: ops, body: { mode: "enforce", plaintext_phone_limit: 1 } });
		expect(put.status).toBe(201);
		expect(await json(put)).toMatchObject({ plaintext_phone_limit: 1 });
		const effective = await json<{ plaintext_phone: Record<string, unknown> }>(
			await call("GET", "/v1/policies/effective?subject=ph-courier-6&role=courier&depot=PH-6", { token: ops }),
		);
		expect(effective.plaintext_phone).toMatchObject({ kind: "plaintext_phone", limit: 1, layer: "employee" });
		const trial = await call("PUT", "/v1/policies/employee/ph-courier-7", { token: ops, body: { mode: "report-only", plaintext_phone_limit: 1 } });
		expect(trial.status).toBe(422);

		const courier = await employee("courier", "ph-courier-6", "PH-6");
		const parcels = await Promise.all([parcel("ph-courier-6", "PH-6"), parcel("ph-courier-6", "PH-6")]);
		const statuses: number[] = [];
		for (const { recordId } of parcels) {
			await callCustomer(courier, recordId);
			statuses.push((await reveal(courier, recordId)).status);
		}
		expect(statuses).toEqual([201, 429]);
	});
});
