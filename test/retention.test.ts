import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { normalizePhone } from "../src/records/phone";
import { call, callWith, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { countRecords, rawDump, recordRow } from "./support/db";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, token } from "./support/tokens";
import { reportWork, type WorkOf } from "./support/work";

const DAY = 86_400_000;
let service: string;
let ops: string;

beforeAll(async () => {
	service = await serviceToken();
	ops = await token({ sub: "ops-retention", scope: "ops" });
});

let serial = 0;
function body(overrides: Record<string, unknown> = {}) {
	serial += 1;
	return recordBody({ shipment_id: `RET${String(serial).padStart(7, "0")}`, courier: "ret-courier", depot: "RET", ...overrides });
}

async function create(overrides: Record<string, unknown> = {}): Promise<{ id: string; expires_at: string; created_at: string }> {
	const sent = body(overrides);
	const response = await call("POST", "/v1/records", { token: service, body: sent });
	expect(response.status).toBe(201);
	await reportWork(service, [sent as WorkOf]);
	return json(response);
}

/** Moves a record's expiry into the past, as if its days had run out. */
async function expire(id: string, agoMs = 1000): Promise<void> {
	await env.DB.prepare("UPDATE records SET expires_at = ?2 WHERE id = ?1")
		.bind(id, Date.now() - agoMs)
		.run();
}

async function entries(kind: string) {
	const { results } = await env.DB.prepare("SELECT seq, actor, details FROM audit_log WHERE kind = ?1 ORDER BY seq")
		.bind(kind)
		.all<{ seq: number; actor: string | null; details: string }>();
	return results.map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> & { ids: string[] } }));
}

describe("retention at creation", () => {
	it("every record gets expires_at: 30 days by default, or the days asked for", async () => {
		const plain = await create();
		expect(Date.parse(plain.expires_at) - Date.parse(plain.created_at)).toBe(30 * DAY);
		const short = await create({ retention_days: 7 });
		expect(Date.parse(short.expires_at) - Date.parse(short.created_at)).toBe(7 * DAY);
		const stored = await env.DB.prepare("SELECT created_at, expires_at FROM records WHERE id = ?1")
			.bind(short.id)
			.first<{ created_at: number; expires_at: number }>();
		expect((stored?.expires_at ?? 0) - (stored?.created_at ?? 0)).toBe(7 * DAY);
		const batch = await call("POST", "/v1/records/batch", { token: service, body: { records: [body({ retention_days: 90 }), body()] } });
		expect(batch.status).toBe(201);
	});

	it("a retention above RETENTION_MAX_DAYS is refused on its field, and nothing is written", async () => {
		const before = await countRecords();
		const single = await call("POST", "/v1/records", { token: service, body: body({ retention_days: 91 }) });
		expect(single.status).toBe(422);
		expect((await json<{ errors: { pointer: string }[] }>(single)).errors.map((error) => error.pointer)).toEqual(["/retention_days"]);
		const batch = await call("POST", "/v1/records/batch", { token: service, body: { records: [body(), body({ retention_days: 365 })] } });
		expect(batch.status).toBe(422);
		expect((await json<{ errors: { pointer: string }[] }>(batch)).errors.map((error) => error.pointer)).toEqual(["/records/1/retention_days"]);
		// A smaller maximum configured is the rule: the same 60 days that pass under 90 are refused under 30.
		const capped = await callWith({ RETENTION_MAX_DAYS: "30" }, "POST", "/v1/records", { token: service, body: body({ retention_days: 60 }) });
		expect(capped.status).toBe(422);
		for (const bad of [0, -1, 1.5, "30"]) {
			expect((await call("POST", "/v1/records", { token: service, body: body({ retention_days: bad }) })).status).toBe(422);
		}
		expect(await countRecords()).toBe(before);
	});

	it("a malformed retention variable fails closed with 503 naming it, and writes nothing", async () => {
		const before = await countRecords();
		for (const [variable, value] of [
			["RETENTION_MAX_DAYS", "ninety"],
			["RETENTION_MAX_DAYS", "0"],
			["RETENTION_DEFAULT_DAYS", "-3"],
		] as const) {
			const response = await callWith({ [variable]: value }, "POST", "/v1/records", { token: service, body: body() });
			expect(response.status).toBe(503);
			expect(await json(response)).toMatchObject({ type: "/problems/configuration-unavailable", variable });
		}
		expect(await countRecords()).toBe(before);
		// The scheduled job fails loudly too, erasing nothing.
		await expect(runCron("* * * * *", Date.now(), { ...env, RETENTION_ERASE_BATCH_SIZE: "many" } as Env)).rejects.toThrow(/housekeeping step failed/);
	});

	it("a default above the configured maximum is a configuration error naming the variable", async () => {
		const response = await callWith({ RETENTION_DEFAULT_DAYS: "120", RETENTION_MAX_DAYS: "90" }, "POST", "/v1/records", { token: service, body: body() });
		expect(response.status).toBe(503);
		expect(await json(response)).toMatchObject({ variable: "RETENTION_DEFAULT_DAYS" });
	});
});

describe("an expired record not yet erased", () => {
	it("reads, lookups, reassignment and reveals behave as if it were erased", async () => {
		const phone = "13700001111";
		const record = await create({ contact: { name: "李四", phone, address: "北京市朝阳区建国路1号" } });
		const shipment = (await recordRow(record.id)) as unknown as { shipment_id: string };
		const courier = await employeeToken("courier", "ret-courier", "RET");
		// A token granted while it was live…
		const asked = await call("POST", "/v1/reveals", { token: courier, body: { record_id: record.id, fields: ["name"], purpose: "delivery" } });
		expect(asked.status).toBe(201);
		const { reveal_token } = await json<{ reveal_token: string }>(asked);

		await expire(record.id);
		const erased = await call("GET", `/v1/records/${record.id}`, { token: service });
		expect(erased.status).toBe(410);
		expect((await call("PATCH", `/v1/records/${record.id}`, { token: service, body: { courier: "someone" } })).status).toBe(410);
		expect((await json<{ records: unknown[] }>(await call("POST", "/v1/records/lookup", { token: service, body: { phone } }))).records).toEqual([]);
		const byShipment = await call("GET", `/v1/records?shipment_id=${shipment.shipment_id}`, { token: service });
		expect((await json<{ records: unknown[] }>(byShipment)).records).toEqual([]);
		// …redeems nothing now, and a new ask is answered as for an erased record.
		const redeemed = await call("POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token } });
		expect(redeemed.status).toBe(410);
		expect(await redeemed.text()).not.toContain(normalizePhone(phone)?.slice(3));
		expect((await call("POST", "/v1/reveals", { token: courier, body: { record_id: record.id, fields: ["name"], purpose: "delivery" } })).status).toBe(404);
		// Nothing of it changed: the retention job will erase it.
		expect((await recordRow(record.id))?.wrapped_key).not.toBeNull();
	});
});

describe("the retention job", () => {
	it("erases expired records on schedule in audited batches, touches nothing unexpired, and keeps honeytokens planted", async () => {
		const expired = await Promise.all(Array.from({ length: 23 }, () => create()));
		const kept = await Promise.all(Array.from({ length: 3 }, () => create()));
		const planted = await json<{ record_id: string }>(await call("POST", "/v1/honeytokens", { token: ops, body: { record: body() } }));
		for (const [i, record] of expired.entries()) await expire(record.id, (i + 1) * 1000);
		await expire(planted.record_id);
		// Anything expired before this test (the record of the test above) is part of the run too.
		const { results: alreadyExpired } = await env.DB.prepare(
			"SELECT id FROM records WHERE erased_at IS NULL AND expires_at <= ?1 AND id NOT IN (SELECT record_id FROM honeytokens)",
		)
			.bind(Date.now())
			.all<{ id: string }>();
		const keptRows = await Promise.all(kept.map((record) => recordRow(record.id)));
		const before = (await entries("record.expired")).length;

		await runCron("* * * * *", Date.now(), { ...env, RETENTION_ERASE_BATCH_SIZE: "10" } as Env);

		const batches = (await entries("record.expired")).slice(before);
		expect(batches.map((entry) => entry.details.count)).toEqual([10, 10, alreadyExpired.length - 20]);
		expect(batches.every((entry) => entry.actor === null)).toBe(true);
		expect(batches.flatMap((entry) => entry.details.ids).sort()).toEqual(alreadyExpired.map((row) => row.id).sort());
		for (const record of expired) {
			expect(await recordRow(record.id)).toMatchObject({
				key_id: null,
				wrapped_key: null,
				name_ct: null,
				phone_ct: null,
				address_ct: null,
				phone_index: null,
				masked_name: null,
			});
			expect((await recordRow(record.id))?.erased_at).not.toBeNull();
			// Each record's own history shows its erasure.
			const history = await json<{ entries: { kind: string }[] }>(await call("GET", `/v1/audit?record_id=${record.id}`, { token: ops }));
			expect(history.entries.map((entry) => entry.kind)).toContain("record.expired");
		}
		expect(await Promise.all(kept.map((record) => recordRow(record.id)))).toEqual(keptRows);
		// The trap went like any expired record, and was planted again under a new id, created now.
		const renewed = await env.DB.prepare(
			"SELECT r.id, r.erased_at, r.created_at, r.expires_at FROM honeytokens h JOIN records r ON r.id = h.record_id WHERE h.renewed_from = ?1",
		)
			.bind(planted.record_id)
			.first<{ id: string; erased_at: number | null; created_at: number; expires_at: number }>();
		expect((await recordRow(planted.record_id))?.erased_at).not.toBeNull();
		expect(renewed?.erased_at).toBeNull();
		expect((renewed?.expires_at ?? 0) - (renewed?.created_at ?? 0)).toBe(30 * DAY);

		// A second run finds nothing to do; the chain verifies.
		await runCron("* * * * *", Date.now(), { ...env, RETENTION_ERASE_BATCH_SIZE: "10" } as Env);
		expect((await entries("record.expired")).length - before).toBe(3);
		const verified = await json<{ ok: boolean }>(await call("GET", "/v1/audit/verify", { token: ops }));
		expect(verified.ok).toBe(true);
	});
});

describe("erasure on request", () => {
	it("by phone: every record of that customer, found under any blind-index key, with a receipt and an audit without plaintext", async () => {
		const phone = "+86 136 0000 2222";
		const e164 = normalizePhone(phone) as string;
		const contact = { name: "王五", phone, address: "上海市浦东新区世纪大道100号" };
		// One of them written before a key rotation: its index is under the old key.
		const config = JSON.parse(env.VAULT_KEYRING as string) as { primary: string; keys: Record<string, string> };
		const oldPrimary = Object.keys(config.keys).find((id) => id !== config.primary) as string;
		const older = await callWith({ VAULT_KEYRING: JSON.stringify({ ...config, primary: oldPrimary }) }, "POST", "/v1/records", {
			token: service,
			body: body({ contact }),
		});
		expect(older.status).toBe(201);
		const olderId = (await json<{ id: string }>(older)).id;
		expect((await recordRow(olderId))?.key_id).toBe(oldPrimary);
		const mine = [olderId, ...(await Promise.all([create({ contact }), create({ contact, party: "sender" })])).map((record) => record.id)];
		const expiredToo = await create({ contact });
		await expire(expiredToo.id);
		mine.push(expiredToo.id);
		const others = await Promise.all([create(), create({ contact: { ...contact, phone: "13600002223" } })]);
		const othersBefore = await Promise.all(others.map((record) => recordRow(record.id)));

		const response = await call("POST", "/v1/records/erasures", { token: service, body: { phone, reference: "DSR-2026-0042" } });
		expect(response.status).toBe(200);
		const text = await response.text();
		expect(text).not.toContain(e164.slice(3));
		const receipt = JSON.parse(text) as { erased: string[]; count: number; matched_by: string; reference: string; audit_seqs: number[]; complete: boolean };
		expect(receipt).toMatchObject({ matched_by: "phone", reference: "DSR-2026-0042", count: mine.length, complete: true });
		expect(receipt.erased).toEqual([...mine].sort());
		for (const id of mine) expect(await recordRow(id)).toMatchObject({ key_id: null, wrapped_key: null, phone_ct: null, phone_index: null });
		expect(await Promise.all(others.map((record) => recordRow(record.id)))).toEqual(othersBefore);
		expect((await json<{ records: unknown[] }>(await call("POST", "/v1/records/lookup", { token: service, body: { phone } }))).records).toEqual([]);

		// The audit entry names the records and the request, never the customer.
		const [entry] = await Promise.all(
			receipt.audit_seqs.map((seq) => env.DB.prepare("SELECT * FROM audit_log WHERE seq = ?1").bind(seq).first<{ kind: string; details: string }>()),
		);
		expect(entry?.kind).toBe("record.batch_erased");
		expect(JSON.parse(entry?.details as string)).toMatchObject({
			reason: "erasure_request",
			matched_by: "phone",
			reference: "DSR-2026-0042",
			ids: [...mine].sort(),
		});
		const dump = await rawDump();
		for (const plaintext of [e164, e164.slice(3), "136 0000 2222", contact.name, contact.address]) expect(dump).not.toContain(plaintext);

		// Asked again: nothing left to erase, and nothing written.
		const again = await json<{ erased: string[]; audit_seqs: number[] }>(await call("POST", "/v1/records/erasures", { token: service, body: { phone } }));
		expect(again).toMatchObject({ erased: [], audit_seqs: [] });
	});

	it("by shipment: both parties, and nothing of other shipments", async () => {
		const shipment_id = `RETSHIP${Date.now()}`;
		const both = [await create({ shipment_id }), await create({ shipment_id, party: "sender" })];
		const neighbour = await create();
		const receipt = await json<{ erased: string[]; matched_by: string }>(await call("POST", "/v1/records/erasures", { token: service, body: { shipment_id } }));
		expect(receipt).toMatchObject({ matched_by: "shipment_id", erased: both.map((record) => record.id).sort() });
		expect((await recordRow(neighbour.id))?.wrapped_key).not.toBeNull();
		// The slot is free again: the same shipment can be written anew.
		expect((await call("POST", "/v1/records", { token: service, body: body({ shipment_id }) })).status).toBe(201);
	});

	it("is refused without records:delete, to employees, and for ambiguous or malformed requests, erasing nothing", async () => {
		const record = await create({ contact: { name: "赵六", phone: "13500003333", address: "广东省广州市天河区体育西路1号" } });
		const reader = await serviceToken("records:read records:write");
		const clerk = await employeeToken("clerk", "ret-clerk", "RET", "reveal records:delete");
		expect((await call("POST", "/v1/records/erasures", { token: reader, body: { phone: "13500003333" } })).status).toBe(403);
		expect((await call("POST", "/v1/records/erasures", { token: clerk, body: { phone: "13500003333" } })).status).toBe(403);
		for (const bad of [
			{},
			{ phone: "13500003333", shipment_id: "X1" },
			{ phone: "not a phone" },
			{ shipment_id: "X1", reference: "has spaces" },
			{ phone: "13500003333", extra: 1 },
		]) {
			const response = await call("POST", "/v1/records/erasures", { token: service, body: bad });
			expect(response.status).toBe(422);
			expect(await response.text()).not.toContain("13500003333");
		}
		expect((await recordRow(record.id))?.wrapped_key).not.toBeNull();
	});
});

describe("health", () => {
	it("/healthz answers 503 naming a malformed retention or rollover variable", async () => {
		for (const [variable, value] of [
			["RETENTION_MAX_DAYS", "forever"],
			["REVEAL_SIGNING_PREVIOUS", "[{"],
			["REVEAL_SIGNING_NEXT", "{}"],
		] as const) {
			const response = await callWith({ [variable]: value }, "GET", "/healthz");
			expect(response.status).toBe(503);
			expect(await json(response)).toMatchObject({ variable });
		}
	});
});

describe("expiry racing a redeem", () => {
	it("a record that expires between the redeem's read and its decryption reveals nothing, and the audit says so", async () => {
		const { redeemReveal } = await import("../src/reveals/redeem");
		const { D1RecordStore } = await import("../src/records/store");
		const { AuditLog } = await import("../src/audit/log");
		const { entryMacsFor } = await import("../src/audit/audit-log-for");
		const { keyringFor } = await import("../src/crypto/keyring");
		const { signingKeyFor } = await import("../src/crypto/signing-key");
		const { keyringConfig, signingJwkConfig } = await import("../src/config");
		const { verifyBearer } = await import("../src/auth/verify-bearer");
		const { trustedIssuers } = await import("../src/auth/trusted-issuers");
		const { trustedIssuersConfig } = await import("../src/config");
		const { limiterOf } = await import("../src/limits/limiter-client");
		const { resolvePolicy } = await import("../src/limits/policy");
		const { actorOf } = await import("../src/audit/actor");

		const record = await create();
		const courierToken = await employeeToken("courier", "ret-courier", "RET");
		const asked = await call("POST", "/v1/reveals", { token: courierToken, body: { record_id: record.id, fields: ["name"], purpose: "delivery" } });
		const { reveal_token } = await json<{ reveal_token: string }>(asked);
		const expiresAt = Date.now() - 1;
		await env.DB.prepare("UPDATE records SET expires_at = ?2 WHERE id = ?1").bind(record.id, expiresAt).run();

		const principal = await verifyBearer(courierToken, trustedIssuers(trustedIssuersConfig(env)), new Date());
		const limiter = limiterOf(env, principal);
		const policy = resolvePolicy([], { kind: "employee", issuer: principal.issuer, subject: principal.subject, role: "courier", depot: "RET" });
		const actor = actorOf(principal);
		const outcome = redeemReveal(
			{
				// The read happened just before the expiry: the record still looked live.
				records: new D1RecordStore(
					env.DB,
					new AuditLog(env.DB, entryMacsFor(env)),
					(issuer) => issuer ?? "",
					() => expiresAt - 1000,
				),
				verificationKeys: [await signingKeyFor(signingJwkConfig(env))],
				keyring: await keyringFor(keyringConfig(env)),
				legPolicy: async () => policy.legs,
				redeem: (draft) => limiter.redeem(draft, policy, actor),
				void: (draft, reason, release) => limiter.voidRedemption(draft, reason, release, actor),
				refuse: (reason, recordId, event) => limiter.refuse(reason, recordId, policy, actor, event),
			},
			principal,
			reveal_token,
			Date.now(),
		);
		await expect(outcome).rejects.toMatchObject({ slug: "record-erased" });
		await settle(courierToken);
		const history = await json<{ entries: { kind: string; details: { reason?: string } }[] }>(
			await call("GET", `/v1/audit?record_id=${record.id}`, { token: ops }),
		);
		expect(history.entries.map((entry) => [entry.kind, entry.details.reason ?? null])).toEqual(
			expect.arrayContaining([
				["reveal.voided", "record_gone"],
				["reveal.redeemed", null],
			]),
		);
	});
});

describe("retention never disarms a trap, nor loses a record written during an upgrade", () => {
	it("an expired honeytoken the job has not renewed yet still suspends whoever asks for it", async () => {
		const planted = await json<{ record_id: string }>(await call("POST", "/v1/honeytokens", { token: ops, body: { record: body({ depot: "RETH" }) } }));
		await expire(planted.record_id);
		const clerk = await employeeToken("clerk", "ret-harvester", "RETH");
		const asked = await call("POST", "/v1/reveals", {
			token: clerk,
			body: { record_id: planted.record_id, fields: ["phone"], purpose: "customer_service", case_id: "CS-RET-1" },
		});
		expect(asked.status).toBe(423);
	});

	it("a honeytoken lives and goes like a real record, and is planted again under a new id at its expiry; both ids spring the trap", async () => {
		const planted = await json<{ record_id: string }>(await call("POST", "/v1/honeytokens", { token: ops, body: { record: body({ depot: "RETR" }) } }));
		await env.DB.prepare("UPDATE records SET expires_at = ?2 WHERE id = ?1")
			.bind(planted.record_id, Date.now() + DAY / 2)
			.run();
		await runCron("* * * * *");
		// Not expired yet: left alone, as a real record would be.
		expect((await recordRow(planted.record_id))?.erased_at).toBeNull();
		await expire(planted.record_id);
		await runCron("* * * * *");
		const renewed = await env.DB.prepare("SELECT record_id FROM honeytokens WHERE renewed_from = ?1").bind(planted.record_id).first<{ record_id: string }>();
		const view = await json<{ id: string; created_at: string; expires_at: string; shipment_id: string }>(
			await call("GET", `/v1/records/${renewed?.record_id}`, { token: service }),
		);
		expect(Date.parse(view.expires_at) - Date.parse(view.created_at)).toBe(30 * DAY);
		expect(Date.now() - Date.parse(view.created_at)).toBeLessThan(DAY);
		expect((await call("GET", `/v1/records/${planted.record_id}`, { token: service })).status).toBe(410);
		const verified = await json<{ ok: boolean }>(await call("GET", "/v1/audit/verify", { token: ops }));
		expect(verified.ok).toBe(true);
		for (const [index, id] of [planted.record_id, view.id].entries()) {
			const clerk = await employeeToken("clerk", `ret-sampler-${index}`, "RETR");
			const asked = await call("POST", "/v1/reveals", {
				token: clerk,
				body: { record_id: id, fields: ["phone"], purpose: "customer_service", case_id: "CS-RET-2" },
			});
			expect(asked.status).toBe(423);
		}
	});

	it("a record without an expiry reads with a null expires_at, and the job gives it the default from its creation", async () => {
		const record = await create();
		await env.DB.prepare("UPDATE records SET expires_at = NULL WHERE id = ?1").bind(record.id).run();
		const read = await call("GET", `/v1/records/${record.id}`, { token: service });
		expect(read.status).toBe(200);
		expect((await json<{ expires_at: string | null }>(read)).expires_at).toBeNull();
		await runCron("* * * * *");
		const row = await env.DB.prepare("SELECT created_at, expires_at FROM records WHERE id = ?1")
			.bind(record.id)
			.first<{ created_at: number; expires_at: number }>();
		expect((row?.expires_at ?? 0) - (row?.created_at ?? 0)).toBe(30 * DAY);
	});
});
