import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { KeyringConfig } from "../src/config";
import { phoneIndex } from "../src/crypto/blind-index";
import { openContact } from "../src/crypto/envelope";
import { Keyring } from "../src/crypto/keyring";
import type { Env } from "../src/env";
import { normalizePhone } from "../src/records/phone";
import { callWith, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { recordRow, sealedOf } from "./support/db";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, token } from "./support/tokens";
import { reportWork, type WorkOf } from "./support/work";

/** Fresh 32-byte root keys for this file's rotation, base64url as VAULT_KEYRING holds them. */
function rootKey(): string {
	return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");
}
const roots = { old1: rootKey(), old2: rootKey(), current: rootKey() };
const ring = (primary: keyof typeof roots, ...others: (keyof typeof roots)[]): KeyringConfig => ({
	primary,
	keys: Object.fromEntries([primary, ...others].map((id) => [id, roots[id]])),
});
const envWith = (config: KeyringConfig, extra: Partial<Env> = {}): Partial<Env> => ({ VAULT_KEYRING: JSON.stringify(config), ...extra });

// The ring's history: old1 alone, then old2 made primary, then current; finally the old keys removed.
const FIRST = envWith(ring("old1"));
const SECOND = envWith(ring("old2", "old1"));
const ROTATED = envWith(ring("current", "old1", "old2"), { KEY_REWRAP_BATCH_SIZE: "10" });
const ONLY_CURRENT = envWith(ring("current"));

let service: string;
let ops: string;

beforeAll(async () => {
	service = await serviceToken();
	ops = await token({ sub: "ops-keys", scope: "ops" });
});

interface Created {
	id: string;
	phone: string;
	contact: { name: string; phone: string; address: string };
}

let serial = 0;
/** `count` records written under `keyEnv`, each with its own phone, assigned to one courier. */
async function createUnder(keyEnv: Partial<Env>, count: number, tag: string): Promise<Created[]> {
	const bodies = Array.from({ length: count }, () => {
		serial += 1;
		const phone = `139${String(10_000_000 + serial).slice(-8)}`;
		return recordBody({
			shipment_id: `ROT${tag}${String(serial).padStart(6, "0")}`,
			contact: { name: `测试${serial}`, phone, address: `广东省深圳市南山区科技园路${serial}号` },
			courier: "rot-courier",
			depot: "ROT",
		});
	});
	const response = await callWith(keyEnv, "POST", "/v1/records/batch", { token: service, body: { records: bodies } });
	expect(response.status).toBe(201);
	// Under the full ring: the records' MACs are under keyEnv's primary, the layers' under whatever signed them.
	await reportWork(service, bodies as WorkOf[], "round", ROTATED);
	const { ids } = await json<{ ids: string[] }>(response);
	return ids.map((id, i) => ({ id, phone: bodies[i]?.contact.phone as string, contact: bodies[i]?.contact as Created["contact"] }));
}

/** Opens a record straight from its D1 row with a keyring built here: what is stored, not what a route says. */
async function opened(config: KeyringConfig, id: string) {
	return openContact(await Keyring.import(config), id, sealedOf(await recordRow(id)), ["name", "phone", "address"]);
}

async function lookup(keyEnv: Partial<Env>, phone: string): Promise<string[]> {
	const response = await callWith(keyEnv, "POST", "/v1/records/lookup", { token: service, body: { phone } });
	expect(response.status).toBe(200);
	return (await json<{ records: { id: string }[] }>(response)).records.map((record) => record.id);
}

async function keyReport(keyEnv: Partial<Env>) {
	const response = await callWith(keyEnv, "GET", "/v1/keys", { token: ops });
	expect(response.status).toBe(200);
	return json<{ primary: string; rewrap_pending: number; keys: { key_id: string; configured: boolean; records: number; removable: boolean }[] }>(response);
}

/** Every record id named by key.rewrapped audit entries, with repeats. */
async function rewrappedIds(): Promise<string[]> {
	const { results } = await env.DB.prepare("SELECT details FROM audit_log WHERE kind = 'key.rewrapped' ORDER BY seq").all<{ details: string }>();
	return results.flatMap((row) => (JSON.parse(row.details) as { ids: string[] }).ids);
}

/** What "fully rotated" means for one record: under the primary, opens to what was written, indexed under the primary. */
async function expectRotated(record: Created) {
	const row = await recordRow(record.id);
	expect(row?.key_id).toBe("current");
	const e164 = normalizePhone(record.phone) as string;
	expect(await opened(ring("current"), record.id)).toEqual({ ...record.contact, phone: e164 });
	expect(row?.phone_index).toBe(await phoneIndex(await Keyring.import(ring("current")), e164));
}

describe("key rotation", () => {
	const batches: Created[][] = [];

	it("records under two old keys and the primary all decrypt, and phone lookups find each of them", async () => {
		batches.push(await createUnder(FIRST, 12, "A"), await createUnder(SECOND, 13, "B"), await createUnder(ROTATED, 5, "C"));
		const [first, second, third] = batches as [Created[], Created[], Created[]];
		expect((await recordRow(first[0]?.id as string))?.key_id).toBe("old1");
		expect((await recordRow(second[0]?.id as string))?.key_id).toBe("old2");
		expect((await recordRow(third[0]?.id as string))?.key_id).toBe("current");
		for (const record of batches.flat()) {
			expect((await opened(ring("current", "old1", "old2"), record.id)).phone).toBe(normalizePhone(record.phone));
		}
		// Each record's blind index was computed under the primary of its day; lookups search every key.
		for (const record of [first[0], second[0], third[0]] as Created[]) expect(await lookup(ROTATED, record.phone)).toEqual([record.id]);

		const report = await keyReport(ROTATED);
		expect(report.rewrap_pending).toBe(25);
		expect(report.keys.find((key) => key.key_id === "old1")).toMatchObject({ records: 12, removable: false });
		const old1 = await json(await callWith(ROTATED, "GET", "/v1/keys/old1", { token: ops }));
		expect(old1).toMatchObject({ key_id: "old1", configured: true, primary: false, records: 12, removable: false });
	});

	it("a reveal of a record under an old key works through the routes while it waits to be re-wrapped", async () => {
		const record = batches[0]?.[1] as Created;
		const courier = await employeeToken("courier", "rot-courier", "ROT");
		const asked = await callWith(ROTATED, "POST", "/v1/reveals", { token: courier, body: { record_id: record.id, fields: ["name"], purpose: "delivery" } });
		expect(asked.status).toBe(201);
		const { reveal_token } = await json<{ reveal_token: string }>(asked);
		const redeemed = await callWith(ROTATED, "POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token } });
		expect(redeemed.status).toBe(200);
		expect((await json<{ fields: { name: string } }>(redeemed)).fields.name).toBe(record.contact.name);
	});

	it("the re-wrap moves every record to the primary in batches, lookups work midway, and the old keys become removable", async () => {
		// One batch by the ops call: progress says what is left; lookups work with records on both sides.
		const one = await callWith(ROTATED, "POST", "/v1/keys/rewrap", { token: ops, body: { max_batches: 1 } });
		expect(one.status).toBe(200);
		const first = await json<{ rewrapped: number; drained: boolean; progress: { rewrap_pending: number } }>(one);
		expect(first).toMatchObject({ rewrapped: 10, drained: false, progress: { rewrap_pending: 15 } });
		const movedAlready = (await rewrappedIds())[0] as string;
		const stillOld = batches[1]?.at(-1) as Created;
		expect((await recordRow(stillOld.id))?.key_id).toBe("old2");
		const moved = batches.flat().find((record) => record.id === movedAlready) as Created;
		expect(await lookup(ROTATED, moved.phone)).toEqual([moved.id]);
		expect(await lookup(ROTATED, stillOld.phone)).toEqual([stillOld.id]);

		// The cron finishes the job.
		await runCron("* * * * *", Date.now(), { ...env, ...ROTATED } as Env);
		const report = await keyReport(ROTATED);
		expect(report.rewrap_pending).toBe(0);
		expect(report.keys.filter((key) => key.removable).map((key) => key.key_id)).toEqual(["old1", "old2"]);
		for (const record of batches.flat()) await expectRotated(record);
		// Each record moved exactly once, the primary's own never.
		const ids = await rewrappedIds();
		expect(ids.sort()).toEqual([...(batches[0] as Created[]), ...(batches[1] as Created[])].map((record) => record.id).sort());

		// The old keys removed: nothing is lost, lookups still find everyone.
		for (const record of batches.flat()) {
			expect(await opened(ring("current"), record.id)).toEqual({ ...record.contact, phone: normalizePhone(record.phone) });
			expect(await lookup(ONLY_CURRENT, record.phone)).toEqual([record.id]);
		}
		expect((await keyReport(ONLY_CURRENT)).keys.map((key) => key.key_id)).toEqual(["current"]);
	});

	it("a re-wrap interrupted mid-run and restarted ends in the same state as an uninterrupted one", async () => {
		const interrupted = [...(await createUnder(FIRST, 14, "D")), ...(await createUnder(SECOND, 14, "E"))];
		const before = (await rewrappedIds()).length;
		// One batch lands, then the next fails inside its transaction (storage refusing the write).
		expect((await callWith(ROTATED, "POST", "/v1/keys/rewrap", { token: ops, body: { max_batches: 1 } })).status).toBe(200);
		await env.DB.prepare(
			"CREATE TRIGGER fail_rewrap BEFORE UPDATE OF wrapped_key ON records WHEN NEW.wrapped_key IS NOT NULL BEGIN SELECT RAISE(ABORT, 'injected rewrap failure'); END",
		).run();
		const failed = await callWith(ROTATED, "POST", "/v1/keys/rewrap", { token: ops, body: { max_batches: 5 } });
		expect(failed.status).toBe(503);
		expect((await rewrappedIds()).length - before).toBe(10); // the failed batch left no entry behind
		expect((await keyReport(ROTATED)).rewrap_pending).toBe(18);
		await env.DB.prepare("DROP TRIGGER fail_rewrap").run();

		await runCron("* * * * *", Date.now(), { ...env, ...ROTATED } as Env);
		expect((await keyReport(ROTATED)).rewrap_pending).toBe(0);
		for (const record of interrupted) await expectRotated(record);
		const ids = (await rewrappedIds()).slice(before);
		expect(ids.sort()).toEqual(interrupted.map((record) => record.id).sort());
		expect((await callWith(ROTATED, "GET", "/v1/audit/verify", { token: ops })).status).toBe(200);
	});

	it("a record erased while its batch is re-sealed stays erased: the re-wrap never brings data back", async () => {
		const [victim, other] = await createUnder(FIRST, 2, "F");
		// The erasure lands between the job's read and its write: simulated by erasing, then writing
		// the batch the job had prepared from the read before.
		const keyring = await Keyring.import(ring("current", "old1", "old2"));
		const { D1RecordStore } = await import("../src/records/store");
		const { AuditLog } = await import("../src/audit/log");
		const { entryMacsFor } = await import("../src/audit/audit-log-for");
		const store = new D1RecordStore(env.DB, new AuditLog(env.DB, entryMacsFor(env)), (issuer) => issuer ?? "");
		const read = await store.sealedUnder(["old1"], "", 100);
		const resealed = await Promise.all(
			read.map(async (row) => {
				const contact = await openContact(keyring, row.id, row.sealed, ["name", "phone", "address"]);
				const { sealContact } = await import("../src/crypto/envelope");
				return {
					id: row.id,
					previous: row.sealed,
					sealed: await sealContact(keyring, row.id, contact as never),
					phoneIndex: await phoneIndex(keyring, contact.phone as string),
				};
			}),
		);
		expect((await callWith(FIRST, "DELETE", `/v1/records/${victim?.id}`, { token: service })).status).toBe(204);
		const written = await store.replaceSealed(resealed, (ids) => ({ kind: "key.rewrapped", at: Date.now(), actor: null, recordId: null, details: { ids } }));
		expect(written).toEqual([other?.id]);
		const row = await recordRow(victim?.id as string);
		expect(row).toMatchObject({ key_id: null, wrapped_key: null, name_ct: null, phone_ct: null, address_ct: null, phone_index: null });
	});
});

describe("a key id missing from the keyring", () => {
	it("a reveal answers 500 naming the key id (never the key), raises one alert, and consumes nothing", async () => {
		const [record] = await createUnder(FIRST, 1, "G");
		const courier = await employeeToken("courier", "rot-courier", "ROT");
		const askWith = (config: Partial<Env>) =>
			callWith(config, "POST", "/v1/reveals", { token: courier, body: { record_id: record?.id, fields: ["name"], purpose: "delivery" } });
		// The ask already checks the assignment's MAC, made under old1: it cannot be judged, so nothing is granted.
		const refused = await askWith(ONLY_CURRENT);
		expect(refused.status).toBe(500);
		expect(await json(refused)).toMatchObject({ type: "/problems/key-unavailable", key_id: "old1" });
		const asked = await askWith(ROTATED);
		expect(asked.status).toBe(201);
		const { reveal_token } = await json<{ reveal_token: string }>(asked);
		const failed = await callWith(ONLY_CURRENT, "POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token } });
		expect(failed.status).toBe(500);
		const text = await failed.text();
		const problem = JSON.parse(text) as { type: string; key_id: string };
		expect(problem).toMatchObject({ type: "/problems/key-unavailable", key_id: "old1" });
		expect(text).not.toContain(roots.old1);
		expect(text).not.toContain(normalizePhone(record?.phone as string));
		const alerts = await env.DB.prepare("SELECT kind, severity, details FROM alerts WHERE kind = 'key_missing'").all<{ details: string; severity: string }>();
		expect(alerts.results).toHaveLength(1);
		expect(JSON.parse(alerts.results[0]?.details as string)).toMatchObject({ key_id: "old1" });
		expect(alerts.results[0]?.details).not.toContain(roots.old1);

		await settle(courier);
		const refusal = await env.DB.prepare("SELECT details FROM audit_log WHERE kind = 'reveal.voided' AND record_id = ?1")
			.bind(record?.id)
			.first<{ details: string }>();
		expect(JSON.parse(refusal?.details as string)).toMatchObject({ reason: "key_unavailable" });

		// The report shows the key in use and not configured: restore it, not remove it.
		const usage = await json(await callWith(ONLY_CURRENT, "GET", "/v1/keys/old1", { token: ops }));
		expect(usage).toMatchObject({ key_id: "old1", configured: false, records: 1, removable: false });

		// Restored, the same token redeems: the failure consumed nothing.
		const redeemed = await callWith(ROTATED, "POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token } });
		expect(redeemed.status).toBe(200);
	});
});

describe("idempotency across a rotation", () => {
	it("a retry after the primary changed still replays the first answer, and another body is still refused", async () => {
		const first = recordBody({ shipment_id: "ROTIDEM000001", depot: "ROT" });
		const headers = { "Idempotency-Key": "rotation-retry-1" };
		const created = await callWith(FIRST, "POST", "/v1/records", { token: service, body: first, headers });
		expect(created.status).toBe(201);
		const { id } = await json<{ id: string }>(created);
		const retried = await callWith(ROTATED, "POST", "/v1/records", { token: service, body: first, headers });
		expect(retried.status).toBe(201);
		expect(retried.headers.get("Idempotent-Replayed")).toBe("true");
		expect((await json<{ id: string }>(retried)).id).toBe(id);
		const other = await callWith(ROTATED, "POST", "/v1/records", { token: service, body: { ...first, depot: "ROT2" }, headers });
		expect(other.status).toBe(422);
	});
});
