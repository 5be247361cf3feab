import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { auditLogFor } from "../src/audit/audit-log-for";
import { type AuditOutbox, OUTBOX_FLUSH_DELAY_MS } from "../src/limits/audit-outbox";
import { limiterOf } from "../src/limits/limiter-client";
import { FLUSH_BACKSTOP_MS, type PrincipalLimiter } from "../src/limits/principal-limiter";
import { askReveal, call, createRecords, json } from "./support/api";
import { decodePart } from "./support/reveal-tokens";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, TEST_ISSUER, token } from "./support/tokens";

interface Freshness {
	newest_flush_at: string | null;
	newest_flush_lag_seconds: number | null;
	flush_interval_seconds: number;
}

let service: string;
let ops: string;

beforeAll(async () => {
	service = await serviceToken("records:write records:read");
	ops = await token({ sub: "ops-one-hop", scope: "ops" });
});

const entries = async (actor: string, kind: string) =>
	(
		await env.DB.prepare("SELECT seq, details, record_id FROM audit_log WHERE actor = ?1 AND kind = ?2 ORDER BY seq")
			.bind(actor, kind)
			.all<{ seq: number; details: string; record_id: string }>()
	).results;

describe("the employee's limiter commits the decision and its audit entry together", () => {
	it("100 concurrent asks against a limit of 10: exactly 10 grants, each with exactly one entry in D1 once flushed", async () => {
		expect(
			(await call("PUT", "/v1/policies/employee/hop-burst", { token: ops, body: { mode: "enforce", burst_limit: 10, burst_window_seconds: 600 } })).status,
		).toBe(201);
		const ids = await createRecords(service, 100, { depot: "HOP1", courier: "hop-burst" });
		const courier = await employeeToken("courier", "hop-burst", "HOP1");
		const answers = await Promise.all(ids.map((id) => askReveal(courier, id)));
		const granted = await Promise.all(answers.filter((answer) => answer.status === 201).map((answer) => json<{ reveal_token: string }>(answer)));
		expect(granted).toHaveLength(10);
		// Nothing of it was written to D1 on the asks' path.
		expect(await entries("hop-burst", "reveal.granted")).toHaveLength(0);
		await settle(courier);
		const written = await entries("hop-burst", "reveal.granted");
		expect(written).toHaveLength(10);
		const jtis = granted.map((grant) => decodePart(grant.reveal_token, 1).jti as string);
		expect(written.map((row) => (JSON.parse(row.details) as { jti: string }).jti).sort()).toEqual(jtis.sort());
		// Flushing again writes nothing twice.
		await settle(courier);
		expect(await entries("hop-burst", "reveal.granted")).toHaveLength(10);
	});

	it("a limiter killed between its commit and its flush loses no entry, and they land in the order decided", async () => {
		const ids = await createRecords(service, 3, { depot: "HOP2", courier: "hop-crash" });
		const courier = await employeeToken("courier", "hop-crash", "HOP2");
		// D1 refuses this courier's entries from the start (however soon a flush comes): they wait in the object.
		await env.DB.prepare("CREATE TRIGGER hop_d1_down BEFORE INSERT ON audit_log WHEN NEW.actor = 'hop-crash' BEGIN SELECT RAISE(ABORT, 'd1 down'); END").run();
		let asked = 0;
		let stub = limiterOf(env, { kind: "employee", issuer: TEST_ISSUER, subject: "hop-crash" });
		try {
			for (const id of ids) expect((await askReveal(courier, id)).status).toBe(201);
			asked = Date.now();
			// Killed at once, as by a crash: its flush timer goes with it. (A graceful eviction would wait for the timer and flush first.)
			await runInDurableObject(stub, (_: PrincipalLimiter, state) => state.abort("killed before its flush")).catch(() => undefined);
			stub = limiterOf(env, { kind: "employee", issuer: TEST_ISSUER, subject: "hop-crash" });
			await runInDurableObject(stub, async (limiter: PrincipalLimiter) => {
				await expect(limiter.flushNow()).rejects.toThrow();
			});
		} finally {
			await env.DB.prepare("DROP TRIGGER hop_d1_down").run();
		}
		const mended = Date.now();
		expect(await entries("hop-crash", "reveal.granted")).toHaveLength(0);
		// A reader of the log is told it may be behind: the newest flush landed before D1 came back.
		const before = await json<{ freshness: Freshness }>(await call("GET", "/v1/audit?limit=1", { token: ops }));
		expect(before.freshness.flush_interval_seconds).toBe(3);
		if (before.freshness.newest_flush_at !== null) expect(Date.parse(before.freshness.newest_flush_at)).toBeLessThanOrEqual(mended);
		await settle(courier);
		const after = await json<{ freshness: Freshness }>(await call("GET", "/v1/audit?limit=1", { token: ops }));
		expect(Date.parse(after.freshness.newest_flush_at ?? "")).toBeGreaterThanOrEqual(mended);
		// The flush that carried the waiting entries says how late they arrived: at least the outage.
		const landed = await env.DB.prepare("SELECT flushed_at - oldest_entry_at AS lag, entries FROM audit_flushes WHERE flushed_at >= ?1 AND entries >= 3")
			.bind(mended)
			.all<{ lag: number; entries: number }>();
		expect(landed.results.some((row) => row.lag >= mended - asked)).toBe(true);
		const written = await entries("hop-crash", "reveal.granted");
		// In the log's order (by seq), the records as they were asked for.
		expect(written.map((row) => row.record_id)).toEqual(ids);
		const verified = await json<{ ok: boolean }>(await call("GET", "/v1/audit/verify", { token: ops }));
		expect(verified.ok).toBe(true);
	});

	it("a flush that landed in D1 but was not taken off the outbox (the object died in between) writes nothing twice when retried", async () => {
		const ids = await createRecords(service, 4, { depot: "HOP5", courier: "hop-retry" });
		const courier = await employeeToken("courier", "hop-retry", "HOP5");
		const stub = limiterOf(env, { kind: "employee", issuer: TEST_ISSUER, subject: "hop-retry" });
		// D1 refuses this courier's entries until the flush below: the object's own flush cannot take them first.
		await env.DB.prepare(
			"CREATE TRIGGER hop_retry_down BEFORE INSERT ON audit_log WHEN NEW.actor = 'hop-retry' BEGIN SELECT RAISE(ABORT, 'd1 down'); END",
		).run();
		let pending: Awaited<ReturnType<AuditOutbox["oldest"]>> = [];
		try {
			for (const id of ids) expect((await askReveal(courier, id)).status).toBe(201);
			await runInDurableObject(stub, (limiter: PrincipalLimiter) => {
				pending = (limiter as unknown as { outbox: AuditOutbox }).outbox.oldest(100);
			});
		} finally {
			await env.DB.prepare("DROP TRIGGER hop_retry_down").run();
		}
		expect(pending.filter((entry) => entry.event.kind === "reveal.granted")).toHaveLength(4);
		// The flush's D1 batch commits, and the object is gone before it takes the entries off its outbox.
		await auditLogFor(env).appendOutbox(pending, "limiter:retry-test");
		expect(await entries("hop-retry", "reveal.granted")).toHaveLength(4);
		await evictDurableObject(stub);
		await settle(courier);
		expect(await entries("hop-retry", "reveal.granted")).toHaveLength(4);
		await runInDurableObject(stub, (limiter: PrincipalLimiter) => {
			expect((limiter as unknown as { outbox: AuditOutbox }).outbox.size()).toBe(0);
		});
		const verified = await json<{ ok: boolean }>(await call("GET", "/v1/audit/verify", { token: ops }));
		expect(verified.ok).toBe(true);
	});

	it("a flush whose D1 write fails still records the depot ledger it told: the ledger counts each grant once, the entries land later", async () => {
		const ids = await createRecords(service, 5, { depot: "HOP6", courier: "hop-split" });
		const courier = await employeeToken("courier", "hop-split", "HOP6");
		const stub = limiterOf(env, { kind: "employee", issuer: TEST_ISSUER, subject: "hop-split" });
		const ledger = env.DEPOT_LEDGER.get(env.DEPOT_LEDGER.idFromName("HOP6"));
		// D1 refuses this courier's entries from the start: no flush of the asks below can land them.
		await env.DB.prepare(
			"CREATE TRIGGER hop_split_down BEFORE INSERT ON audit_log WHEN NEW.actor = 'hop-split' BEGIN SELECT RAISE(ABORT, 'd1 down'); END",
		).run();
		try {
			for (const id of ids.slice(0, 3)) expect((await askReveal(courier, id)).status).toBe(201);
			await runInDurableObject(stub, async (limiter: PrincipalLimiter) => {
				await expect(limiter.flushNow()).rejects.toThrow();
			});
			// The ledger heard of the three grants in that same flush, though D1 refused their entries.
			expect(await ledger.count()).toBe(3);
			for (const id of ids.slice(3)) expect((await askReveal(courier, id)).status).toBe(201);
		} finally {
			await env.DB.prepare("DROP TRIGGER hop_split_down").run();
		}
		await settle(courier);
		// Five grants, each counted once: the retried flush did not tell the first three again, nor lose the last two.
		expect(await ledger.count()).toBe(5);
		expect(await entries("hop-split", "reveal.granted")).toHaveLength(5);
		await settle(courier);
		expect(await ledger.count()).toBe(5);
	});

	it("20 concurrent redeems of one token: one plaintext answer and one reveal.redeemed entry", async () => {
		const [id] = await createRecords(service, 1, { depot: "HOP3", courier: "hop-race" });
		expect((await call("PUT", "/v1/policies/employee/hop-race", { token: ops, body: { mode: "enforce", refusal_limit: 1000 } })).status).toBeLessThan(300);
		const courier = await employeeToken("courier", "hop-race", "HOP3");
		const { reveal_token } = await json<{ reveal_token: string }>(await askReveal(courier, id as string));
		const answers = await Promise.all(Array.from({ length: 20 }, () => call("POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token } })));
		const statuses = answers.map((answer) => answer.status).sort();
		expect(statuses.filter((status) => status === 200)).toHaveLength(1);
		expect(statuses.filter((status) => status === 409)).toHaveLength(19);
		await settle(courier);
		expect(await entries("hop-race", "reveal.redeemed")).toHaveLength(1);
		expect(await entries("hop-race", "reveal.refused")).toHaveLength(19);
	});

	it("a suspension landing between an ask and its redeem refuses the redeem", async () => {
		const [id] = await createRecords(service, 1, { depot: "HOP4", courier: "hop-suspended" });
		const courier = await employeeToken("courier", "hop-suspended", "HOP4");
		const { reveal_token } = await json<{ reveal_token: string }>(await askReveal(courier, id as string));
		expect((await call("POST", "/v1/employees/hop-suspended/suspend", { token: ops, body: { reason: "investigation" } })).status).toBe(200);
		const redeemed = await call("POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token } });
		expect(redeemed.status).toBe(423);
		expect(await redeemed.text()).not.toContain("+86");
		await settle(courier);
		expect(await entries("hop-suspended", "reveal.redeemed")).toHaveLength(0);
		expect((await entries("hop-suspended", "reveal.refused")).map((row) => (JSON.parse(row.details) as { reason: string }).reason)).toEqual(["suspended"]);
	});
});

describe("a flush makes no commit of its own: what it handed on leaves with the limiter's next transaction", () => {
	const stored = (stub: DurableObjectStub<PrincipalLimiter>) =>
		runInDurableObject(stub, (_: PrincipalLimiter, state) => ({
			outbox: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM audit_outbox").one().n,
			depot: state.storage.kv.get("depot"),
		}));
	const depotCount = (depot: string) => env.DEPOT_LEDGER.get(env.DEPOT_LEDGER.idFromName(depot)).count();

	it("the next decision takes the hand-off off; an instance lost before that resends it, and nothing lands or counts twice", async () => {
		const ids = await createRecords(service, 4, { depot: "HOP9", courier: "hop-settle" });
		const courier = await employeeToken("courier", "hop-settle", "HOP9");
		const limiter = { kind: "employee", issuer: TEST_ISSUER, subject: "hop-settle" } as const;
		const reset = (why: string) => runInDurableObject(limiterOf(env, limiter), (_: PrincipalLimiter, state) => state.abort(why)).catch(() => undefined);
		// The flush its timer runs, driven by hand on an instance that has no timer of its own.
		const timerFlush = () =>
			runInDurableObject(limiterOf(env, limiter), (object: PrincipalLimiter) => (object as unknown as { flushCycle(): Promise<void> }).flushCycle());
		for (const id of ids.slice(0, 2)) expect((await askReveal(courier, id)).status).toBe(201);
		await reset("no timer");
		await timerFlush();
		expect(await entries("hop-settle", "reveal.granted")).toHaveLength(2);
		expect(await depotCount("HOP9")).toBe(2);
		// Handed on and counted, yet still in the object's storage: the flush committed nothing here.
		expect(await stored(limiterOf(env, limiter))).toEqual({ outbox: 2, depot: { HOP9: expect.objectContaining({ batch: 0, reveals: 2 }) } });
		// The instance is reset before any other transaction: what it knew of the hand-off is gone.
		await reset("lost before it settled");
		// The next grant joins batch 0, which the ledger has counted already.
		expect((await askReveal(courier, ids[2] as string)).status).toBe(201);
		await reset("no timer");
		expect(await stored(limiterOf(env, limiter))).toEqual({ outbox: 3, depot: { HOP9: expect.objectContaining({ batch: 0, reveals: 3 }) } });
		await timerFlush();
		// The two resent entries land once, the batch's third grant counts once: three, not two or five.
		expect((await entries("hop-settle", "reveal.granted")).map((row) => row.record_id)).toEqual(ids.slice(0, 3));
		expect(await depotCount("HOP9")).toBe(3);
		expect((await stored(limiterOf(env, limiter))).outbox).toBe(3);
		// The next decision's transaction takes that hand-off off with it: one entry (its own) left, a new batch.
		expect((await askReveal(courier, ids[3] as string)).status).toBe(201);
		expect(await stored(limiterOf(env, limiter))).toEqual({ outbox: 1, depot: { HOP9: expect.objectContaining({ batch: 1, reveals: 1 }) } });
		await settle(courier);
		expect((await entries("hop-settle", "reveal.granted")).map((row) => row.record_id)).toEqual(ids);
		expect(await depotCount("HOP9")).toBe(4);
		// A reader's flush commits its own hand-off: nothing is left for a next transaction that may not come.
		expect((await stored(limiterOf(env, limiter))).outbox).toBe(0);
		const verified = await json<{ ok: boolean }>(await call("GET", "/v1/audit/verify", { token: ops }));
		expect(verified.ok).toBe(true);
	});
});

describe("the limiter's flush: a timer, with one durable alarm standing behind it", () => {
	const alarmOf = (stub: DurableObjectStub<PrincipalLimiter>) => runInDurableObject(stub, (_: PrincipalLimiter, state) => state.storage.getAlarm());
	/** Reads the courier's granted entries until there are `count`, for at most about 20 s: the flush runs on its own here. */
	const landed = async (actor: string, count: number) => {
		let found = await entries(actor, "reveal.granted");
		for (let attempt = 0; attempt < 400 && found.length < count; attempt++) {
			await new Promise((resolve) => setTimeout(resolve, 50));
			found = await entries(actor, "reveal.granted");
		}
		return found;
	};

	it("a grant's entry reaches D1 by the timer; the alarm neither runs nor moves, and a second flush sets none", async () => {
		const ids = await createRecords(service, 2, { depot: "HOP7", courier: "hop-timer" });
		const courier = await employeeToken("courier", "hop-timer", "HOP7");
		const stub = limiterOf(env, { kind: "employee", issuer: TEST_ISSUER, subject: "hop-timer" });
		const asked = Date.now();
		expect((await askReveal(courier, ids[0] as string)).status).toBe(201);
		const standing = await alarmOf(stub);
		expect(standing).toBeGreaterThanOrEqual(asked + FLUSH_BACKSTOP_MS);
		// Nobody drives this flush: the limiter's timer hands the entry to the ledger, which writes D1 a second later.
		expect(await landed("hop-timer", 1)).toHaveLength(1);
		// The alarm is still pending at the same moment: it did not run, and was not set again.
		expect(await alarmOf(stub)).toBe(standing);
		expect((await askReveal(courier, ids[1] as string)).status).toBe(201);
		expect(await alarmOf(stub)).toBe(standing);
		expect(await landed("hop-timer", 2)).toHaveLength(2);
		expect(await alarmOf(stub)).toBe(standing);
	});

	it("a principal gone quiet with everything handed on has the hand-off taken off and the alarm cleared, not woken for them later", async () => {
		type Quiet = { clearIfQuiet: () => void; quietTimer: unknown; outbox: AuditOutbox };
		const quiet = (limiter: PrincipalLimiter) => limiter as unknown as Quiet;
		const ids = await createRecords(service, 2, { depot: "HOP9", courier: "hop-quiet" });
		const courier = await employeeToken("courier", "hop-quiet", "HOP9");
		const stub = limiterOf(env, { kind: "employee", issuer: TEST_ISSUER, subject: "hop-quiet" });
		expect((await askReveal(courier, ids[0] as string)).status).toBe(201);
		// An entry still waits: the quiet check leaves the alarm standing.
		await runInDurableObject(stub, (limiter: PrincipalLimiter) => quiet(limiter).clearIfQuiet());
		expect(await alarmOf(stub)).not.toBeNull();
		expect(await landed("hop-quiet", 1)).toHaveLength(1);
		// The flush that handed it on left nothing waiting and set the quiet timer (once the ledger answered it).
		let armed = false;
		for (let attempt = 0; attempt < 200 && !armed; attempt++) {
			armed = await runInDurableObject(stub, (limiter: PrincipalLimiter) => quiet(limiter).quietTimer !== null);
			if (!armed) await new Promise((resolve) => setTimeout(resolve, 50));
		}
		expect(armed).toBe(true);
		await runInDurableObject(stub, (limiter: PrincipalLimiter) => expect(quiet(limiter).outbox.size()).toBe(1));
		// What the timer runs (here at once rather than waited for): the hand-off off in storage, the alarm cleared.
		await runInDurableObject(stub, (limiter: PrincipalLimiter) => quiet(limiter).clearIfQuiet());
		expect(await alarmOf(stub)).toBeNull();
		await runInDurableObject(stub, (limiter: PrincipalLimiter) => expect(quiet(limiter).outbox.size()).toBe(0));
		// The next decision stands a new alarm behind its own flush and is no longer quiet.
		const asked = Date.now();
		expect((await askReveal(courier, ids[1] as string)).status).toBe(201);
		expect(await alarmOf(stub)).toBeGreaterThanOrEqual(asked + FLUSH_BACKSTOP_MS);
		expect(await runInDurableObject(stub, (limiter: PrincipalLimiter) => quiet(limiter).quietTimer)).toBeNull();
		expect(await landed("hop-quiet", 2)).toHaveLength(2);
	});

	it("an instance lost before its timer fired: the entry waits in storage past the flush delay, and the alarm hands it on, once", async () => {
		const [id] = await createRecords(service, 1, { depot: "HOP8", courier: "hop-backstop" });
		const courier = await employeeToken("courier", "hop-backstop", "HOP8");
		const limiter = { kind: "employee", issuer: TEST_ISSUER, subject: "hop-backstop" } as const;
		const asked = Date.now();
		expect((await askReveal(courier, id as string)).status).toBe(201);
		// The instance is reset at once (as by a crash or a restart): its timer goes with it, the entry
		// stays in the object's storage. (evictDurableObject would wait until the timer was due and drop
		// its flush as well.)
		let reset: unknown = null;
		await runInDurableObject(limiterOf(env, limiter), (_: PrincipalLimiter, state) => {
			state.abort("lost before its flush");
		}).catch((error: unknown) => {
			reset = error;
		});
		expect(String(reset)).toContain("lost before its flush");
		// A stub that saw the reset is broken: the next instance is reached through a new one.
		const stub = limiterOf(env, limiter);
		// Past the flush delay, nothing was handed on: the timer did not outlive its instance.
		await new Promise((resolve) => setTimeout(resolve, OUTBOX_FLUSH_DELAY_MS + 1_000));
		expect(await entries("hop-backstop", "reveal.granted")).toHaveLength(0);
		await runInDurableObject(stub, (limiter: PrincipalLimiter) => {
			expect((limiter as unknown as { outbox: AuditOutbox }).outbox.size()).toBe(1);
		});
		// The alarm set with the decision stands, due within the backstop of the ask.
		const due = await alarmOf(stub);
		expect(due).toBeGreaterThanOrEqual(asked + FLUSH_BACKSTOP_MS);
		expect(due).toBeLessThanOrEqual(Date.now() + OUTBOX_FLUSH_DELAY_MS + FLUSH_BACKSTOP_MS);
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		await runInDurableObject(stub, (limiter: PrincipalLimiter) => {
			expect((limiter as unknown as { outbox: AuditOutbox }).outbox.size()).toBe(0);
		});
		const written = await landed("hop-backstop", 1);
		expect(written.map((row) => row.record_id)).toEqual([id]);
		// Flushed again, and through the ledger: still one.
		await settle(courier);
		expect(await entries("hop-backstop", "reveal.granted")).toHaveLength(1);
		// Nothing was left to set an alarm for.
		expect(await alarmOf(stub)).toBeNull();
	});
});
