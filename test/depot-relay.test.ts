import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { AuditOutbox, OutboxEntry } from "../src/limits/audit-outbox";
import type { DepotLedger } from "../src/limits/depot-ledger";
import { limiterOf } from "../src/limits/limiter-client";
import type { PrincipalLimiter } from "../src/limits/principal-limiter";
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
	it("the entries of five couriers who asked in the same second land in one D1 write, and none before it", async () => {
		const couriers = ["relay-a", "relay-b", "relay-c", "relay-d", "relay-e"];
		for (const courier of couriers) {
			const [id] = await createRecords(service, 1, { depot: "RELAY1", courier });
			expect((await askReveal(await employeeToken("courier", courier, "RELAY1"), id as string)).status).toBe(201);
		}
		// Each limiter hands its entries to the ledger, as its alarm would.
		for (const courier of couriers) await runInDurableObject(limiter(courier), (object: PrincipalLimiter) => object.flushAudit());
		for (const courier of couriers) {
			expect(await waiting(courier)).toEqual([]);
			expect(await granted(courier)).toEqual([]);
		}
		expect(await ledger("RELAY1").flushNow()).toBe(5);
		for (const courier of couriers) expect(await granted(courier)).toHaveLength(1);
		const flush = await env.DB.prepare("SELECT entries FROM audit_flushes WHERE source = ?1")
			.bind(`ledger:${ledger("RELAY1").id.toString()}`)
			.first<{ entries: number }>();
		expect(flush?.entries).toBe(5);
	});

	it("a hand-off the ledger took but the limiter did not drop (it died in between) lands once", async () => {
		const ids = await createRecords(service, 3, { depot: "RELAY2", courier: "relay-twice" });
		const courier = await employeeToken("courier", "relay-twice", "RELAY2");
		for (const id of ids) expect((await askReveal(courier, id)).status).toBe(201);
		const pending: OutboxEntry[] = await waiting("relay-twice");
		expect(pending.filter((entry) => entry.event.kind === "reveal.granted")).toHaveLength(3);
		// The ledger commits the hand-off; the limiter is gone before it takes the entries off.
		const source = limiter("relay-twice").id.toString();
		expect(await ledger("RELAY2").relay("RELAY2", pending, null, source)).toMatchObject({ added: pending.length });
		await evictDurableObject(limiter("relay-twice"));
		// The limiter hands them on again: the ledger holds them already and keeps one copy.
		expect(await ledger("RELAY2").relay("RELAY2", pending, null, source)).toMatchObject({ added: 0 });
		await settle(courier);
		expect(await granted("relay-twice")).toHaveLength(3);
		// Handed on once more after the ledger wrote them: the log skips the ids it holds.
		expect(await ledger("RELAY2").relay("RELAY2", pending, null, source)).toMatchObject({ added: pending.length });
		await ledger("RELAY2").flushNow();
		expect(await granted("relay-twice")).toHaveLength(3);
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

	it("D1 refusing the ledger's write: the entries wait in the ledger, which keeps retrying, and land in order once D1 answers", async () => {
		const ids = await createRecords(service, 3, { depot: "RELAY5", courier: "relay-outage" });
		const courier = await employeeToken("courier", "relay-outage", "RELAY5");
		for (const id of ids) expect((await askReveal(courier, id)).status).toBe(201);
		await env.DB.prepare(
			"CREATE TRIGGER relay_d1_down BEFORE INSERT ON audit_log WHEN NEW.actor = 'relay-outage' BEGIN SELECT RAISE(ABORT, 'd1 down'); END",
		).run();
		try {
			await runInDurableObject(limiter("relay-outage"), (object: PrincipalLimiter) => object.flushAudit());
			expect(await waiting("relay-outage")).toEqual([]);
			// The ledger's alarm fails, and sets its own next attempt rather than giving up after the platform's retries.
			const before = Date.now();
			expect(await runDurableObjectAlarm(ledger("RELAY5"))).toBe(true);
			const next = await runInDurableObject(ledger("RELAY5"), (_object: DepotLedger, state) => state.storage.getAlarm());
			expect(next).toBeGreaterThanOrEqual(before + 5_000);
			expect(await granted("relay-outage")).toEqual([]);
		} finally {
			await env.DB.prepare("DROP TRIGGER relay_d1_down").run();
		}
		expect(await runDurableObjectAlarm(ledger("RELAY5"))).toBe(true);
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
