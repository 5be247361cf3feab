import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { AuditOutbox, OutboxEntry } from "../src/limits/audit-outbox";
import type { DepotLedger } from "../src/limits/depot-ledger";
import { limiterOf } from "../src/limits/limiter-client";
import { ALARM_RETRY_MS, type PrincipalLimiter } from "../src/limits/principal-limiter";
import { RECEIVED_BATCH_RETENTION_MS, ReceivedBatches } from "../src/limits/received-batches";
import { askReveal, createRecords } from "./support/api";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, TEST_ISSUER } from "./support/tokens";

let service: string;

beforeAll(async () => {
	service = await serviceToken("records:write records:read");
});

const limiter = (subject: string) => limiterOf(env, { kind: "employee", issuer: TEST_ISSUER, subject });
const ledger = (depot: string) => env.DEPOT_LEDGER.get(env.DEPOT_LEDGER.idFromName(depot));
const granted = async (actor: string) =>
	(
		await env.DB.prepare("SELECT seq, actor_depot, record_id FROM audit_log WHERE actor = ?1 AND kind = 'reveal.granted' ORDER BY seq")
			.bind(actor)
			.all<{ seq: number; actor_depot: string; record_id: string }>()
	).results;
const waiting = (subject: string) =>
	runInDurableObject(limiter(subject), (object: PrincipalLimiter) => (object as unknown as { outbox: AuditOutbox }).outbox.oldest(100));

describe("a depot's ledger relays its employees' audit entries to D1", () => {
	it("the entries of five couriers who asked in the same second land in one D1 write; each hand-off is answered only once D1 has it", async () => {
		const couriers = ["relay-a", "relay-b", "relay-c", "relay-d", "relay-e"];
		for (const courier of couriers) {
			const [id] = await createRecords(service, 1, { depot: "RELAY1", courier });
			expect((await askReveal(await employeeToken("courier", courier, "RELAY1"), id as string)).status).toBe(201);
			// Reset at once: its own flush timer goes with it, so the hand-offs below are the ledger's only ones.
			await runInDurableObject(limiter(courier), (_object: PrincipalLimiter, state) => state.abort("no timer")).catch(() => undefined);
		}
		const handed = await Promise.all(couriers.map((courier) => waiting(courier)));
		// Five limiters hand their entries on within the ledger's second, as their flush timers would.
		const heldBeforeAnyWrite = await runInDurableObject(ledger("RELAY1"), async (object: DepotLedger) => {
			const answers = couriers.map((courier, index) => object.relay("RELAY1", handed[index] ?? [], null, limiter(courier).id.toString()));
			const held = (object as unknown as { held: unknown[] }).held.length;
			await Promise.all(answers);
			return held;
		});
		expect(heldBeforeAnyWrite).toBe(5);
		for (const courier of couriers) expect(await granted(courier)).toHaveLength(1);
		const flush = await env.DB.prepare("SELECT entries FROM audit_flushes WHERE source = ?1")
			.bind(`ledger:${ledger("RELAY1").id.toString()}`)
			.first<{ entries: number }>();
		expect(flush?.entries).toBe(5);
		// The limiters still hold them (nothing took them off yet): handed on again, they land once.
		for (const courier of couriers) await settle(await employeeToken("courier", courier, "RELAY1"));
		for (const courier of couriers) expect(await granted(courier)).toHaveLength(1);
	});

	it("a write of more than one D1 batch is one flush in audit_flushes: every entry counted, its oldest entry's lateness kept", async () => {
		const now = Date.now();
		// A backlog: 150 entries (two batches of FLUSH_BATCH), the first an hour late.
		const entries: OutboxEntry[] = Array.from({ length: 150 }, (_, i) => ({
			entryId: crypto.randomUUID(),
			event: {
				kind: "reveal.denied",
				at: i === 0 ? now - 3_600_000 : now,
				actor: { subject: "relay-backlog", issuer: TEST_ISSUER },
				recordId: null,
				details: {},
			},
		}));
		await ledger("RELAY-BACKLOG").relay("RELAY-BACKLOG", entries, null, limiter("relay-backlog").id.toString(), true);
		const flush = await env.DB.prepare("SELECT entries, flushed_at - oldest_entry_at AS lag FROM audit_flushes WHERE source = ?1")
			.bind(`ledger:${ledger("RELAY-BACKLOG").id.toString()}`)
			.first<{ entries: number; lag: number }>();
		expect(flush?.entries).toBe(150);
		expect(flush?.lag).toBeGreaterThanOrEqual(3_600_000);
	});

	it("a hand-off handed on again (the limiter died before it took the entries off) lands once", async () => {
		const ids = await createRecords(service, 3, { depot: "RELAY2", courier: "relay-twice" });
		const courier = await employeeToken("courier", "relay-twice", "RELAY2");
		for (const id of ids) expect((await askReveal(courier, id)).status).toBe(201);
		const pending: OutboxEntry[] = await waiting("relay-twice");
		expect(pending.filter((entry) => entry.event.kind === "reveal.granted")).toHaveLength(3);
		const source = limiter("relay-twice").id.toString();
		// Answered once D1 has them.
		await ledger("RELAY2").relay("RELAY2", pending, null, source, true);
		expect(await granted("relay-twice")).toHaveLength(3);
		await evictDurableObject(limiter("relay-twice"));
		// Handed on again, by hand and by the limiter's own flush: the log skips the ids it holds.
		await ledger("RELAY2").relay("RELAY2", pending, null, source, true);
		await settle(courier);
		expect(await granted("relay-twice")).toHaveLength(3);
	});

	it("entries a ledger stored before it held hand-offs land first, then the ones handed on after", async () => {
		const ids = await createRecords(service, 2, { depot: "RELAY6", courier: "relay-stored" });
		const courier = await employeeToken("courier", "relay-stored", "RELAY6");
		expect((await askReveal(courier, ids[0] as string)).status).toBe(201);
		const stored = await waiting("relay-stored");
		// As a ledger kept hand-offs in its storage before: the first ask's entries are there, and no longer in the limiter.
		await runInDurableObject(ledger("RELAY6"), (_object: DepotLedger, state) => {
			for (const { entryId, event } of stored)
				state.storage.sql.exec("INSERT INTO audit_outbox (entry_id, event) VALUES (?, ?)", entryId, JSON.stringify(event));
		});
		await runInDurableObject(limiter("relay-stored"), (_object: PrincipalLimiter, state) => state.abort("forget the first")).catch(() => undefined);
		await runInDurableObject(limiter("relay-stored"), (_object: PrincipalLimiter, state) => {
			state.storage.sql.exec("DELETE FROM audit_outbox");
		});
		expect((await askReveal(courier, ids[1] as string)).status).toBe(201);
		await settle(courier);
		expect((await granted("relay-stored")).map((row) => row.record_id)).toEqual(ids);
		const left = await runInDurableObject(ledger("RELAY6"), (_object: DepotLedger, state) =>
			state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM audit_outbox").one(),
		);
		expect(left.n).toBe(0);
	});

	it("a courier moved to another depot: the entries from before the move land before the ones after", async () => {
		const [before] = await createRecords(service, 1, { depot: "RELAY3", courier: "relay-mover" });
		const [after] = await createRecords(service, 1, { depot: "RELAY4", courier: "relay-mover" });
		expect((await askReveal(await employeeToken("courier", "relay-mover", "RELAY3"), before as string)).status).toBe(201);
		expect((await askReveal(await employeeToken("courier", "relay-mover", "RELAY4"), after as string)).status).toBe(201);
		// One flush: RELAY3's ledger gets the first entry and writes it before RELAY4's gets the second.
		await settle(await employeeToken("courier", "relay-mover", "RELAY4"));
		// In the log's order: the ask before the move, then the one after.
		expect((await granted("relay-mover")).map((row) => [row.actor_depot, row.record_id])).toEqual([
			["RELAY3", before],
			["RELAY4", after],
		]);
	});

	it("D1 refusing the ledger's write: the entries wait in the limiter, whose alarm sets its own next attempt, and land in order once D1 answers", async () => {
		const ids = await createRecords(service, 3, { depot: "RELAY5", courier: "relay-outage" });
		const courier = await employeeToken("courier", "relay-outage", "RELAY5");
		for (const id of ids) expect((await askReveal(courier, id)).status).toBe(201);
		await env.DB.prepare(
			"CREATE TRIGGER relay_d1_down BEFORE INSERT ON audit_log WHEN NEW.actor = 'relay-outage' BEGIN SELECT RAISE(ABORT, 'd1 down'); END",
		).run();
		try {
			// The ledger answers the hand-off with D1's refusal: the limiter keeps its entries.
			await runInDurableObject(limiter("relay-outage"), async (object: PrincipalLimiter) => {
				await expect(object.flushAudit()).rejects.toThrow();
			});
			expect((await waiting("relay-outage")).filter((entry) => entry.event.kind === "reveal.granted")).toHaveLength(3);
			// The limiter's alarm fails, and sets its own next attempt rather than giving up after the platform's retries.
			const before = Date.now();
			expect(await runDurableObjectAlarm(limiter("relay-outage"))).toBe(true);
			const next = await runInDurableObject(limiter("relay-outage"), (_object: PrincipalLimiter, state) => state.storage.getAlarm());
			expect(next).toBeGreaterThanOrEqual(before + ALARM_RETRY_MS);
			expect(await granted("relay-outage")).toEqual([]);
		} finally {
			await env.DB.prepare("DROP TRIGGER relay_d1_down").run();
		}
		expect(await runDurableObjectAlarm(limiter("relay-outage"))).toBe(true);
		const written = await granted("relay-outage");
		// In the log's order, the records as they were asked for.
		expect(written.map((row) => row.record_id)).toEqual(ids);
	});
});

describe("a depot's ledger counts each limiter's batch once", () => {
	it("a ledger that kept the batches as one map takes them into its table when it starts: an old batch stays counted, a newer one counts", async () => {
		const depot = "RECEIVED1";
		const older = "limiter-older";
		expect(await ledger(depot).tally(depot, 100, 2, "limiter-current", 0)).toMatchObject({ count: 2, duplicate: false });
		// The map as an earlier ledger wrote it, then the object starts again.
		await runInDurableObject(ledger(depot), (_object: DepotLedger, state) => state.storage.kv.put("received", { [older]: 7 }));
		await evictDurableObject(ledger(depot));
		expect(await ledger(depot).tally(depot, 100, 3, older, 7)).toMatchObject({ count: 2, duplicate: true });
		expect(await ledger(depot).tally(depot, 100, 3, older, 8)).toMatchObject({ count: 5, duplicate: false });
		expect(await ledger(depot).tally(depot, 100, 2, "limiter-current", 0)).toMatchObject({ count: 5, duplicate: true });
		const left = await runInDurableObject(ledger(depot), (_object: DepotLedger, state) => ({
			map: state.storage.kv.get("received"),
			rows: state.storage.sql.exec("SELECT source, batch FROM received_batches ORDER BY source").toArray(),
		}));
		expect(left).toEqual({
			map: undefined,
			rows: [
				{ source: "limiter-current", batch: 0 },
				{ source: older, batch: 8 },
			],
		});
	});

	it("a batch counts only if newer than the last from its limiter, or by what it grew if resent; a limiter silent for 30 days is forgotten, the others not", async () => {
		await runInDurableObject(ledger("RECEIVED2"), (_object: DepotLedger, state) => {
			const received = new ReceivedBatches(state.storage.sql);
			const t0 = Date.UTC(2026, 0, 1);
			expect(received.take("quiet", 3, 2, t0)).toBe(2);
			expect(received.take("quiet", 3, 2, t0)).toBe(0);
			expect(received.take("quiet", 2, 5, t0)).toBe(0);
			// Batch 3 resent with one more grant (its limiter lost the instance that told it, then counted one): the one counts.
			expect(received.take("quiet", 3, 3, t0)).toBe(1);
			expect(received.take("quiet", 3, 3, t0)).toBe(0);
			expect(received.take("quiet", 3, 1, t0)).toBe(0);
			expect(received.take("busy", 5, 4, t0)).toBe(4);
			const later = t0 + RECEIVED_BATCH_RETENTION_MS + 1;
			expect(received.take("busy", 6, 1, later - 1)).toBe(1);
			received.forgetSilentSince(later - RECEIVED_BATCH_RETENTION_MS);
			// `busy` still knows its batch 6; `quiet` is gone, so its batch 3 would count again.
			expect(received.take("busy", 6, 1, later)).toBe(0);
			expect(received.take("quiet", 3, 3, later)).toBe(3);
		});
	});

	it("a table written before batches' sizes were kept gets the column; its batches stay counted whole, resent however large", async () => {
		await runInDurableObject(ledger("RECEIVED3"), (_object: DepotLedger, state) => {
			const sql = state.storage.sql;
			sql.exec("DROP TABLE received_batches");
			sql.exec("CREATE TABLE received_batches (source TEXT PRIMARY KEY, batch INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID");
			sql.exec("INSERT INTO received_batches (source, batch, at) VALUES ('old', 4, 1)");
			const received = new ReceivedBatches(sql);
			expect(received.take("old", 4, 9, 2)).toBe(0);
			expect(received.take("old", 5, 2, 2)).toBe(2);
			expect(received.take("old", 5, 3, 2)).toBe(1);
			// A second start finds the column there.
			expect(new ReceivedBatches(sql).take("old", 5, 3, 2)).toBe(0);
		});
	});
});
