import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { entryMacsFor } from "../src/audit/audit-log-for";
import { AuditLog } from "../src/audit/log";
import { keyringConfig } from "../src/config";
import { keyringFor } from "../src/crypto/keyring";
import { MASK_VERSION, maskContact } from "../src/records/masking";
import { normalizePhone } from "../src/records/phone";
import { remaskStale } from "../src/records/remask";
import { D1RecordStore } from "../src/records/store";
import { call, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { serviceToken } from "./support/tokens";

/** Contacts in the forms the old masks handled worst, each with the masks version 1 gave it. */
const CONTACTS = [
	{
		contact: { name: "欧阳娜娜", phone: "13812345678", address: "北京市朝阳区建国路88号SOHO现代城5号楼" },
		old: { name: "欧阳**", phone: "138****5678", address: "北京市朝阳区****" },
	},
	{
		contact: { name: "买买提·艾力", phone: "+86 991 2345 678", address: "新疆维吾尔自治区乌鲁木齐市天山区解放北路1号" },
		old: { name: "买*****", phone: "0991****5678", address: "新疆维吾尔自治区乌鲁木齐市天山区****" },
	},
	{
		contact: { name: "John Smith", phone: "+852 9123 4567", address: "Room 1203, Building 7, Keyuan Road No. 88, Nanshan District, Shenzhen, Guangdong" },
		old: { name: "J. S.", phone: "+85*****4567", address: "****, Keyuan Road No. 88, Nanshan District, Shenzhen, Guangdong" },
	},
	{
		contact: { name: "李", phone: "010-8888 6666", address: "Block 5, Lane 100, Xinzha Rd, Jing'an District, Shanghai" },
		old: { name: "*", phone: "010****6666", address: "****, Xinzha Rd, Jing'an District, Shanghai" },
	},
];
/** Records in this file: enough for several batches of the sizes used below. */
const COUNT = 24;
const SELECT_MASKS =
	"SELECT id, masked_name, masked_phone, masked_address, mask_version, updated_at, erased_at FROM records WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id";

interface MaskRow {
	id: string;
	masked_name: string | null;
	masked_phone: string | null;
	masked_address: string | null;
	mask_version: number;
	updated_at: number;
	erased_at: number | null;
}

let service: string;
const created: { id: string; index: number }[] = [];
let erasedId: string;
let expiredId: string;

const store = () => new D1RecordStore(env.DB, new AuditLog(env.DB, entryMacsFor(env)), (issuer) => issuer ?? "");
const keyring = () => keyringFor(keyringConfig(env));
const rows = async (ids: string[]) => (await env.DB.prepare(SELECT_MASKS).bind(JSON.stringify(ids)).all<MaskRow>()).results;
const staleCount = async () =>
	(await env.DB.prepare("SELECT count(*) AS n FROM records WHERE mask_version < ?1 AND erased_at IS NULL").bind(MASK_VERSION).first<{ n: number }>())?.n;
const contactOf = (index: number) => (CONTACTS[index % CONTACTS.length] as (typeof CONTACTS)[number]).contact;
const oldOf = (index: number) => (CONTACTS[index % CONTACTS.length] as (typeof CONTACTS)[number]).old;
const expectedMasks = (index: number) => {
	const contact = contactOf(index);
	return maskContact({ ...contact, phone: normalizePhone(contact.phone) as string });
};

/** Puts version-1 masks on records, as a deployment before migration 0007 left them. */
async function ageMasks(ids: { id: string; index: number }[]): Promise<void> {
	await env.DB.batch(
		ids.map(({ id, index }) => {
			const old = oldOf(index);
			return env.DB.prepare(
				"UPDATE records SET masked_name = ?2, masked_phone = ?3, masked_address = ?4, mask_version = 1 WHERE id = ?1 AND erased_at IS NULL",
			).bind(id, old.name, old.phone, old.address);
		}),
	);
}

beforeAll(async () => {
	service = await serviceToken();
	const bodies = Array.from({ length: COUNT + 2 }, (_, i) =>
		recordBody({ shipment_id: `RMK${String(i).padStart(8, "0")}`, contact: contactOf(i), depot: "RMK", courier: "rmk-courier" }),
	);
	const response = await call("POST", "/v1/records/batch", { token: service, body: { records: bodies } });
	expect(response.status).toBe(201);
	const { ids } = await json<{ ids: string[] }>(response);
	ids.forEach((id, index) => {
		created.push({ id, index });
	});
	erasedId = ids[COUNT] as string;
	expiredId = ids[COUNT + 1] as string;
});

afterEach(() => {
	vi.restoreAllMocks();
});

describe("the re-mask job", () => {
	it("new records are written with the current masks and version", async () => {
		const stored = await rows(created.map((record) => record.id));
		for (const row of stored) {
			const index = created.find((record) => record.id === row.id)?.index as number;
			expect(row).toMatchObject({ mask_version: MASK_VERSION, ...prefixed(expectedMasks(index)) });
		}
		expect(MASK_VERSION).toBe(2);
		expect(await staleCount()).toBe(0);
	});

	it("the partial index the job is held to names the current version", async () => {
		// The job's query uses INDEXED BY records_mask_stale: a new MASK_VERSION needs a migration replacing the index.
		const index = await env.DB.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'records_mask_stale'").first<{ sql: string }>();
		expect(index?.sql).toContain(`WHERE mask_version < ${MASK_VERSION} AND erased_at IS NULL`);
		const plan = await env.DB.prepare(
			`EXPLAIN QUERY PLAN SELECT id FROM records INDEXED BY records_mask_stale WHERE mask_version < ${MASK_VERSION} AND erased_at IS NULL AND id > ?1 ORDER BY id`,
		)
			.bind("")
			.all<{ detail: string }>();
		expect(plan.results.map((row) => row.detail).join("\n")).toMatch(/SEARCH records USING (COVERING )?INDEX records_mask_stale/);
	});

	it("recomputes old masks in bounded batches, resumes, leaves erased and expired records alone, and a second run does nothing", async () => {
		const live = created.slice(0, COUNT);
		await ageMasks(created);
		// One erased before the job runs: its masks are gone and stay gone.
		expect((await call("DELETE", `/v1/records/${erasedId}`, { token: service })).status).toBe(204);
		await env.DB.prepare("UPDATE records SET mask_version = 1 WHERE id = ?1").bind(erasedId).run();
		// One expired, not yet erased by retention: no plaintext is made of it.
		await env.DB.prepare("UPDATE records SET expires_at = ?2 WHERE id = ?1")
			.bind(expiredId, Date.now() - 1000)
			.run();
		const erasedBefore = (await rows([erasedId]))[0];
		const expiredBefore = (await rows([expiredId]))[0];
		expect(erasedBefore).toMatchObject({ masked_name: null, masked_phone: null, masked_address: null, mask_version: 1 });
		expect(expiredBefore).toMatchObject({ masked_phone: oldOf(COUNT + 1).phone, mask_version: 1 });
		expect(await staleCount()).toBe(COUNT + 1);
		const before = await rows(live.map((record) => record.id));
		expect(before.every((row) => row.mask_version === 1 && /\*{4}\d/.test(row.masked_phone ?? ""))).toBe(true);

		// A bounded run: one batch of 10, and it says there is more.
		const first = await remaskStale(store(), await keyring(), { batchSize: 10, maxBatches: 1 });
		expect(first).toEqual({ remasked: 10, batches: 1, failed: [], drained: false });
		expect(await staleCount()).toBe(COUNT + 1 - 10);

		// The every-minute cron finishes it; nothing it logs carries a contact value.
		const logged: string[] = [];
		for (const method of ["log", "info", "warn", "error"] as const) {
			vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
				logged.push(args.map(String).join(" "));
			});
		}
		await runCron("* * * * *");
		vi.restoreAllMocks();
		const housekeeping = logged.find((line) => line.includes('"housekeeping"'));
		expect(JSON.parse(housekeeping as string).remask).toEqual({ remasked: COUNT - 10, batches: 1, failed: 0, drained: true });
		for (const { contact } of CONTACTS) {
			for (const value of [contact.name, contact.address, normalizePhone(contact.phone) as string]) {
				for (const line of logged) expect(line).not.toContain(value);
			}
		}

		const after = await rows(live.map((record) => record.id));
		for (const row of after) {
			const index = live.find((record) => record.id === row.id)?.index as number;
			expect(row).toMatchObject({ mask_version: MASK_VERSION, ...prefixed(expectedMasks(index)) });
			// A derived value changed, not the record: updated_at stays.
			expect(row.updated_at).toBe(before.find((old) => old.id === row.id)?.updated_at);
		}
		// What callers read is the new masks.
		const [sample] = live;
		const view = await json<{ masked: Record<string, string> }>(await call("GET", `/v1/records/${sample?.id}`, { token: service }));
		expect(view.masked).toEqual({ name: "欧阳**", phone: "1******5678", address: "北京市朝阳区****" });

		// The erased record is as it was; the expired one was never re-masked, and the same cron's
		// retention step erased it.
		expect((await rows([erasedId]))[0]).toEqual(erasedBefore);
		expect((await rows([expiredId]))[0]).toMatchObject({ mask_version: 1, masked_phone: null, erased_at: expect.any(Number) });

		// A second run finds nothing and writes nothing.
		const snapshot = await rows(created.map((record) => record.id));
		const second = await remaskStale(store(), await keyring(), { batchSize: 10, maxBatches: 5 });
		expect(second).toEqual({ remasked: 0, batches: 0, failed: [], drained: true });
		expect(await rows(created.map((record) => record.id))).toEqual(snapshot);
	});

	it("an erasure between the job's read and its write wins: the masks never come back", async () => {
		const [victim, other] = created.slice(0, 2) as { id: string; index: number }[];
		await ageMasks([victim, other] as { id: string; index: number }[]);
		const read = await store().staleMasks((await keyring()).keyIds(), "", 100);
		expect(read.map((row) => row.id).sort()).toEqual([victim?.id, other?.id].sort());
		expect((await call("DELETE", `/v1/records/${victim?.id}`, { token: service })).status).toBe(204);
		const written = await store().replaceMasks(
			read.map((row) => ({
				id: row.id,
				previous: row.sealed,
				masked: expectedMasks(row.id === victim?.id ? (victim?.index as number) : (other?.index as number)),
			})),
		);
		expect(written).toEqual([other?.id]);
		expect((await rows([victim?.id as string]))[0]).toMatchObject({
			masked_name: null,
			masked_phone: null,
			masked_address: null,
			erased_at: expect.any(Number),
		});
		expect((await rows([other?.id as string]))[0]).toMatchObject({ mask_version: MASK_VERSION, ...prefixed(expectedMasks(other?.index as number)) });
	});

	it("a record that does not decrypt keeps its old masks and is reported by id only; the rest move on", async () => {
		const [tampered, fine] = created.slice(2, 4) as { id: string; index: number }[];
		await ageMasks([tampered, fine] as { id: string; index: number }[]);
		const row = await env.DB.prepare("SELECT name_ct FROM records WHERE id = ?1").bind(tampered?.id).first<{ name_ct: string }>();
		const flipped = `${row?.name_ct.slice(0, -2)}${row?.name_ct.endsWith("AA") ? "BB" : "AA"}`;
		await env.DB.prepare("UPDATE records SET name_ct = ?2 WHERE id = ?1").bind(tampered?.id, flipped).run();

		const logged: string[] = [];
		vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
			logged.push(args.map(String).join(" "));
		});
		const run = await remaskStale(store(), await keyring());
		expect(run).toEqual({ remasked: 1, batches: 1, failed: [tampered?.id], drained: false });
		expect(logged).toHaveLength(1);
		expect(JSON.parse(logged[0] as string)).toEqual({ event: "remask_decryption_failed", record_id: tampered?.id, field: "name" });
		expect((await rows([tampered?.id as string]))[0]).toMatchObject({ mask_version: 1, ...prefixed(oldOf(tampered?.index as number)) });
		expect((await rows([fine?.id as string]))[0]).toMatchObject({ mask_version: MASK_VERSION, ...prefixed(expectedMasks(fine?.index as number)) });
	});
});

function prefixed(masks: { name: string; phone: string; address: string }) {
	return { masked_name: masks.name, masked_phone: masks.phone, masked_address: masks.address };
}
