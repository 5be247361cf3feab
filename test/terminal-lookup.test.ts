/**
 * What a depot terminal's shipment lookup tells an employee beyond the masked contacts: whether a
 * shipment it shows none of is their depot's (not theirs) or unknown to their depot (a mistyped
 * number, or a parcel elsewhere: the same answer), and their work on each parcel (open, closed or
 * no leg). And the ops dashboard's calls per hour beside reveals.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { call, callWith, json, recordBody } from "./support/api";
import { settle } from "./support/settle";
import { type SimulatorPool, simulatorPool } from "./support/telephony";
import { employeeToken, serviceToken, token } from "./support/tokens";

interface Lookup {
	records: { id: string; party: string; leg: { state: string; kind: string | null } }[];
	shipment_known?: boolean;
}

let service: string;

beforeAll(async () => {
	service = await serviceToken();
});

async function create(fields: Record<string, unknown>): Promise<{ id: string; shipment: string }> {
	const body = recordBody(fields);
	const response = await call("POST", "/v1/records", { token: service, body });
	expect(response.status).toBe(201);
	return { id: (await json<{ id: string }>(response)).id, shipment: body.shipment_id as string };
}

async function events(list: Record<string, unknown>[]): Promise<void> {
	expect((await call("POST", "/v1/shipment-events", { token: service, body: { events: list } })).status).toBe(200);
}

async function lookup(bearer: string, shipment: string): Promise<{ status: number; body: Lookup; text: string }> {
	const response = await call("GET", `/v1/records?shipment_id=${encodeURIComponent(shipment)}`, { token: bearer });
	const text = await response.text();
	return { status: response.status, body: JSON.parse(text) as Lookup, text };
}

describe("GET /v1/records?shipment_id= for a terminal", () => {
	it("tells a parcel of the employee's depot that is not theirs from a number their depot does not hold, and no further", async () => {
		const mine = await employeeToken("courier", "tl-courier-a", "TL-1");
		const clerkElsewhere = await employeeToken("clerk", "tl-clerk-b", "TL-2");
		const own = await create({ depot: "TL-1", courier: "tl-courier-a" });
		const colleagues = await create({ depot: "TL-1", courier: "tl-courier-z" });
		const otherDepot = await create({ depot: "TL-2", courier: "tl-courier-y" });

		const found = await lookup(mine, own.shipment);
		expect(found.status).toBe(200);
		expect(found.body.records.map((record) => record.id)).toEqual([own.id]);
		expect(found.body.shipment_known).toBe(true);

		// A colleague's parcel at the courier's own depot: "not yours", with nothing of its contacts.
		const notYours = await lookup(mine, colleagues.shipment);
		expect(notYours.body).toEqual({ records: [], shipment_known: true });
		expect(notYours.text).not.toContain(colleagues.id);

		// Another depot's parcel reads exactly like a number nobody holds: the courier learns nothing of it.
		const elsewhere = await lookup(mine, otherDepot.shipment);
		const unknown = await lookup(mine, "TL-NO-SUCH-SHIPMENT");
		expect(elsewhere.body).toEqual({ records: [], shipment_known: false });
		expect(unknown.body).toEqual(elsewhere.body);

		// A clerk sees their whole depot: the other depot's parcel is found for its own clerk only.
		expect((await lookup(clerkElsewhere, otherDepot.shipment)).body.records.map((record) => record.id)).toEqual([otherDepot.id]);
		expect((await lookup(clerkElsewhere, own.shipment)).body).toEqual({ records: [], shipment_known: false });

		// Services see every record and get no depot answer: they have no depot.
		const asService = await lookup(service, colleagues.shipment);
		expect(asService.body.records.map((record) => record.id)).toEqual([colleagues.id]);
		expect(asService.body.shipment_known).toBeUndefined();
	});

	it("shows the employee's own work on each parcel: open while their leg lasts, closed once it ends, none without one", async () => {
		const courier = await employeeToken("courier", "tl-courier-legs", "TL-3");
		const supervisor = await employeeToken("supervisor", "tl-super-legs", "TL-3");
		const parcel = await create({ depot: "TL-3", courier: "tl-courier-legs" });
		expect((await lookup(courier, parcel.shipment)).body.records[0]?.leg).toEqual({ state: "none", kind: null });

		await events([{ shipment_id: parcel.shipment, type: "out_for_delivery", courier: "tl-courier-legs", depot: "TL-3" }]);
		expect((await lookup(courier, parcel.shipment)).body.records[0]?.leg).toEqual({ state: "open", kind: "delivery" });
		// The depot's supervisor works the depot's legs.
		expect((await lookup(supervisor, parcel.shipment)).body.records[0]?.leg).toEqual({ state: "open", kind: "delivery" });

		// Cancelled: the leg closes at once, no grace; the parcel is still assigned, so it still lists.
		await events([{ shipment_id: parcel.shipment, type: "cancelled" }]);
		expect((await lookup(courier, parcel.shipment)).body.records[0]?.leg).toEqual({ state: "closed", kind: "delivery" });

		// A sender's record has no part in the recipient's delivery leg.
		const sender = await create({ shipment_id: parcel.shipment, party: "sender", depot: "TL-3", courier: "tl-courier-legs" });
		const both = (await lookup(courier, parcel.shipment)).body.records;
		expect(both.find((record) => record.id === sender.id)?.leg).toEqual({ state: "none", kind: null });
	});

	it("moves with the work: a courier whose leg moved to a colleague no longer lists the parcel, and it reads as not theirs", async () => {
		const first = await employeeToken("courier", "tl-first", "TL-4");
		const second = await employeeToken("courier", "tl-second", "TL-4");
		const parcel = await create({ depot: "TL-4", courier: "tl-first" });
		await events([{ shipment_id: parcel.shipment, type: "out_for_delivery", courier: "tl-first", depot: "TL-4" }]);
		await events([{ shipment_id: parcel.shipment, type: "out_for_delivery", courier: "tl-second", depot: "TL-4" }]);
		expect((await lookup(first, parcel.shipment)).body).toEqual({ records: [], shipment_known: true });
		expect((await lookup(second, parcel.shipment)).body.records[0]?.leg).toEqual({ state: "open", kind: "delivery" });
	});
});

describe("GET /v1/dashboard: calls beside reveals", () => {
	let pool: SimulatorPool;
	let withPool: Partial<Env>;

	beforeAll(async () => {
		pool = await simulatorPool({ numbers: ["17200000001", "17200000002"] });
		withPool = { TELEPHONY: pool.telephony };
	});

	it("counts each depot's calls and refused calls per hour, in the same rows as its reveals", async () => {
		const ops = await token({ sub: "tl-ops", scope: "ops" });
		const caller = await token({ sub: "tl-caller", role: "courier", depot: "TL-CALLS", scope: "reveal", extra: { phone_number: "+8613900001111" } });
		const parcel = await create({
			depot: "TL-CALLS",
			courier: "tl-caller",
			contact: { name: "李四", phone: "13800007777", address: "广东省深圳市南山区科技园路3号" },
		});
		const notTheirs = await create({ depot: "TL-CALLS", courier: "tl-someone-else" });
		await events([{ shipment_id: parcel.shipment, type: "out_for_delivery", courier: "tl-caller", depot: "TL-CALLS" }]);
		const post = (path: string, body: unknown) => callWith(withPool, "POST", path, { token: caller, body });
		expect((await post("/v1/calls", { record_id: parcel.id, purpose: "delivery" })).status).toBe(201);
		expect((await post("/v1/calls", { record_id: notTheirs.id, purpose: "delivery" })).status).toBe(403);
		expect((await post("/v1/reveals", { record_id: parcel.id, purpose: "delivery", fields: ["name"] })).status).toBe(201);
		await settle(caller);

		const response = await call("GET", "/v1/dashboard?depot=TL-CALLS", { token: ops });
		expect(response.status).toBe(200);
		const body = await json<{ hours: { depot: string | null; reveals: number; refused: number; calls: number; calls_refused: number }[] }>(response);
		const rows = body.hours.filter((row) => row.depot === "TL-CALLS");
		const sum = (key: "reveals" | "refused" | "calls" | "calls_refused") => rows.reduce((total, row) => total + row[key], 0);
		expect({ calls: sum("calls"), calls_refused: sum("calls_refused"), reveals: sum("reveals"), refused: sum("refused") }).toEqual({
			calls: 1,
			calls_refused: 1,
			reveals: 1,
			refused: 0,
		});
		// No phone of anyone on the dashboard.
		expect(JSON.stringify(body)).not.toMatch(/13800007777|13900001111/);
	});
});
