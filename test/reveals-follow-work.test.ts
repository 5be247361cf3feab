import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, defaultFields, json, recordBody } from "./support/api";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, token } from "./support/tokens";

/** DESIGN "Reveals follow the work", over HTTP: the leg gate on the ask and the redeem, stale asks and probing. */

let service: string;
let ops: string;
let serial = 0;

beforeAll(async () => {
	service = await serviceToken("records:write records:read");
	ops = await token({ sub: "ops-legs", scope: "ops" });
});

interface Shipment {
	shipmentId: string;
	recipient: string;
	sender: string;
}

/** A shipment with both parties at `depot`; the recipient assigned to `courier` when given, the sender to nobody (as booked). No work reported. */
async function shipment(depot: string, courier?: string): Promise<Shipment> {
	serial += 1;
	const shipmentId = `FW${String(Date.now()).slice(-6)}${String(serial).padStart(5, "0")}`;
	const bodies = [
		recordBody({ shipment_id: shipmentId, party: "recipient", depot, courier }),
		recordBody({ shipment_id: shipmentId, party: "sender", depot, courier: undefined }),
	];
	const response = await call("POST", "/v1/records/batch", { token: service, body: { records: bodies } });
	expect(response.status).toBe(201);
	const [recipient, sender] = (await json<{ ids: string[] }>(response)).ids as [string, string];
	return { shipmentId, recipient, sender };
}

async function events(list: Record<string, unknown>[]): Promise<void> {
	const response = await call("POST", "/v1/shipment-events", { token: service, body: { events: list } });
	expect(response.status, await response.clone().text()).toBe(200);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The field is beside the point here: by default one the purpose allows without a call first (test/support/api.ts defaultFields). */
function ask(bearer: string, recordId: string, purpose: string, fields: string[] = defaultFields(purpose)) {
	const caseId = purpose === "customer_service" ? { case_id: "CS-FW-1" } : {};
	return call("POST", "/v1/reveals", { token: bearer, body: { record_id: recordId, fields, purpose, ...caseId } });
}

const redeem = (bearer: string, revealToken: string) => call("POST", "/v1/reveals/redeem", { token: bearer, body: { reveal_token: revealToken } });

async function deniedReasons(recordId: string): Promise<string[]> {
	const { results } = await env.DB.prepare("SELECT details FROM audit_log WHERE record_id = ?1 AND kind IN ('reveal.denied', 'reveal.voided') ORDER BY seq")
		.bind(recordId)
		.all<{ details: string }>();
	return results.map((row) => (JSON.parse(row.details) as { reason: string }).reason);
}

/**
 * Written out by hand from DESIGN: one open leg of a kind, held by the recipient's courier at the
 * depot; the recipient record is assigned to that courier, the sender's to nobody (a pickup leg is
 * what puts it in a courier's reach). Each cell: the answer to an ask for that purpose and party.
 * 201 granted; "leg" 403 no-active-leg; "scope" 403 out-of-scope; "purpose" 403 purpose-not-allowed.
 */
type Cell = 201 | "leg" | "scope" | "purpose";
type Row = Record<"delivery" | "pickup" | "return" | "customer_service", [recipient: Cell, sender: Cell]>;
const COURIER: Record<"delivery" | "pickup" | "return", Row> = {
	delivery: { delivery: [201, "scope"], pickup: ["purpose", "scope"], return: ["leg", "scope"], customer_service: [201, "scope"] },
	pickup: { delivery: ["leg", "scope"], pickup: ["purpose", 201], return: ["leg", "scope"], customer_service: [201, "scope"] },
	return: { delivery: ["leg", "scope"], pickup: ["purpose", "scope"], return: [201, 201], customer_service: [201, "scope"] },
};
/** Clerks and supervisors of the depot: both records are in their reach, so only the leg and the purpose decide. */
const DEPOT_STAFF: Record<"delivery" | "pickup" | "return", Row> = {
	delivery: { delivery: [201, "purpose"], pickup: ["purpose", "leg"], return: ["leg", "leg"], customer_service: [201, 201] },
	pickup: { delivery: ["leg", "purpose"], pickup: ["purpose", 201], return: ["leg", "leg"], customer_service: [201, 201] },
	return: { delivery: ["leg", "purpose"], pickup: ["purpose", "leg"], return: [201, 201], customer_service: [201, 201] },
};
const TYPE: Record<Exclude<Cell, 201>, string> = { leg: "/problems/no-active-leg", scope: "/problems/out-of-scope", purpose: "/problems/purpose-not-allowed" };
const OPENER = { delivery: "out_for_delivery", pickup: "pickup_scheduled", return: "return_started" } as const;

describe("the rules per purpose and role, over HTTP", () => {
	const rows: ["courier" | "clerk" | "supervisor", "delivery" | "pickup" | "return"][] = [];
	for (const role of ["courier", "clerk", "supervisor"] as const) for (const kind of ["delivery", "pickup", "return"] as const) rows.push([role, kind]);

	it.each(rows)("%s with an open %s leg", async (role, kind) => {
		const depot = `FWT-${role}-${kind}`;
		const holder = `fw-${role}-${kind}`;
		const parcel = await shipment(depot, holder);
		await events([{ shipment_id: parcel.shipmentId, type: OPENER[kind], courier: holder, depot }]);
		const bearer = await employeeToken(role, role === "courier" ? holder : `${holder}-staff`, depot);
		const table = role === "courier" ? COURIER[kind] : DEPOT_STAFF[kind];
		const seen: Record<string, [Cell, Cell]> = {};
		for (const [purpose, expected] of Object.entries(table)) {
			const cells: Cell[] = [];
			for (const [index, recordId] of [parcel.recipient, parcel.sender].entries()) {
				const response = await ask(bearer, recordId, purpose);
				if (response.status === 201) cells.push(201);
				else {
					const type = (await json<{ type: string }>(response)).type;
					const cell = (Object.entries(TYPE).find(([, t]) => t === type)?.[0] ?? `${response.status} ${type}`) as Cell;
					cells.push(cell);
					if (cell !== expected[index]) expect(response.status).toBe(403);
				}
			}
			seen[purpose] = cells as [Cell, Cell];
		}
		expect(seen).toEqual(table);
	});
});

describe("stale is not probing", () => {
	it("12 stale asks after a re-route: 403 telling the terminal to refresh, never 423; the courier's own open parcel still reveals, the new holder's too", async () => {
		const depot = "FW-STALE";
		const parcels = await Promise.all(Array.from({ length: 4 }, () => shipment(depot, "fw-honest")));
		const own = await shipment(depot, "fw-honest");
		const morning = Date.now() - 3 * 3600_000;
		await events([...parcels, own].map((p) => ({ shipment_id: p.shipmentId, type: "out_for_delivery", courier: "fw-honest", depot, at: iso(morning) })));
		// Dispatch re-routes four parcels to a colleague; the courier's screen still lists them.
		await events(parcels.map((p) => ({ shipment_id: p.shipmentId, type: "out_for_delivery", courier: "fw-colleague", depot })));

		const honest = await employeeToken("courier", "fw-honest", depot);
		const statuses: number[] = [];
		for (const parcel of parcels) {
			for (const field of ["name", "phone", "address"]) {
				const response = await ask(honest, parcel.recipient, "delivery", [field]);
				statuses.push(response.status);
				expect(await json(response)).toMatchObject({ type: "/problems/stale-work", reason: "stale", refresh: true });
			}
		}
		expect(statuses).toEqual(Array(12).fill(403));

		const mine = await ask(honest, own.recipient, "delivery", ["name", "address"]);
		expect(mine.status).toBe(201);
		const revealed = await redeem(honest, (await json<{ reveal_token: string }>(mine)).reveal_token);
		expect(revealed.status).toBe(200);
		const colleague = await employeeToken("courier", "fw-colleague", depot);
		expect((await ask(colleague, parcels[0]?.recipient as string, "delivery")).status).toBe(201);

		await settle(honest);
		expect(await deniedReasons(parcels[0]?.recipient as string)).toEqual(["stale", "stale", "stale"]);
		const status = await json<{ suspension: unknown; out_of_scope_asks_last_hour: number }>(
			await call("GET", "/v1/employees/fw-honest?role=courier", { token: ops }),
		);
		expect(status).toMatchObject({ suspension: null, out_of_scope_asks_last_hour: 0 });
	});

	it("past the stale window the same ask is probing again", async () => {
		const depot = "FW-OLD";
		const parcel = await shipment(depot, "fw-old");
		const twoDaysAgo = Date.now() - 48 * 3600_000;
		await events([
			{ shipment_id: parcel.shipmentId, type: "out_for_delivery", courier: "fw-old", depot, at: iso(twoDaysAgo) },
			{ shipment_id: parcel.shipmentId, type: "delivered", at: iso(twoDaysAgo + 3600_000) },
		]);
		const response = await ask(await employeeToken("courier", "fw-old", depot), parcel.recipient, "delivery");
		expect(response.status).toBe(403);
		expect((await json(response)).type).toBe("/problems/no-active-leg");
	});

	it("probing records never held still suspends on the tenth, stale asks before it notwithstanding", async () => {
		const depot = "FW-PROBE";
		const moved = await shipment(depot, "fw-prober");
		await events([{ shipment_id: moved.shipmentId, type: "out_for_delivery", courier: "fw-prober", depot, at: iso(Date.now() - 3600_000) }]);
		await events([{ shipment_id: moved.shipmentId, type: "out_for_delivery", courier: "fw-other", depot }]);
		const theirs = await Promise.all(Array.from({ length: 5 }, () => shipment(depot, "fw-other")));
		// Five of the prober's own records without any work on them: no_open_leg counts as probing too.
		const unworked = await Promise.all(Array.from({ length: 5 }, () => shipment(depot, "fw-prober")));
		const prober = await employeeToken("courier", "fw-prober", depot);
		for (let i = 0; i < 5; i++) expect((await ask(prober, moved.recipient, "delivery")).status).toBe(403);
		const statuses: number[] = [];
		for (const parcel of theirs) statuses.push((await ask(prober, parcel.recipient, "delivery")).status);
		for (const parcel of unworked) statuses.push((await ask(prober, parcel.recipient, "delivery")).status);
		expect(statuses).toEqual([...Array(9).fill(403), 423]);
		await settle(prober);
		const alerts = (await json<{ alerts: { kind: string; subject: string }[] }>(await call("GET", "/v1/alerts", { token: ops }))).alerts;
		expect(alerts).toContainEqual(expect.objectContaining({ kind: "out_of_scope_probing", subject: "fw-prober" }));
	});
});

describe("a token outliving its leg", () => {
	it("asked while the leg was open, it reveals nothing once the parcel was delivered past its grace, and says why", async () => {
		const depot = "FW-TOKEN";
		const parcel = await shipment(depot, "fw-late");
		const started = Date.now() - 2 * 3600_000;
		await events([{ shipment_id: parcel.shipmentId, type: "out_for_delivery", courier: "fw-late", depot, at: iso(started) }]);
		const courier = await employeeToken("courier", "fw-late", depot);
		const asked = await ask(courier, parcel.recipient, "delivery");
		expect(asked.status).toBe(201);
		const { reveal_token } = await json<{ reveal_token: string }>(asked);
		// Delivered 31 minutes ago: the 30 minutes' grace is over.
		await events([{ shipment_id: parcel.shipmentId, type: "delivered", at: iso(Date.now() - 31 * 60_000) }]);
		const redeemed = await redeem(courier, reveal_token);
		expect(redeemed.status).toBe(403);
		const body = await redeemed.text();
		expect(JSON.parse(body)).toMatchObject({ type: "/problems/stale-work", refresh: true });
		expect(body).not.toContain("+86");
		await settle(courier);
		expect(await deniedReasons(parcel.recipient)).toEqual(["stale"]);
	});

	it("a cancelled shipment's token reveals nothing, while one within the grace after delivery still does", async () => {
		const depot = "FW-TOKEN2";
		const [cancelled, delivered] = [await shipment(depot, "fw-late2"), await shipment(depot, "fw-late2")];
		await events([cancelled, delivered].map((p) => ({ shipment_id: p.shipmentId, type: "out_for_delivery", courier: "fw-late2", depot })));
		const courier = await employeeToken("courier", "fw-late2", depot);
		const tokens = await Promise.all(
			[cancelled, delivered].map(async (p) => (await json<{ reveal_token: string }>(await ask(courier, p.recipient, "delivery"))).reveal_token),
		);
		await events([
			{ shipment_id: cancelled.shipmentId, type: "cancelled" },
			{ shipment_id: delivered.shipmentId, type: "delivered" },
		]);
		expect((await redeem(courier, tokens[0] as string)).status).toBe(403);
		expect((await redeem(courier, tokens[1] as string)).status).toBe(200);
	});
});

describe("report-only rollout", () => {
	it("records created before legs: granted, each grant recording what the requirement would refuse; another employee without the trial records nothing", async () => {
		const depot = "FW-RO";
		const put = (path: string, body: Record<string, unknown>) => call("PUT", `/v1/policies/${path}`, { token: ops, body });
		expect((await put(`depot/${depot}`, { mode: "enforce", require_active_leg: 0 })).status).toBe(201);
		expect((await put("employee/fw-trial", { mode: "report-only", require_active_leg: 1 })).status).toBe(201);

		const effective = await json<{ legs: Record<string, unknown> }>(
			await call("GET", `/v1/policies/effective?subject=fw-trial&role=courier&depot=${depot}`, { token: ops }),
		);
		expect(effective.legs).toEqual({ require_active_leg: false, report_only: true, grace_seconds: 1800, stale_window_seconds: 43200, case_limit: null });

		const legacy = await shipment(depot, "fw-trial");
		const other = await shipment(depot, "fw-untried");
		const trial = await employeeToken("courier", "fw-trial", depot);
		const untried = await employeeToken("courier", "fw-untried", depot);
		expect((await ask(trial, legacy.recipient, "delivery")).status).toBe(201);
		expect((await ask(untried, other.recipient, "delivery")).status).toBe(201);
		await settle(trial, untried);
		const granted = async (recordId: string) =>
			JSON.parse(
				(await env.DB.prepare("SELECT details FROM audit_log WHERE record_id = ?1 AND kind = 'reveal.granted'").bind(recordId).first<{ details: string }>())
					?.details ?? "{}",
			);
		expect(await granted(legacy.recipient)).toMatchObject({ leg_would_refuse: "no_open_leg" });
		expect(await granted(other.recipient)).not.toHaveProperty("leg_would_refuse");
	});

	it("a layer that breaks the leg rules is refused, naming the field", async () => {
		const put = (path: string, body: Record<string, unknown>) => call("PUT", `/v1/policies/${path}`, { token: ops, body });
		const errors = async (response: Response) => {
			expect(response.status).toBe(422);
			return (await json<{ errors: { pointer: string }[] }>(response)).errors.map((error) => error.pointer);
		};
		expect(await errors(await put("role/courier", { mode: "report-only", require_active_leg: 0 }))).toContain("/require_active_leg");
		expect(await errors(await put("role/courier", { mode: "report-only", stale_window_seconds: 60 }))).toContain("/stale_window_seconds");
		expect(await errors(await put("role/courier", { mode: "enforce", leg_grace_seconds: 60 }))).toContain("/leg_grace_seconds");
	});
});

describe("customer_service needs a case", () => {
	it("no case_id is 422; a case_id is recorded with the decision; the case limit refuses past it with 429", async () => {
		const depot = "FW-CS";
		const parcels = await Promise.all(Array.from({ length: 3 }, () => shipment(depot)));
		const clerk = await employeeToken("clerk", "fw-cs-clerk", depot);
		const bare = await call("POST", "/v1/reveals", {
			token: clerk,
			body: { record_id: parcels[0]?.recipient, fields: ["phone"], purpose: "customer_service" },
		});
		expect(bare.status).toBe(422);
		const misplaced = await call("POST", "/v1/reveals", {
			token: clerk,
			body: { record_id: parcels[0]?.recipient, fields: ["phone"], purpose: "delivery", case_id: "CS-9" },
		});
		expect(misplaced.status).toBe(422);

		expect((await call("PUT", "/v1/policies/employee/fw-cs-clerk", { token: ops, body: { mode: "enforce", case_limit: 2 } })).status).toBe(201);
		const statuses: number[] = [];
		for (const parcel of parcels) statuses.push((await ask(clerk, parcel.recipient, "customer_service")).status);
		expect(statuses).toEqual([201, 201, 429]);
		await settle(clerk);
		const entry = await env.DB.prepare("SELECT details FROM audit_log WHERE record_id = ?1 AND kind = 'reveal.granted'")
			.bind(parcels[0]?.recipient)
			.first<{ details: string }>();
		expect(JSON.parse(entry?.details ?? "{}")).toMatchObject({ purpose: "customer_service", case_id: "CS-FW-1" });
	});
});
