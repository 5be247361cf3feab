import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { type ArchiveObject, verifyArchive } from "../scripts/lib/archive-verify.ts";
import type { AuditEntry } from "../src/audit/entry";
import { call, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { asDba, checkpointsFrom, entriesFrom, insertEntry, rechain, restoreFrom } from "./support/dba";
import { serviceToken, token } from "./support/tokens";

type Problem = { seq: number; reason: string; detail?: string };
type Report = { ok: boolean; witness: { problems: Problem[] } };

const DAY = 86_400_000;
const bucket = () => env.AUDIT_ARCHIVE as R2Bucket;
let ops: string;
let jwks: { keys: Record<string, unknown>[] };

async function archiveObjects(): Promise<ArchiveObject[]> {
	const listed = await bucket().list({ prefix: "audit/" });
	return Promise.all(listed.objects.map(async (object) => ({ key: object.key, body: await ((await bucket().get(object.key)) as R2ObjectBody).text() })));
}

const verify = async () => json<Report>(await call("GET", "/v1/audit/verify", { token: ops }));

beforeAll(async () => {
	const service = await serviceToken();
	ops = await token({ sub: "ops-archive", scope: "ops" });
	for (let i = 0; i < 70; i++) expect((await call("POST", "/v1/records", { token: service, body: recordBody() })).status).toBe(201);
	await runCron("17 * * * *"); // seals and signs the head: the day's last checkpoint
	jwks = await json(await call("GET", "/.well-known/jwks.json"));
});

describe("the audit archive", () => {
	it("writes each past day as a signed segment ending at a checkpoint, never twice", async () => {
		expect((await bucket().list({ prefix: "audit/" })).objects).toHaveLength(0);
		await runCron("17 * * * *", Date.now() + DAY); // the next day's hourly run archives today
		const keys = (await bucket().list({ prefix: "audit/" })).objects.map((object) => object.key).sort();
		// Today's last checkpoint is the hourly one of the head: everything so far.
		const head = (await env.DB.prepare("SELECT seq FROM audit_checkpoints WHERE at < ?1 ORDER BY seq DESC LIMIT 1")
			.bind(Math.floor((Date.now() + DAY) / DAY) * DAY)
			.first<{ seq: number }>()) as { seq: number };
		expect(head.seq).toBe(70);
		expect(keys.length).toBe(2);
		expect(keys[0]).toMatch(/^audit\/\d{4}-\d{2}-\d{2}\/000000000001-\d{12}\.jsonl$/);
		expect(keys[1]).toBe((keys[0] as string).replace(/\.jsonl$/, ".jws"));
		expect(Number((keys[0] as string).slice(-17, -6))).toBe(head.seq);
		// A second run finds the day archived and writes nothing.
		await runCron("17 * * * *", Date.now() + DAY);
		expect((await bucket().list({ prefix: "audit/" })).objects).toHaveLength(2);
	});

	it("verifies offline from the archive and the JWKS alone; a tampered copy is caught at the entry", async () => {
		const objects = await archiveObjects();
		const report = await verifyArchive(objects, jwks);
		expect(report).toMatchObject({ ok: true, segments: 1, problems: [] });
		expect(report.entries).toBe(70);
		expect(report.checkpoints).toBeGreaterThan(2);

		const segment = objects.find((object) => object.key.endsWith(".jsonl")) as ArchiveObject;
		const lines = segment.body.split("\n");
		const victim = JSON.parse(lines[4] as string) as AuditEntry;
		const edited = [...lines];
		edited[4] = JSON.stringify({ ...victim, actor: "someone-else" });
		const tampered = await verifyArchive([...objects.filter((object) => object !== segment), { ...segment, body: edited.join("\n") }], jwks);
		expect(tampered.ok).toBe(false);
		expect(tampered.problems).toContainEqual({ key: segment.key, reason: "sha256_differs" });
		expect(tampered.problems).toContainEqual({ key: segment.key, seq: victim.seq, reason: "hash_mismatch" });

		// A line removed, and a key nobody published: caught too.
		const dropped = await verifyArchive(
			[...objects.filter((object) => object !== segment), { ...segment, body: lines.filter((_, i) => i !== 4).join("\n") }],
			jwks,
		);
		expect(dropped.problems).toContainEqual({ key: segment.key, seq: victim.seq, reason: "missing_entry" });
		expect((await verifyArchive(objects, { keys: [] })).problems).toContainEqual({ key: segment.key, reason: "unknown_key" });
	});

	it("verify checks D1 against the archive: a re-hashed rewrite inside an archived day is reported at the segment's end", async () => {
		expect((await verify()).ok).toBe(true);
		const [segment] = (await bucket().list({ prefix: "audit/" })).objects;
		const segmentEnd = Number(segment?.key.slice(-17, -6));
		const from = 5;
		const [entries, checkpoints] = [await entriesFrom(from), await checkpointsFrom(from)];
		const forged = await rechain(
			[{ ...(entries[0] as AuditEntry), details: '{"reason":"rewritten"}' }, ...entries.slice(1)],
			from,
			entries[0]?.prev_hash as string,
		);
		await asDba(() => env.DB.batch([env.DB.prepare("DELETE FROM audit_log WHERE seq >= ?1").bind(from), ...forged.map(insertEntry)]));
		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: segmentEnd, reason: "archive_differs" }));
		await restoreFrom(from, entries, checkpoints);
		expect((await verify()).ok).toBe(true);
	});
});
