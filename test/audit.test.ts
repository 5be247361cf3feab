import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { demoRecords } from "../scripts/lib/demo-data.ts";
import { auditLogFor, entryMacsFor, SEAL_EVERY } from "../src/audit/audit-log-for";
import type { AuditEntry, AuditEvent } from "../src/audit/entry";
import { AuditLog } from "../src/audit/log";
import { CHAIN_START, verifyEntries } from "../src/audit/verify-chain";
import { signingJwkConfig } from "../src/config";
import { verifyCheckpoint } from "../src/crypto/checkpoint-token";
import { signingKeyFor } from "../src/crypto/signing-key";
import { normalizePhone } from "../src/records/phone";
import { call, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, token } from "./support/tokens";
import { reportWork, type WorkOf } from "./support/work";

type Problem = { seq: number; reason: string };
type Report = {
	ok: boolean;
	complete: boolean;
	entries_checked: number;
	head: { seq: number; hash: string };
	first_break: Problem | null;
	checkpoint_problems: Problem[];
	witness: { status: string; problems: Problem[] };
	full_verification: { status: string; ok: boolean; first_break: Problem | null; problems: Problem[] } | null;
};

let service: string;
let ops: string;
const contacts = demoRecords(20);

async function verify(): Promise<Report> {
	const response = await call("GET", "/v1/audit/verify", { token: ops });
	expect(response.status).toBe(200);
	return json<Report>(response);
}

/** Starts a full re-verification and runs the every-minute cron until it has finished; the report then carries it. */
async function fullVerify(): Promise<Report> {
	expect((await call("POST", "/v1/audit/verify/full", { token: ops })).status).toBe(202);
	for (let run = 0; run < 10; run++) {
		await runCron("* * * * *");
		const report = await verify();
		if (report.full_verification?.status === "finished") return report;
	}
	throw new Error("the full re-verification did not finish");
}

async function entry(seq: number): Promise<AuditEntry> {
	return (await env.DB.prepare("SELECT * FROM audit_log WHERE seq = ?1").bind(seq).first<AuditEntry>()) as AuditEntry;
}

/** The append-only and chain triggers exactly as the migrations create them. */
const TRIGGERS = env.TEST_MIGRATIONS.flatMap((migration) => migration.queries).filter((query) => /CREATE TRIGGER audit_log_/.test(query));

/** What an operator with raw database access can do: drop the triggers, tamper, put them back. */
async function asRogueOperator<T>(tamper: () => Promise<T>): Promise<T> {
	expect(TRIGGERS).toHaveLength(4);
	await env.DB.batch(
		["audit_log_insert_unsealed", "audit_log_seal_only", "audit_log_no_delete", "audit_log_mac_required"].map((name) =>
			env.DB.prepare(`DROP TRIGGER IF EXISTS ${name}`),
		),
	);
	try {
		return await tamper();
	} finally {
		await env.DB.batch(TRIGGERS.map((query) => env.DB.prepare(query)));
	}
}

const COLUMNS = ["seq", "at", "kind", "actor", "actor_issuer", "actor_role", "actor_depot", "record_id", "details", "prev_hash", "hash"] as const;
const insertEntry = (row: AuditEntry) =>
	env.DB.prepare(`INSERT INTO audit_log (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map((_, i) => `?${i + 1}`).join(", ")})`).bind(
		...COLUMNS.map((column) => row[column]),
	);

/** Puts rows back exactly as they were. */
async function restore(rows: AuditEntry[]) {
	await asRogueOperator(() =>
		env.DB.batch([env.DB.prepare(`DELETE FROM audit_log WHERE seq IN (${rows.map((r) => r.seq).join(",")})`), ...rows.map(insertEntry)]),
	);
}

beforeAll(async () => {
	service = await serviceToken("records:write records:read records:delete");
	ops = await token({ sub: "ops-alice", scope: "ops" });

	// A scripted day: bookings, a batch, the parcels move, reveals granted, denied, redeemed and refused, an erasure.
	const ids: string[] = [];
	for (const record of contacts.slice(0, 10)) {
		const body = { ...record, depot: "D1", courier: record.party === "recipient" ? "c1" : undefined };
		const response = await call("POST", "/v1/records", { token: service, body });
		ids.push(((await response.json()) as { id: string }).id);
		await reportWork(service, [body as WorkOf]);
	}
	await call("POST", "/v1/records/batch", { token: service, body: { records: contacts.slice(10) } });
	await call("PATCH", `/v1/records/${ids[1]}`, { token: service, body: { depot: "D2" } });
	const courier = await employeeToken("courier", "c1", "D1");
	for (const id of ids.filter((_, i) => i % 2 === 1)) {
		const asked = await call("POST", "/v1/reveals", { token: courier, body: { record_id: id, fields: ["name"], purpose: "delivery" } });
		if (asked.status === 201) {
			const { reveal_token } = (await asked.json()) as { reveal_token: string };
			await call("POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token } });
			await call("POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token } });
		}
	}
	await call("POST", "/v1/reveals", { token: courier, body: { record_id: ids[0], fields: ["name"], purpose: "delivery" } });
	await call("POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token: "forged.token.here" } });
	await call("DELETE", `/v1/records/${ids[2]}`, { token: service });
	// The courier's limiter committed its entries; its alarm would flush them within seconds.
	await settle(courier);
	// Concurrent appenders: sixty bookings at once must neither fork nor gap the chain.
	await Promise.all(Array.from({ length: 60 }, () => call("POST", "/v1/records", { token: service, body: recordBody() })));
}, 30_000); // a scripted day of requests: more than the default 10 s on a busy machine

describe("audit trail", () => {
	it("after a scripted day the chain verifies, every entry contiguous", async () => {
		const report = await verify();
		expect(report.ok).toBe(true);
		expect(report.first_break).toBeNull();
		const { n, max } = (await env.DB.prepare("SELECT count(*) AS n, max(seq) AS max FROM audit_log").first<{ n: number; max: number }>()) as {
			n: number;
			max: number;
		};
		expect(report.entries_checked).toBe(n);
		expect(max).toBe(n);
		expect(report.head.seq).toBe(n);
		const kinds = (await env.DB.prepare("SELECT DISTINCT kind FROM audit_log ORDER BY kind").all<{ kind: string }>()).results.map((r) => r.kind);
		expect(kinds).toEqual([
			"record.batch_created",
			"record.created",
			"record.erased",
			"record.reassigned",
			"reveal.denied",
			"reveal.granted",
			"reveal.redeemed",
			"reveal.refused",
			"shipment.events",
		]);
	});

	it("verifying while others write reports no false break", async () => {
		const [report] = await Promise.all([verify(), ...Array.from({ length: 15 }, () => call("POST", "/v1/records", { token: service, body: recordBody() }))]);
		expect(report.ok).toBe(true);
		expect((await verify()).ok).toBe(true);
	});

	it("every record of a batch finds its batch's creation entry by record_id", async () => {
		const batch = await env.DB.prepare("SELECT seq, details FROM audit_log WHERE kind = 'record.batch_created'").first<{ seq: number; details: string }>();
		const ids = (JSON.parse(batch?.details as string) as { ids: string[] }).ids;
		expect(ids).toHaveLength(contacts.length - 10);
		for (const id of [ids[0], ids.at(-1)]) {
			const history = await json<{ entries: { seq: number; kind: string }[] }>(await call("GET", `/v1/audit?record_id=${id}`, { token: ops }));
			expect(history.entries).toContainEqual(expect.objectContaining({ seq: batch?.seq, kind: "record.batch_created" }));
		}
	});

	it("no audit row contains plaintext contact data", async () => {
		const rows = JSON.stringify((await env.DB.prepare("SELECT * FROM audit_log").all()).results);
		for (const { contact } of contacts) {
			const e164 = normalizePhone(contact.phone) as string;
			for (const plaintext of [contact.name, contact.phone, e164, e164.slice(3), contact.address]) expect(rows.includes(plaintext)).toBe(false);
		}
	});

	it("the database refuses edits, deletions, pre-sealed inserts and re-seals", async () => {
		await verify(); // seals everything so far
		await expect(env.DB.prepare("UPDATE audit_log SET kind = 'x' WHERE seq = 1").run()).rejects.toThrow(/append_only/);
		await expect(env.DB.prepare("UPDATE audit_log SET hash = 'x' WHERE seq = 1").run()).rejects.toThrow(/append_only/);
		await expect(env.DB.prepare("DELETE FROM audit_log WHERE seq = 1").run()).rejects.toThrow(/append_only/);
		const first = await entry(1);
		await expect(insertEntry({ ...first, seq: 100_000 }).run()).rejects.toThrow(/append_only/);
		// An unsealed entry can only be sealed onto the real head, with its content unchanged. (Written
		// here with the vault's MAC, as the vault writes it: one without is a forgery, audit-witness.test.ts.)
		const content = { at: 1, kind: "record.created", actor: null, actor_issuer: null, actor_role: null, actor_depot: null, record_id: null, details: "{}" };
		const { mac, mac_key } = await entryMacsFor(env).seal(content);
		const { meta } = await env.DB.prepare("INSERT INTO audit_log (at, kind, details, mac, mac_key) VALUES (1, 'record.created', '{}', ?1, ?2)")
			.bind(mac, mac_key)
			.run();
		const seq = meta.last_row_id;
		await expect(env.DB.prepare("UPDATE audit_log SET prev_hash = 'forged', hash = 'x' WHERE seq = ?1").bind(seq).run()).rejects.toThrow(/append_only/);
		await expect(
			env.DB.prepare("UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log WHERE seq = ?1 - 1), hash = 'x', details = '{\"a\":1}' WHERE seq = ?1")
				.bind(seq)
				.run(),
		).rejects.toThrow(/append_only/);
		expect((await verify()).ok).toBe(true); // and the honest sealer links it
	});

	it("deleting a row directly in D1 is reported at that exact place", async () => {
		const victim = await entry(7);
		await asRogueOperator(() => env.DB.prepare("DELETE FROM audit_log WHERE seq = 7").run());
		// Far below the last verified checkpoint: the full re-verification finds it.
		const report = await fullVerify();
		expect(report.ok).toBe(false);
		expect(report.full_verification?.first_break).toMatchObject({ seq: 7, reason: "missing_entry" });
		await restore([victim]);
		expect((await fullVerify()).ok).toBe(true);
	});

	it("editing a row directly in D1 is reported at that exact place", async () => {
		const victim = await entry(12);
		await asRogueOperator(() => env.DB.prepare(`UPDATE audit_log SET details = '{"reason":"nothing to see"}' WHERE seq = 12`).run());
		expect((await fullVerify()).full_verification?.first_break).toMatchObject({ seq: 12, reason: "hash_mismatch" });
		await restore([victim]);
		await asRogueOperator(() => env.DB.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 12").run());
		expect((await fullVerify()).full_verification?.first_break).toMatchObject({ seq: 12, reason: "hash_mismatch" });
		await restore([victim]);
		expect((await fullVerify()).ok).toBe(true);
	});

	it("swapping two rows directly in D1 is reported at that exact place", async () => {
		const [a, b] = [await entry(20), await entry(21)];
		await asRogueOperator(async () => {
			await env.DB.batch([env.DB.prepare("DELETE FROM audit_log WHERE seq IN (20, 21)"), insertEntry({ ...b, seq: 20 }), insertEntry({ ...a, seq: 21 })]);
		});
		expect((await fullVerify()).full_verification?.first_break).toMatchObject({ seq: 20, reason: "prev_hash_mismatch" });
		await restore([a, b]);
		expect((await fullVerify()).ok).toBe(true);
	});

	it("rewriting the chain wholesale after a checkpoint is caught by the signed checkpoint", async () => {
		const checkpoints = (await json<{ checkpoints: { seq: number }[] }>(await call("GET", "/v1/audit/checkpoints", { token: ops }))).checkpoints;
		expect(checkpoints.length).toBeGreaterThan(0); // one every 25 entries in tests
		const target = checkpoints[0]?.seq as number;
		const original = (
			await env.DB.prepare("SELECT * FROM audit_log WHERE seq >= ?1 ORDER BY seq")
				.bind(target - 1)
				.all<AuditEntry>()
		).results;
		// Edit an entry before the checkpoint and recompute every hash after it, as a careful forger would.
		const { entryHash } = await import("../src/audit/entry");
		const rewritten: AuditEntry[] = [];
		let prev = (original[0] as AuditEntry).prev_hash;
		for (const [index, row] of original.entries()) {
			const changed = { ...row, details: index === 0 ? '{"reason":"rewritten"}' : row.details, prev_hash: prev };
			const hash = await entryHash({ ...changed, prev_hash: prev as string });
			rewritten.push({ ...changed, hash });
			prev = hash;
		}
		await asRogueOperator(async () => {
			await env.DB.batch([env.DB.prepare("DELETE FROM audit_log WHERE seq >= ?1").bind(target - 1), ...rewritten.map(insertEntry)]);
		});
		// At once: the newest heads the witness saw sealed are not in D1 any more.
		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: report.head.seq, reason: "hash_differs" }));
		// And the full re-verification names the checkpoint: the chain itself is consistent again.
		const full = await fullVerify();
		expect(full.full_verification?.first_break).toBeNull();
		expect(full.full_verification?.problems).toContainEqual({ seq: target, reason: "hash_differs" });
		await restore(original);
		expect((await fullVerify()).ok).toBe(true);
	});

	it("a deleted checkpoint is missed: the sealer signs every multiple of the interval", async () => {
		const report = await verify();
		expect(report.ok).toBe(true);
		const multiples = Math.floor(report.head.seq / 25);
		const signed = (await env.DB.prepare("SELECT seq FROM audit_checkpoints WHERE seq % 25 = 0 ORDER BY seq").all<{ seq: number }>()).results.map((r) => r.seq);
		expect(signed).toEqual(Array.from({ length: multiples }, (_, i) => (i + 1) * 25));
		await expect(env.DB.prepare("DELETE FROM audit_checkpoints WHERE seq = 50").run()).rejects.toThrow(/append_only/);
		const saved = await env.DB.prepare("SELECT * FROM audit_checkpoints WHERE seq = 50").first<{ seq: number; hash: string; at: number; signature: string }>();
		await env.DB.batch([env.DB.prepare("DROP TRIGGER audit_checkpoints_no_delete"), env.DB.prepare("DELETE FROM audit_checkpoints WHERE seq = 50")]);
		// At once: D1 holds fewer checkpoints than the witness saw stored; the full run names it,
		// both from the next checkpoint's link and from the witness.
		expect((await verify()).witness.problems).toContainEqual(expect.objectContaining({ reason: "checkpoints_missing" }));
		const full = await fullVerify();
		expect(full.full_verification?.problems).toContainEqual({ seq: 50, reason: "checkpoint_missing" });
		expect(full.full_verification?.problems).toContainEqual(expect.objectContaining({ seq: 50, reason: "checkpoint_missing", detail: expect.any(String) }));
		const triggers = env.TEST_MIGRATIONS.flatMap((m) => m.queries).filter((q) => q.includes("audit_checkpoints_no_delete"));
		await env.DB.batch([
			env.DB.prepare("INSERT INTO audit_checkpoints (seq, hash, at, signature) VALUES (?1, ?2, ?3, ?4)").bind(
				saved?.seq,
				saved?.hash,
				saved?.at,
				saved?.signature,
			),
			...triggers.map((q) => env.DB.prepare(q)),
		]);
		expect((await fullVerify()).ok).toBe(true);
	});

	it("an exported segment verifies offline with nothing but the export's checkpoints and public keys", async () => {
		const exported = await json<{
			entries: AuditEntry[];
			checkpoints: { seq: number; hash: string; signature: string }[];
			jwks: { keys: Record<string, unknown>[] };
		}>(await call("GET", "/v1/audit/export?from_seq=1", { token: ops }));
		const outcome = await verifyEntries(exported.entries, CHAIN_START);
		expect("cursor" in outcome).toBe(true);
		const { importJWK } = await import("jose");
		const jwk = exported.jwks.keys[0] as { kid: string; alg: "EdDSA" };
		const publicKey = (await importJWK(jwk, jwk.alg)) as CryptoKey;
		const keys = [{ kid: jwk.kid, alg: jwk.alg, publicKey, privateKey: publicKey, publicJwk: jwk }];
		for (const checkpoint of exported.checkpoints) {
			const vouched = await verifyCheckpoint(keys, checkpoint.signature);
			expect(vouched).toMatchObject({ seq: checkpoint.seq, hash: checkpoint.hash });
			expect(exported.entries.find((e) => e.seq === checkpoint.seq)?.hash).toBe(vouched?.hash);
		}
	});

	it("the hourly cron signs the head however quiet the vault is", async () => {
		await call("POST", "/v1/records", { token: service, body: recordBody() });
		const head = ((await env.DB.prepare("SELECT max(seq) AS m FROM audit_log").first<{ m: number }>()) as { m: number }).m;
		await runCron("17 * * * *");
		const latest = await env.DB.prepare("SELECT seq, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1").first<{ seq: number; signature: string }>();
		expect(latest?.seq).toBe(head);
		const key = await signingKeyFor(signingJwkConfig(env));
		expect((await verifyCheckpoint([key], latest?.signature as string))?.seq).toBe(head);
	});
});

describe("audit queries", () => {
	it("filters by actor, record, kind and time, newest first, with cursor pagination", async () => {
		const page = async (query: string) =>
			json<{ entries: { seq: number; kind: string; actor: { subject: string } | null; record_id: string | null }[]; next_cursor: string | null }>(
				await call("GET", `/v1/audit?${query}`, { token: ops }),
			);
		const all: number[] = [];
		let cursor: string | null = null;
		do {
			const result = await page(`actor=c1&limit=4${cursor ? `&cursor=${cursor}` : ""}`);
			for (const e of result.entries) expect(e.actor?.subject).toBe("c1");
			all.push(...result.entries.map((e) => e.seq));
			cursor = result.next_cursor;
		} while (cursor);
		const expected = (await env.DB.prepare("SELECT seq FROM audit_log WHERE actor = 'c1' ORDER BY seq DESC").all<{ seq: number }>()).results.map((r) => r.seq);
		expect(all).toEqual(expected);
		expect(all.length).toBeGreaterThan(4);

		const redeemed = await page("kind=reveal.redeemed");
		expect(redeemed.entries.length).toBeGreaterThan(0);
		expect(redeemed.entries.every((e) => e.kind === "reveal.redeemed")).toBe(true);
		const recordId = redeemed.entries[0]?.record_id as string;
		const history = await page(`record_id=${recordId}`);
		expect(history.entries.map((e) => e.kind)).toContain("record.created");
		expect((await page(`from=${Date.now() + 60_000}`)).entries).toEqual([]);
		expect((await page(`to=${new Date(Date.now() + 60_000).toISOString()}&limit=1`)).entries).toHaveLength(1);
	});

	it("is for ops only, and bad filters are 422", async () => {
		expect((await call("GET", "/v1/audit", { token: service })).status).toBe(403);
		expect((await call("GET", "/v1/audit/verify", { token: await employeeToken("supervisor", "s1", "D1") })).status).toBe(403);
		expect((await call("GET", "/v1/audit?kind=made.up", { token: ops })).status).toBe(422);
		expect((await call("GET", "/v1/audit?limit=100000", { token: ops })).status).toBe(422);
		expect((await call("GET", "/v1/audit?cursor=abc", { token: ops })).status).toBe(422);
	});
});

describe("appends within D1's limits", () => {
	it("a backlog of minute summaries larger than D1 takes in one value lands in several statements of one transaction, every record referenced", async () => {
		// Every string bound to a statement, in bytes: D1 refuses one over 2,000,000.
		const bound: number[] = [];
		const measured = new Proxy(env.DB, {
			get(target, property) {
				if (property === "prepare") {
					return (query: string) => {
						const statement = target.prepare(query);
						return new Proxy(statement, {
							get(real, name) {
								if (name === "bind")
									return (...values: unknown[]) => {
										for (const value of values) if (typeof value === "string") bound.push(new TextEncoder().encode(value).length);
										return real.bind(...values);
									};
								const value = Reflect.get(real, name, real);
								return typeof value === "function" ? value.bind(real) : value;
							},
						});
					};
				}
				const value = Reflect.get(target, property, target);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
		// A prober's hour while D1 was away: a summary a minute, each naming its 500 records.
		const now = Date.now();
		const entries = Array.from({ length: 100 }, (_, minute) => {
			const recordIds = Array.from({ length: 500 }, (_, k) => `rec_backlog_${String(minute).padStart(3, "0")}_${String(k).padStart(12, "0")}`);
			return {
				entryId: crypto.randomUUID(),
				event: {
					kind: "refusals.summarized" as const,
					at: now - (100 - minute) * 60_000,
					actor: { subject: "backlog-prober", issuer: "test", role: "courier", depot: "D-BACKLOG" },
					recordId: null,
					details: { minute: new Date(now - (100 - minute) * 60_000).toISOString(), ask_not_found: 500, record_ids: recordIds },
					recordIds,
				},
			};
		});
		const seqs = await new AuditLog(measured, entryMacsFor(env)).appendOutbox(entries, "test:backlog", now);
		expect(seqs).toHaveLength(100);
		expect(Math.max(...bound)).toBeLessThanOrEqual(2_000_000);
		expect(bound.filter((bytes) => bytes > 100_000).length).toBeGreaterThan(2);
		const refs = await env.DB.prepare("SELECT count(*) AS n FROM audit_record_refs WHERE seq IN (SELECT value FROM json_each(?1))")
			.bind(JSON.stringify(seqs))
			.first<{ n: number }>();
		expect(refs?.n).toBe(100 * 500);
	});
});

describe("sealing schedule", () => {
	it("an append schedules a seal only when it writes a seq that is a multiple of SEAL_EVERY, single or in a batch", async () => {
		const scheduled: Promise<unknown>[] = [];
		const log = auditLogFor(env, { waitUntil: (promise) => void scheduled.push(promise) });
		await Promise.all(scheduled.splice(0));
		const event = (n: number): AuditEvent => ({
			kind: "record.created",
			at: Date.now(),
			actor: { subject: "svc", issuer: "test" },
			recordId: `r${n}`,
			details: {},
		});
		const next = async () => (await env.DB.prepare("SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM audit_log").first<{ seq: number }>())?.seq ?? 1;

		// Every append tells the witness what it wrote after the response; one that writes a multiple also seals.
		const settled = async () => {
			await Promise.all(scheduled.splice(0));
			return (await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE hash IS NULL").first<{ n: number }>())?.n ?? -1;
		};

		// Walk up to just before the next multiple with single appends: none of them seals.
		do await log.appendAllWith([event(0)]);
		while ((await next()) % SEAL_EVERY !== 0);
		expect(await settled()).toBeGreaterThan(0);
		await log.appendAllWith([event(1)]);
		expect(await settled()).toBe(0);

		// A batch that crosses a multiple seals once; one that does not, never.
		await log.appendAllWith(Array.from({ length: SEAL_EVERY - 2 }, (_, i) => event(i)));
		expect(await settled()).toBe(SEAL_EVERY - 2);
		await log.appendAllWith(Array.from({ length: 3 }, (_, i) => event(i)));
		expect(await settled()).toBe(0);
	});

	it("one seal links pages of entries oldest first, each page in one statement the seal-only trigger accepts", async () => {
		// Appended without a context: nothing seals them until the sealer below.
		const log = auditLogFor(env);
		while ((await log.sealSome()).more);
		const before = await log.head();
		const events = Array.from({ length: 450 }, (_, n) => ({
			kind: "record.created" as const,
			at: Date.now(),
			actor: { subject: "svc-pages", issuer: "test" },
			recordId: `pages-${n}`,
			details: {},
		}));
		await log.appendAllWith(events.slice(0, 250));
		await log.appendAllWith(events.slice(250));
		const { head, more } = await log.sealSome();
		expect(more).toBe(false);
		expect(head.seq).toBe(before.seq + 450);
		const rows = (
			await env.DB.prepare("SELECT seq, prev_hash, hash FROM audit_log WHERE seq > ?1 ORDER BY seq")
				.bind(before.seq)
				.all<{ seq: number; prev_hash: string; hash: string }>()
		).results;
		expect(rows).toHaveLength(450);
		// Each entry names the one before it: three pages (200, 200, 50), linked in order.
		for (const [i, row] of rows.entries()) expect(row.prev_hash).toBe(i === 0 ? before.hash : rows[i - 1]?.hash);
		expect(rows.at(-1)?.hash).toBe(head.hash);
		expect((await verify()).ok).toBe(true);
	});
});
