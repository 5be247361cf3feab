import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLogFor, entryMacsFor } from "../src/audit/audit-log-for";
import type { AuditEntry } from "../src/audit/entry";
import type { Env } from "../src/env";
import { callWith, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { asDba, checkpointsFrom, entriesFrom, insertEntry, rechain, restoreFrom } from "./support/dba";
import { vaultSigningJwk } from "./support/reveal-tokens";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, token } from "./support/tokens";
import { unreachableWitness, witnessStub } from "./support/witness";

type Problem = { seq: number; reason: string; detail?: string };
type Report = {
	ok: boolean;
	complete: boolean;
	head: { seq: number; hash: string };
	first_break: Problem | null;
	checkpoint_problems: Problem[];
	witness: { status: string; head: { seq: number; hash: string } | null; problems: Problem[] };
	sealing: { status: string; unsealed_from: number | null };
	full_verification: { status: string; ok: boolean; first_break: Problem | null; problems: Problem[] } | null;
};
type Config = Partial<Env>;

let service: string;
let ops: string;
/** The vault's configuration from the rollover test on: key B signs, key A is a previous key. */
let current: Config = {};

const verify = async (config: Config = current): Promise<Report> => {
	const response = await callWith(config, "GET", "/v1/audit/verify", { token: ops });
	expect(response.status).toBe(200);
	return json<Report>(response);
};

/** Starts a full re-verification and runs the every-minute cron until it has finished. */
async function fullVerify(config: Config = current): Promise<Report> {
	expect((await callWith(config, "POST", "/v1/audit/verify/full", { token: ops })).status).toBe(202);
	for (let run = 0; run < 10; run++) {
		await runCron("* * * * *", Date.now(), { ...env, ...config } as Env);
		const report = await verify(config);
		if (report.full_verification?.status === "finished") return report;
	}
	throw new Error("the full re-verification did not finish");
}

const book = (config: Config = current) => callWith(config, "POST", "/v1/records", { token: service, body: recordBody() });

async function bookings(count: number, config: Config = current): Promise<string[]> {
	const ids: string[] = [];
	for (let i = 0; i < count; i++) {
		const response = await book(config);
		expect(response.status).toBe(201);
		ids.push((await json<{ id: string }>(response)).id);
	}
	return ids;
}

async function maxSeq(): Promise<number> {
	return (await env.DB.prepare("SELECT COALESCE(max(seq), 0) AS m FROM audit_log").first<{ m: number }>())?.m ?? 0;
}

async function unsealed(): Promise<number> {
	return (await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE hash IS NULL").first<{ n: number }>())?.n ?? -1;
}

/** A verification that must find nothing: every field that would carry a finding is empty. */
async function expectClean(config: Config = current): Promise<Report> {
	const report = await verify(config);
	expect(report.witness).toMatchObject({ status: "compared", problems: [] });
	expect(report.first_break).toBeNull();
	expect(report.checkpoint_problems).toEqual([]);
	expect(report.ok).toBe(true);
	return report;
}

beforeAll(async () => {
	service = await serviceToken();
	ops = await token({ sub: "ops-witness", scope: "ops" });
	await bookings(60);
	await runCron("17 * * * *");
	await expectClean();
});

describe("no false alarm", () => {
	it("while others write: verifying during forty bookings, and after them", async () => {
		const [report, ...created] = await Promise.all([verify(), ...Array.from({ length: 40 }, () => book())]);
		expect(created.every((response) => response.status === 201)).toBe(true);
		expect(report?.ok).toBe(true);
		expect(report?.witness.problems).toEqual([]);
		const after = await expectClean();
		expect(after.witness.head?.seq).toBe(after.head.seq);
	});

	it("after retention erased records", async () => {
		const ids = await bookings(5);
		await env.DB.prepare("UPDATE records SET expires_at = ?1 WHERE id IN (SELECT value FROM json_each(?2))")
			.bind(Date.now() - 1, JSON.stringify(ids))
			.run();
		await runCron("* * * * *");
		const erased = await env.DB.prepare("SELECT count(*) AS n FROM records WHERE erased_at IS NOT NULL AND id IN (SELECT value FROM json_each(?1))")
			.bind(JSON.stringify(ids))
			.first<{ n: number }>();
		expect(erased?.n).toBe(5);
		await expectClean();
		expect((await fullVerify()).full_verification).toMatchObject({ status: "finished", ok: true });
	});

	it("across a signing-key rollover: checkpoints signed by either key, linked across the switch", async () => {
		const { privateKey } = await generateKeyPair("ES256", { extractable: true });
		const keyB = { ...(await exportJWK(privateKey)), kid: "witness-b" } as JWK & { kid: string };
		const { d: _d, ...publicA } = vaultSigningJwk();
		const switched: Config = {
			REVEAL_SIGNING_JWK: JSON.stringify(keyB),
			REVEAL_SIGNING_PREVIOUS: JSON.stringify([{ jwk: publicA, retired_at: new Date().toISOString() }]),
		};
		await bookings(30, switched);
		const signed = await json<{ checkpoint: { seq: number; signature: string } | null }>(
			await callWith(switched, "POST", "/v1/audit/checkpoints", { token: ops }),
		);
		expect(signed.checkpoint).not.toBeNull();
		const kids = (await checkpointsFrom(1)).map((row) => JSON.parse(atob(row.signature.split(".")[0] as string)).kid);
		expect(new Set(kids)).toEqual(new Set([vaultSigningJwk().kid, "witness-b"]));
		await expectClean(switched);
		expect((await fullVerify(switched)).full_verification).toMatchObject({ status: "finished", ok: true, problems: [] });
		current = switched;
	});
});

describe("the witness cannot be reached", () => {
	it("appends go on, sealing waits and says so, nothing is lost, and sealing catches up", async () => {
		const down: Config = { ...current, AUDIT_WITNESS: unreachableWitness() };
		const sealedBefore = (await expectClean()).head.seq;
		const ids = await bookings(40, down);
		expect(await unsealed()).toBe(40);

		const report = await verify(down);
		expect(report.ok).toBe(false);
		expect(report.witness).toMatchObject({ status: "unreachable", head: null, problems: [] });
		expect(report.first_break).toBeNull();
		expect(report.sealing).toEqual({ status: "delayed", unsealed_from: sealedBefore + 1 });
		// The cron's seal fails the same way and writes nothing.
		await expect(runCron("* * * * *", Date.now(), { ...env, ...down } as Env)).rejects.toThrow();
		expect(await unsealed()).toBe(40);

		// Back: the next run seals everything, in order, every entry there.
		await runCron("* * * * *", Date.now(), { ...env, ...current } as Env);
		expect(await unsealed()).toBe(0);
		const after = await expectClean();
		expect(after.head.seq).toBe(sealedBefore + 40);
		expect(await maxSeq()).toBe(sealedBefore + 40);
		const logged = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE kind = 'record.created' AND record_id IN (SELECT value FROM json_each(?1))")
			.bind(JSON.stringify(ids))
			.first<{ n: number }>();
		expect(logged?.n).toBe(40);
	});
});

describe("a database administrator's edits, with the triggers dropped", () => {
	it("truncating the tail by one entry is reported with its seq", async () => {
		const head = (await expectClean()).head.seq;
		const [entries, checkpoints] = [await entriesFrom(head), await checkpointsFrom(head)];
		await asDba(() =>
			env.DB.batch([
				env.DB.prepare("DELETE FROM audit_log WHERE seq >= ?1").bind(head),
				env.DB.prepare("DELETE FROM audit_checkpoints WHERE seq >= ?1").bind(head),
			]),
		);
		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.head.seq).toBe(head - 1);
		expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: head, reason: "tail_truncated" }));
		await restoreFrom(head, entries, checkpoints);
		await expectClean();
	});

	it("truncating the tail by a hundred entries, and the checkpoints over them, is reported with the seqs", async () => {
		// A hundred and ten entries through the append path in one transaction (a busy minute).
		await auditLogFor({ ...env, ...current } as Env).appendAllWith(
			Array.from({ length: 110 }, (_, i) => ({
				kind: "record.created",
				at: Date.now(),
				actor: { subject: "courier-svc", issuer: "test" },
				recordId: `r-${i}`,
				details: {},
			})),
		);
		const head = (await expectClean()).head.seq;
		const cut = head - 99;
		const [entries, checkpoints] = [await entriesFrom(cut), await checkpointsFrom(cut)];
		expect(checkpoints.length).toBeGreaterThan(2);
		await asDba(() =>
			env.DB.batch([
				env.DB.prepare("DELETE FROM audit_log WHERE seq >= ?1").bind(cut),
				env.DB.prepare("DELETE FROM audit_checkpoints WHERE seq >= ?1").bind(cut),
			]),
		);
		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: cut, reason: "tail_truncated" }));
		for (const checkpoint of checkpoints)
			expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: checkpoint.seq, reason: "checkpoint_missing" }));
		await restoreFrom(cut, entries, checkpoints);
		await expectClean();
	});

	it("editing an old entry, re-hashing everything after it and deleting the checkpoints after it is reported with the seqs", async () => {
		const head = (await expectClean()).head.seq;
		const victim = 10;
		const [entries, checkpoints] = [await entriesFrom(victim), await checkpointsFrom(victim)];
		const before = entries[0] as AuditEntry;
		const forged = await rechain([{ ...before, actor: "someone-else" }, ...entries.slice(1)], victim, before.prev_hash as string);
		await asDba(() =>
			env.DB.batch([
				env.DB.prepare("DELETE FROM audit_log WHERE seq >= ?1").bind(victim),
				env.DB.prepare("DELETE FROM audit_checkpoints WHERE seq >= ?1").bind(victim),
				...forged.map(insertEntry),
			]),
		);
		// At once: the newest heads the witness saw are not D1's, and its newest checkpoints are gone.
		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: head, reason: "hash_differs" }));
		const newest = checkpoints.at(-1) as { seq: number };
		expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: newest.seq, reason: "checkpoint_missing" }));
		expect(report.witness.problems).toContainEqual(expect.objectContaining({ reason: "checkpoints_missing" }));

		// The full re-verification names the first witnessed seq after the edit and every checkpoint deleted.
		const firstWitnessed = (await witnessStub().between(victim, head)).points[0] as { seq: number };
		const full = await fullVerify();
		expect(full.full_verification?.first_break).toBeNull(); // the forged chain is consistent in itself
		expect(full.full_verification?.problems).toContainEqual(expect.objectContaining({ seq: firstWitnessed.seq, reason: "hash_differs" }));
		for (const checkpoint of checkpoints) {
			expect(full.full_verification?.problems).toContainEqual(expect.objectContaining({ seq: checkpoint.seq, reason: "checkpoint_missing" }));
		}
		await restoreFrom(victim, entries, checkpoints);
		expect((await fullVerify()).ok).toBe(true);
	});

	it("after a checkpoint: deleting one courier's entries, renumbering and re-hashing the rest is reported, and stays reported as sealing goes on", async () => {
		const checkpoint = await json<{ checkpoint: { seq: number; hash: string } | null }>(
			await callWith(current, "POST", "/v1/audit/checkpoints", { token: ops }),
		);
		const after = checkpoint.checkpoint as { seq: number; hash: string };
		expect(after).not.toBeNull();
		// Two couriers ask for reveals (refused here: no open leg), five each, interleaved.
		const [a, b] = [await employeeToken("courier", "courier-a", "D-W"), await employeeToken("courier", "courier-b", "D-W")];
		const [record] = await bookings(1);
		for (let i = 0; i < 5; i++) {
			for (const bearer of [a, b])
				await callWith(current, "POST", "/v1/reveals", { token: bearer, body: { record_id: record, fields: ["name"], purpose: "delivery" } });
		}
		await settle(a, b);
		const head = (await expectClean()).head.seq;
		const tail = await entriesFrom(after.seq + 1);
		expect(tail.filter((entry) => entry.actor === "courier-a")).toHaveLength(5);
		const kept = await rechain(
			tail.filter((entry) => entry.actor !== "courier-a"),
			after.seq + 1,
			after.hash,
		);
		await asDba(() =>
			env.DB.batch([
				env.DB.prepare("DELETE FROM audit_log WHERE seq > ?1").bind(after.seq),
				env.DB.prepare("DELETE FROM audit_checkpoints WHERE seq > ?1").bind(after.seq),
				...kept.map(insertEntry),
			]),
		);
		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.head.seq).toBe(head - 5);
		expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: head - 4, reason: "tail_truncated" }));
		const witnessedInTail = (await witnessStub().between(after.seq + 1, head - 5)).points;
		for (const point of witnessedInTail) expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: point.seq, reason: "hash_differs" }));

		// Later entries seal onto the forged chain as before, and the witness keeps saying where it differs.
		// A verification reads the witness before it seals: the seal that contradicts the witness (this
		// first verification's, unless an append reached a multiple of SEAL_EVERY first) shows from the next.
		await bookings(20);
		await verify();
		const later = await verify();
		expect(later.ok).toBe(false);
		expect(later.head.seq).toBe(head + 15);
		expect(later.witness.problems).toContainEqual(expect.objectContaining({ seq: head, reason: "sealed_differently" }));
		expect(later.witness.problems).toContainEqual(expect.objectContaining({ seq: head, reason: "hash_differs" }));
	});

	// Last in the file: the witness keeps what it finds for good.
	it("a grant forged onto the tail, inserted already sealed, is reported with its seq, before any seal after it and for good after", async () => {
		const before = await verify();
		expect(before.sealing.unsealed_from).toBeNull();
		const head = before.head;
		expect(await maxSeq()).toBe(head.seq);
		// A reveal someone never made, with the hashes a careful forger computes.
		const [template] = await entriesFrom(head.seq);
		const [forged] = await rechain(
			[{ ...(template as AuditEntry), kind: "reveal.granted", actor: "courier-framed", actor_role: "courier", actor_depot: "D-W", details: "{}" }],
			head.seq + 1,
			head.hash as string,
		);
		await asDba(() => insertEntry(forged as AuditEntry).run());

		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.head.seq).toBe(head.seq + 1);
		expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: head.seq + 1, reason: "sealed_unwitnessed" }));

		// Later entries seal onto it; the first seal from it is the witness's own record of it.
		await bookings(3);
		await verify();
		const later = await verify();
		expect(later.ok).toBe(false);
		expect(later.head.seq).toBe(head.seq + 4);
		expect(later.witness.problems).toContainEqual(expect.objectContaining({ seq: head.seq + 1, reason: "sealed_unwitnessed" }));
		expect(later.witness.problems.filter((problem) => problem.reason === "sealed_unwitnessed")).toHaveLength(1);
	});

	it("an entry edited before its seal, or inserted without the vault's MAC, is linked and reported as forged; one the vault wrote is not", async () => {
		const macs = entryMacsFor({ ...env, ...current } as Env);
		const content = (n: number) => ({
			at: Date.now(),
			kind: "reveal.redeemed",
			actor: `courier-mac-${n}`,
			actor_issuer: "test",
			actor_role: "courier",
			actor_depot: "D-W",
			record_id: `r-mac-${n}`,
			details: "{}",
		});
		const insert = async (row: ReturnType<typeof content>, seal: { mac: string | null; mac_key: string | null }) =>
			(
				await env.DB.prepare(
					"INSERT INTO audit_log (at, kind, actor, actor_issuer, actor_role, actor_depot, record_id, details, mac, mac_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
				)
					.bind(row.at, row.kind, row.actor, row.actor_issuer, row.actor_role, row.actor_depot, row.record_id, row.details, seal.mac, seal.mac_key)
					.run()
			).meta.last_row_id;
		const genuine = await insert(content(1), await macs.seal(content(1)));
		const edited = await insert(content(2), await macs.seal(content(2)));
		// The database refuses an unsealed entry without a MAC; with its triggers dropped, it takes one.
		await expect(insert(content(3), { mac: null, mac_key: null })).rejects.toThrow(/audit_log_mac_required/);
		const unsigned = await asDba(() => insert(content(3), { mac: null, mac_key: null }));
		await asDba(() => env.DB.prepare("UPDATE audit_log SET actor = 'courier-mac-other' WHERE seq = ?1").bind(edited).run());
		// Not sealed yet, so not judged yet: the log says neither forged nor genuine.
		const unsealed = await callWith(current, "GET", "/v1/audit?kind=reveal.redeemed&limit=500", { token: ops });
		const beforeSeal = ((await unsealed.json()) as { entries: { seq: number; hash: string | null; forged: boolean | null }[] }).entries;
		expect(beforeSeal.find((entry) => entry.seq === unsigned)).toMatchObject({ hash: null, forged: null });

		await verify();
		const report = await verify();
		expect(report.head.seq).toBeGreaterThanOrEqual(unsigned);
		const forged = report.witness.problems.filter((problem) => problem.reason === "entry_forged");
		expect(forged).toContainEqual(expect.objectContaining({ seq: edited, detail: expect.stringContaining("mac_invalid") }));
		expect(forged).toContainEqual(expect.objectContaining({ seq: unsigned, detail: expect.stringContaining("mac_missing") }));
		expect(forged.map((problem) => problem.seq)).not.toContain(genuine);

		// The log as ops read it marks them too: a reader of GET /v1/audit is not handed a forged redeem as something a courier did.
		const page = await callWith(current, "GET", "/v1/audit?kind=reveal.redeemed&limit=500", { token: ops });
		expect(page.status).toBe(200);
		const marked = new Map(((await page.json()) as { entries: { seq: number; forged: boolean }[] }).entries.map((entry) => [entry.seq, entry.forged] as const));
		expect(marked.get(edited)).toBe(true);
		expect(marked.get(unsigned)).toBe(true);
		expect(marked.get(genuine)).toBe(false);
	});
});
