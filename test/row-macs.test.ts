import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { KeyringConfig } from "../src/config";
import type { Env } from "../src/env";
import { callWith, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { asDba } from "./support/dba";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, TEST_ISSUER, token } from "./support/tokens";
import { reportWork, type WorkOf } from "./support/work";

type RowProblem = { table: string; key: string; mac_key: string | null; reason: string };
type Report = {
	ok: boolean;
	rows: { legacy: string; checked: Record<string, number>; problems: RowProblem[]; reported: RowProblem[] };
};

function rootKey(): string {
	return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");
}
// The test keyring, shared with the Durable Objects (which write suspensions under it); the last block
// rotates to a key of its own, then drops the others.
const TEST_RING = JSON.parse(env.VAULT_KEYRING as string) as KeyringConfig;
const FIRST = TEST_RING.primary;
const NEXT = "mac-next";
const nextRoot = rootKey();
const keyEnv = (config: KeyringConfig): Partial<Env> => ({ VAULT_KEYRING: JSON.stringify(config) });

let current: Partial<Env> = {};

let service: string;
let ops: string;

beforeAll(async () => {
	service = await serviceToken("records:write records:read records:delete");
	ops = await token({ sub: "ops-macs", scope: "ops" });
	// The legacy job's first run finds the migrations' own policy rows without a MAC and MACs them;
	// the second finds none left and tells the witness: from then on a row without a MAC is a forgery.
	await cron();
	await cron();
	expect((await verify()).rows.legacy).toBe("signed");
});

const call = (method: string, path: string, options: Parameters<typeof callWith>[3] = {}) => callWith(current, method, path, options);
const cron = () => runCron("* * * * *", Date.now(), { ...env, ...current } as Env);

async function verify(): Promise<Report> {
	const response = await call("GET", "/v1/audit/verify", { token: ops });
	expect(response.status).toBe(200);
	return json<Report>(response);
}

/** A record with its courier's round reported (reveals follow the work), so only its MAC can stand in the way. */
async function create(overrides: Record<string, unknown>): Promise<string> {
	const body = recordBody(overrides);
	const response = await call("POST", "/v1/records", { token: service, body });
	expect(response.status).toBe(201);
	await reportWork(service, [body as WorkOf]);
	return (await json<{ id: string }>(response)).id;
}

const ask = (bearer: string, recordId: string) =>
	call("POST", "/v1/reveals", { token: bearer, body: { record_id: recordId, fields: ["name"], purpose: "delivery" } });

async function macAlerts(): Promise<{ table: string; key: string; reason: string; mac_key: string | null }[]> {
	const { results } = await env.DB.prepare("SELECT severity, details FROM alerts WHERE kind = 'row_mac_failed'").all<{ severity: string; details: string }>();
	for (const row of results) expect(row.severity).toBe("critical");
	return results.map((row) => JSON.parse(row.details));
}

/** A PUT of an unrelated layer: this isolate reads the layers afresh on its next ask instead of from its cache. */
async function freshPolicies(): Promise<void> {
	const response = await call("PUT", "/v1/policies/depot/CACHE-BUSTER", { token: ops, body: { mode: "enforce", daily_limit: 1000 } });
	expect(response.status).toBe(201);
	const tag = response.headers.get("ETag") as string;
	expect((await call("DELETE", "/v1/policies/depot/CACHE-BUSTER", { token: ops, headers: { "If-Match": tag } })).status).toBe(204);
}

describe("a policy layer written straight into D1", () => {
	it("has no effect on the employee's quota, raises a critical alert, and verify reports it", async () => {
		expect((await call("PUT", "/v1/policies/depot/MAC-P", { token: ops, body: { mode: "enforce", daily_limit: 1 } })).status).toBe(201);
		const courier = await employeeToken("courier", "mac-greedy", "MAC-P");
		const first = await create({ depot: "MAC-P", courier: "mac-greedy" });
		const second = await create({ depot: "MAC-P", courier: "mac-greedy" });
		expect((await ask(courier, first)).status).toBe(201);

		// The DBA gives the employee 100,000 a day, with the MAC of the depot layer copied over.
		await asDba(() =>
			env.DB.prepare(
				`INSERT INTO policies (layer, target_issuer, target, mode, daily_limit, version, updated_by, updated_at, mac, mac_key)
				 SELECT 'employee', ?1, 'mac-greedy', 'enforce', 100000, 1, 'ops-macs', ?2, mac, mac_key FROM policies WHERE layer = 'depot' AND target = 'MAC-P'`,
			)
				.bind(TEST_ISSUER, Date.now())
				.run(),
		);
		await freshPolicies();
		const refused = await ask(courier, second);
		expect(refused.status).toBe(429);
		expect(await json(refused)).toMatchObject({ limit: "daily" });
		const effective = await json<{ enforced: { kind: string; limit: number; layer: string }[] }>(
			await call("GET", "/v1/policies/effective?subject=mac-greedy&role=courier&depot=MAC-P", { token: ops }),
		);
		expect(effective.enforced).toContainEqual(expect.objectContaining({ kind: "daily", limit: 1, layer: "depot" }));

		const key = `employee/${TEST_ISSUER}/mac-greedy`;
		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.rows.problems).toContainEqual({ table: "policies", key, mac_key: FIRST, reason: "mac_invalid" });
		expect(report.rows.reported).toContainEqual(expect.objectContaining({ table: "policies", key, reason: "mac_invalid" }));
		expect(await macAlerts()).toContainEqual({ table: "policies", key, mac_key: FIRST, reason: "mac_invalid" });
		// The alert's id holds the layer's key, slashes and all: ops acknowledge it by its percent-encoded id.
		const alerts = await json<{ alerts: { id: string; kind: string; state: string; details: { key?: string } }[] }>(
			await call("GET", "/v1/alerts?limit=100", { token: ops }),
		);
		const raised = alerts.alerts.find((alert) => alert.kind === "row_mac_failed" && alert.details.key === key);
		expect(raised?.id).toContain(`/${TEST_ISSUER}/`);
		const acknowledged = await call("POST", `/v1/alerts/${encodeURIComponent(raised?.id ?? "")}/acknowledge`, {
			token: ops,
			body: { note: "the DBA's insert, being removed" },
		});
		expect(acknowledged.status).toBe(200);
		expect(await json(acknowledged)).toMatchObject({ id: raised?.id, state: "acknowledged", acknowledged: { by: "ops-macs" } });

		// A layer without a MAC, now that every legacy row has one, is a forgery too.
		await asDba(() => env.DB.prepare("UPDATE policies SET mac = NULL, mac_key = NULL WHERE layer = 'depot' AND target = 'MAC-P'").run());
		expect((await verify()).rows.problems).toContainEqual({ table: "policies", key: "depot//MAC-P", mac_key: null, reason: "mac_missing" });

		// Ops repair both through the API, which MACs what it writes: nothing is reported any more.
		for (const path of ["depot/MAC-P", "employee/mac-greedy"]) {
			const tag = (await call("GET", `/v1/policies/${path}`, { token: ops })).headers.get("ETag") as string;
			expect((await call("DELETE", `/v1/policies/${path}`, { token: ops, headers: { "If-Match": tag } })).status).toBe(204);
		}
		expect((await verify()).rows.problems).toEqual([]);
	});
});

describe("an assignment written straight into D1", () => {
	it("grants no reveal, to the courier it names or anyone, and verify reports the record", async () => {
		const owner = await employeeToken("courier", "mac-owner", "MAC-A");
		const thief = await employeeToken("courier", "mac-thief", "MAC-A");
		const id = await create({ depot: "MAC-A", courier: "mac-owner" });
		expect((await ask(thief, id)).status).toBe(403);

		await asDba(() => env.DB.prepare("UPDATE records SET courier = 'mac-thief' WHERE id = ?1").bind(id).run());
		const refused = await ask(thief, id);
		expect(refused.status).toBe(403);
		expect(await json(refused)).toMatchObject({ type: expect.stringContaining("out-of-scope") });
		// Nor does it fall back to anyone: the row grants nothing until it is written again through the API.
		expect((await ask(owner, id)).status).toBe(403);
		await settle(thief);
		const reasons = await env.DB.prepare("SELECT json_extract(details, '$.reason') AS reason FROM audit_log WHERE record_id = ?1 AND kind = 'reveal.denied'")
			.bind(id)
			.all<{ reason: string }>();
		expect(reasons.results.map((row) => row.reason)).toContain("assignment_unverified");

		expect(await macAlerts()).toContainEqual({ table: "records", key: id, mac_key: FIRST, reason: "mac_invalid" });
		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.rows.problems).toContainEqual({ table: "records", key: id, mac_key: FIRST, reason: "mac_invalid" });

		// The courier service repairs it by naming depot and courier: MACed again, it grants the owner.
		const patched = await call("PATCH", `/v1/records/${id}`, { token: service, body: { depot: "MAC-A", courier: "mac-owner" } });
		expect(patched.status).toBe(200);
		expect((await ask(owner, id)).status).toBe(201);
		expect((await verify()).rows.problems.filter((problem) => problem.key === id)).toEqual([]);
	});

	it("an out_for_delivery MACs the assignment it writes: the courier it names reveals", async () => {
		const courier = await employeeToken("courier", "mac-ofd", "MAC-E");
		const id = await create({ depot: "MAC-E", courier: undefined, shipment_id: "MACOFD0001" });
		const events = await call("POST", "/v1/shipment-events", {
			token: service,
			body: { events: [{ shipment_id: "MACOFD0001", type: "out_for_delivery", courier: "mac-ofd", depot: "MAC-E" }] },
		});
		expect(events.status).toBe(200);
		expect((await ask(courier, id)).status).toBe(201);
		expect((await verify()).rows.problems.filter((problem) => problem.key === id)).toEqual([]);
	});
});

describe("a reinstatement written straight into D1", () => {
	it("leaves the principal suspended, is not listed as active, and verify reports the row", async () => {
		const courier = await employeeToken("courier", "mac-suspended", "MAC-S");
		const id = await create({ depot: "MAC-S", courier: "mac-suspended" });
		expect((await call("POST", "/v1/employees/mac-suspended/suspend", { token: ops, body: { reason: "test" } })).status).toBe(200);
		await asDba(() => env.DB.prepare("UPDATE principal_status SET status = 'active', reason = NULL WHERE subject = 'mac-suspended'").run());

		expect((await ask(courier, id)).status).toBe(423);
		const listed = async (status: string) =>
			(await json<{ principals: { subject: string }[] }>(await call("GET", `/v1/employees?status=${status}`, { token: ops }))).principals.map(
				(row) => row.subject,
			);
		expect(await listed("active")).not.toContain("mac-suspended");
		expect(await listed("suspended")).toContain("mac-suspended");
		const key = `${TEST_ISSUER} mac-suspended`;
		const report = await verify();
		expect(report.rows.problems).toContainEqual({ table: "principal_status", key, mac_key: FIRST, reason: "mac_invalid" });
		expect(await macAlerts()).toContainEqual(expect.objectContaining({ table: "principal_status", key }));

		// A real reinstatement through the API writes a row that verifies.
		expect((await call("POST", "/v1/employees/mac-suspended/reinstate", { token: ops, body: { reason: "test" } })).status).toBe(200);
		expect((await ask(courier, id)).status).toBe(201);
		expect((await verify()).rows.problems.filter((problem) => problem.key === key)).toEqual([]);
	});
});

describe("honeytoken rows edited straight in D1", () => {
	it("a deleted honeytokens row does not disarm the trap: asking still suspends, and verify reports it", async () => {
		const planted = await call("POST", "/v1/honeytokens", { token: ops, body: { record: recordBody({ depot: "MAC-H", courier: "mac-curious" }) } });
		expect(planted.status).toBe(201);
		const { record_id: trap } = await json<{ record_id: string }>(planted);
		await asDba(() => env.DB.prepare("DELETE FROM honeytokens WHERE record_id = ?1").bind(trap).run());

		const curious = await employeeToken("courier", "mac-curious", "MAC-H");
		expect((await ask(curious, trap)).status).toBe(423);
		// The limiter lists the suspension in principal_status, MACed, as its alarm would.
		await settle(curious);
		expect(await env.DB.prepare("SELECT status FROM principal_status WHERE subject = 'mac-curious'").first()).toEqual({ status: "suspended" });
		const report = await verify();
		expect(report.rows.problems).toContainEqual({ table: "honeytokens", key: trap, mac_key: FIRST, reason: "honeytoken_unlisted" });
		expect(await macAlerts()).toContainEqual(expect.objectContaining({ table: "honeytokens", key: trap, reason: "honeytoken_unlisted" }));
	});

	it("a honeytokens row added to a real record suspends nobody, and verify reports it", async () => {
		const innocent = await employeeToken("courier", "mac-innocent", "MAC-H");
		const id = await create({ depot: "MAC-H", courier: "mac-innocent" });
		await asDba(() =>
			env.DB.prepare("INSERT INTO honeytokens (record_id, depot, planted_by, planted_at) VALUES (?1, 'MAC-H', 'ops-macs', ?2)").bind(id, Date.now()).run(),
		);
		expect((await ask(innocent, id)).status).toBe(201);
		expect((await ask(innocent, id)).status).toBe(201);
		expect((await verify()).rows.problems).toContainEqual({ table: "honeytokens", key: id, mac_key: FIRST, reason: "honeytoken_forged" });
	});
});

describe("no false alarm", () => {
	it("across a key rotation, and after records are erased: every row keeps verifying, once moved with no old key left", async () => {
		const courier = await employeeToken("courier", "mac-rotated", "MAC-R");
		const live = await create({ depot: "MAC-R", courier: "mac-rotated" });
		const erased = await create({ depot: "MAC-R", courier: "mac-rotated" });
		const expiring = await create({ depot: "MAC-R", courier: "mac-rotated", retention_days: 1 });
		expect((await call("PUT", "/v1/policies/depot/MAC-R", { token: ops, body: { mode: "enforce", daily_limit: 50 } })).status).toBe(201);
		expect((await call("POST", "/v1/employees/mac-rotated-other/suspend", { token: ops, body: { reason: "test" } })).status).toBe(200);
		expect((await call("DELETE", `/v1/records/${erased}`, { token: service })).status).toBe(204);
		// The retention job, run two days on, erases the expiring record.
		await runCron("* * * * *", Date.now() + 2 * 86_400_000, { ...env, ...current } as Env);
		const before = (await macAlerts()).length;

		// Rotation: NEXT becomes primary, the others stay listed; the jobs move data keys and MACs to NEXT.
		current = keyEnv({ primary: NEXT, keys: { ...TEST_RING.keys, [NEXT]: nextRoot } });
		expect((await ask(courier, live)).status).toBe(201);
		for (let run = 0; run < 3; run++) await cron();
		for (const table of ["records", "policies", "principal_status"]) {
			const under = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE mac_key IS NOT ?1`).bind(NEXT).first<{ n: number }>();
			expect(under?.n, table).toBe(0);
		}

		// The older keys leave the ring: no row names them any more, so nothing fails.
		current = keyEnv({ primary: NEXT, keys: { [NEXT]: nextRoot } });
		await freshPolicies();
		expect((await ask(courier, live)).status).toBe(201);
		for (const gone of [erased, expiring]) expect((await ask(courier, gone)).status).toBe(404);
		const report = await verify();
		const ours = (problem: RowProblem) =>
			[live, erased, expiring].includes(problem.key) || problem.key.includes("MAC-R") || problem.key.includes("mac-rotated");
		expect(report.rows.problems.filter(ours)).toEqual([]);
		// What is left is what the honeytoken tests forged, moved to the new key with the bit its MAC carried.
		expect(report.rows.problems.map((problem) => [problem.table, problem.mac_key])).toEqual(report.rows.problems.map(() => ["honeytokens", NEXT]));
		expect((await macAlerts()).length).toBe(before);
	});
});
