import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { SEAL_EVERY } from "../src/audit/audit-log-for";
import { AuditWitness } from "../src/audit/witness";
import type { Env } from "../src/env";
import { askReveal, callWith, json, recordBody } from "./support/api";
import { runCron } from "./support/cron";
import { asDba } from "./support/dba";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, token } from "./support/tokens";
import { unreachableWitness, witnessStub } from "./support/witness";

type Problem = { seq: number; reason: string; detail?: string };
type Report = { ok: boolean; head: { seq: number }; witness: { status: string; problems: Problem[] } };

let service: string;
let ops: string;

const verify = async (): Promise<Report> => {
	const response = await callWith({}, "GET", "/v1/audit/verify", { token: ops });
	expect(response.status).toBe(200);
	return json<Report>(response);
};

async function book(config: Partial<Env> = {}): Promise<void> {
	const response = await callWith(config, "POST", "/v1/records", { token: service, body: recordBody() });
	expect(response.status).toBe(201);
}

/**
 * Books until the newest entry is one its append did not seal (a seq that is no multiple of
 * SEAL_EVERY): an entry still in the unsealed tail, as a deletion there finds it.
 */
async function bookUnsealed(): Promise<{ seq: number; mac: string | null }> {
	await book();
	if ((await tail()).seq % SEAL_EVERY === 0) await book();
	const entry = await tail();
	expect(await env.DB.prepare("SELECT hash FROM audit_log WHERE seq = ?1").bind(entry.seq).first("hash")).toBeNull();
	return entry;
}

/** The newest entry in D1, as the next append would follow it. */
async function tail(): Promise<{ seq: number; mac: string | null }> {
	return (
		(await env.DB.prepare("SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1").first<{ seq: number; mac: string | null }>()) ?? { seq: 0, mac: null }
	);
}

async function vanishedAlerts(): Promise<{ id: string; severity: string; details: { seq: number; reason: string } }[]> {
	const { results } = await env.DB.prepare("SELECT id, severity, details FROM alerts WHERE kind = 'audit_entry_vanished' ORDER BY at, id").all<{
		id: string;
		severity: string;
		details: string;
	}>();
	return results.map((row) => ({ ...row, details: JSON.parse(row.details) as { seq: number; reason: string } }));
}

/** Seals everything appended so far (a verification seals first) and checks nothing is reported. */
async function sealedClean(): Promise<number> {
	await verify();
	const report = await verify();
	expect(report.witness).toMatchObject({ status: "compared", problems: [] });
	expect(report.ok).toBe(true);
	return report.head.seq;
}

beforeAll(async () => {
	service = await serviceToken();
	ops = await token({ sub: "ops-unsealed-tail", scope: "ops" });
	for (let i = 0; i < 5; i++) await book();
	await sealedClean();
});

describe("the unsealed tail, against what the witness was told at each append", () => {
	it("no false alarm: the witness holds each unsealed entry as D1 wrote it, lets go of it once sealed, and the checks find nothing", async () => {
		const head = await sealedClean();
		for (let i = 0; i < 3; i++) await book();
		const { results: unsealed } = await env.DB.prepare("SELECT seq, mac FROM audit_log WHERE seq > ?1 ORDER BY seq")
			.bind(head)
			.all<{ seq: number; mac: string }>();
		expect(unsealed.length).toBeGreaterThanOrEqual(3);
		expect(await witnessStub().unsealedAppended(1000)).toEqual(unsealed);

		// The every-minute run (which seals too) compares them with D1, and finds them as written.
		await runCron("* * * * *");
		expect(await vanishedAlerts()).toEqual([]);
		await sealedClean();
		expect(await witnessStub().unsealedAppended(1000)).toEqual([]);
	});

	it("an entry deleted before its seal, its seq taken by the next append, is found as that append is told, alerted and reported for good", async () => {
		await sealedClean();
		const deleted = await bookUnsealed();
		await asDba(() => env.DB.prepare("DELETE FROM audit_log WHERE seq = ?1").bind(deleted.seq).run());
		await book();
		const taken = await tail();
		// No gap: the next append took the deleted entry's seq, so the chain alone shows nothing.
		expect(taken.seq).toBe(deleted.seq);
		expect(taken.mac).not.toBe(deleted.mac);

		expect(await vanishedAlerts()).toEqual([expect.objectContaining({ severity: "critical", details: { seq: deleted.seq, reason: "replaced" } })]);
		const report = await verify();
		expect(report.ok).toBe(false);
		expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: deleted.seq, reason: "entry_vanished" }));
		// The entry now at that seq is the vault's own: linked with a valid MAC, not reported as forged.
		expect(report.witness.problems.filter((problem) => problem.reason === "entry_forged")).toEqual([]);
		// Found once: later seals and checks do not raise it again.
		await runCron("* * * * *");
		expect(await vanishedAlerts()).toHaveLength(1);
	});

	it("an entry deleted before its seal with nothing after it is found by the every-minute check", async () => {
		await verify();
		const deleted = await bookUnsealed();
		await asDba(() => env.DB.prepare("DELETE FROM audit_log WHERE seq = ?1").bind(deleted.seq).run());
		// Nothing else is appended: no seal links that seq, and no MAC arrives there.
		expect((await tail()).seq).toBe(deleted.seq - 1);
		await runCron("* * * * *");

		expect(await vanishedAlerts()).toContainEqual(expect.objectContaining({ severity: "critical", details: { seq: deleted.seq, reason: "deleted" } }));
		const report = await verify();
		expect(report.witness.problems).toContainEqual(
			expect.objectContaining({ seq: deleted.seq, reason: "entry_vanished", detail: expect.stringContaining("was deleted from D1") }),
		);
		expect(await witnessStub().unsealedAppended(1000)).toEqual([]);
	});

	it("a courier's reveal entry, deleted before its seal, is found: the limiter's flush tells the witness before it lets the entry go", async () => {
		await verify();
		const response = await callWith({}, "POST", "/v1/records", { token: service, body: recordBody() });
		const { id } = await json<{ id: string }>(response);
		// The courier's entry comes next: not at a multiple of SEAL_EVERY, whose append would seal it.
		if (((await tail()).seq + 1) % SEAL_EVERY === 0) await book();
		const courier = await employeeToken("courier", "courier-covering", "D-T");
		// No open leg: refused, and the refusal is the courier's entry all the same.
		expect((await askReveal(courier, id)).status).toBeGreaterThanOrEqual(400);
		await settle(courier);
		const entry = await env.DB.prepare("SELECT seq, mac FROM audit_log WHERE actor = 'courier-covering'").first<{ seq: number; mac: string }>();
		expect(entry).not.toBeNull();
		expect(await witnessStub().unsealedAppended(1000)).toContainEqual(entry);

		await asDba(() => env.DB.prepare("DELETE FROM audit_log WHERE actor = 'courier-covering'").run());
		await runCron("* * * * *");
		expect(await vanishedAlerts()).toContainEqual(expect.objectContaining({ details: { seq: entry?.seq, reason: "deleted" } }));
	});

	it("when the append that took the seq could not tell the witness, the seal that links it finds the difference", async () => {
		await verify();
		const deleted = await bookUnsealed();
		await asDba(() => env.DB.prepare("DELETE FROM audit_log WHERE seq = ?1").bind(deleted.seq).run());
		// The witness cannot be reached for this append: it is written, and nobody was told of it.
		await book({ AUDIT_WITNESS: unreachableWitness() });
		expect((await tail()).seq).toBe(deleted.seq);
		expect(await vanishedAlerts()).not.toContainEqual(expect.objectContaining({ details: { seq: deleted.seq, reason: "replaced" } }));

		await verify();
		expect(await vanishedAlerts()).toContainEqual(expect.objectContaining({ details: { seq: deleted.seq, reason: "replaced" } }));
		const report = await verify();
		expect(report.witness.problems).toContainEqual(expect.objectContaining({ seq: deleted.seq, reason: "entry_vanished" }));
	});

	it("a finding whose alert was never written is raised by the next every-minute run, once", async () => {
		// As a seal that found it and then stopped before its alert reached D1 leaves it.
		const lost = { seq: 999_999, mac: "mac-of-an-entry-whose-alert-was-lost", found: null };
		await witnessStub().noteVanished([lost], Date.now());
		expect(await witnessStub().unalertedVanished(100)).toContainEqual(expect.objectContaining({ seq: lost.seq }));
		expect((await vanishedAlerts()).map((alert) => alert.details.seq)).not.toContain(lost.seq);

		await runCron("* * * * *");
		expect(await vanishedAlerts()).toContainEqual(expect.objectContaining({ severity: "critical", details: { seq: lost.seq, reason: "deleted" } }));
		expect(await witnessStub().unalertedVanished(100)).toEqual([]);
		const raised = (await vanishedAlerts()).length;
		await runCron("* * * * *");
		expect(await vanishedAlerts()).toHaveLength(raised);
	});

	// Last: it rebuilds the witness's table of findings as a version before `alerted` left it.
	it("a witness whose findings predate `alerted` gains the column as it starts, and raises their alerts again", async () => {
		await runInDurableObject(witnessStub(), (_: AuditWitness, state) => {
			state.storage.sql.exec("DROP TABLE vanished");
			state.storage.sql.exec("CREATE TABLE vanished (seq INTEGER NOT NULL, mac TEXT NOT NULL, found TEXT, at INTEGER NOT NULL, PRIMARY KEY (seq, mac))");
			state.storage.sql.exec("INSERT INTO vanished (seq, mac, found, at) VALUES (888888, 'mac-of-an-older-finding', NULL, 1)");
			const started = new AuditWitness(state, env as Env);
			expect(started.unalertedVanished(100)).toEqual([expect.objectContaining({ seq: 888_888 })]);
		});
		await runCron("* * * * *");
		expect(await vanishedAlerts()).toContainEqual(expect.objectContaining({ details: { seq: 888_888, reason: "deleted" } }));
	});
});
