import { DurableObject } from "cloudflare:workers";
import { auditLogFor } from "../audit/audit-log-for";
import { AlertStore, type NewAlert } from "../detection/alert-store";
import { deliverDueAlerts } from "../detection/deliver-alerts";
import type { Env } from "../env";
import { AuditOutbox, drainToLog, FLUSH_BATCH, type OutboxEntry } from "./audit-outbox";
import { type DepotTally, EMPTY_TALLY, tallyReveal } from "./depot-tally";
import { EarliestAlarm } from "./earliest-alarm";
import { EarliestTimer } from "./earliest-timer";
import { ObjectKv } from "./object-kv";
import { RECEIVED_BATCH_PRUNE_INTERVAL_MS, RECEIVED_BATCH_RETENTION_MS, ReceivedBatches } from "./received-batches";

/**
 * How long after the first hand-off it holds the ledger writes what it holds to D1 (at once past
 * RELAY_FLUSH_AT_SIZE entries, for a suspension, or for a limiter flushing for a reader): the
 * entries of everyone in the depot who decided within that second go in one D1 transaction per
 * FLUSH_BATCH (100) entries.
 */
export const RELAY_FLUSH_DELAY_MS = 1_000;
const RELAY_FLUSH_AT_SIZE = 500;
const RELAY_RETRY_MS = 10_000;

/** A limiter's hand-off, held until D1 has its entries: the limiter's `relay` call answers then. */
interface HeldRelay {
	depot: string;
	entries: readonly OutboxEntry[];
	tally: TallyBatch | null;
	source: string;
	landed: (result: { crossed: boolean }) => void;
	failed: (error: unknown) => void;
}

/** A limiter's grants not yet counted by the ledger: `reveals` more, against `budget`. */
export interface TallyBatch {
	budget: number;
	reveals: number;
	/** The number of the limiter's batch these reveals go out in; the ledger counts each batch once. */
	batch: number;
}

interface PendingAlert {
	alert: NewAlert & { id: string };
	at: number;
}

/**
 * One per depot: counts the reveals of all its employees against the depot's daily budget, so a
 * ring that splits the work under each member's quota still shows as one depot over budget. Each
 * employee's limiter object counts its grants in the same transaction as the grant and tells this
 * ledger within seconds, retrying until it has (exact however many isolates serve the depot). An
 * alert raised here waits in this object's own outbox until it is written to D1; it raises, it
 * never refuses.
 *
 * It is also the depot's audit relay: each limiter hands it the entries it committed, with its
 * count, in the one call its flush makes, and the ledger writes the entries of the whole depot to
 * D1 a second later in one transaction. D1 has one writer; one write a second per busy depot
 * instead of one per reveal is what keeps the log's single writer from being every reveal's queue.
 * The ledger holds each call until D1 has its entries and answers it then: the entries stay in the
 * limiter's storage until that answer, so the ledger keeps them only in memory and commits only
 * the counts, once per write (a durable write per hand-off was one more fsync per reveal on the
 * thread that serves the worker). An instance lost meanwhile fails the calls it held; each limiter
 * hands its entries on again, and the log skips ids it holds. Its own outbox table holds entries
 * handed on before it held calls, and is written to D1 first.
 */
export class DepotLedger extends DurableObject<Env> {
	/** Its storage as last written: every limiter of the depot tells it its grants every few seconds (src/limits/object-kv.ts). */
	private readonly kv: ObjectKv;
	private readonly outbox: AuditOutbox;
	private readonly received: ReceivedBatches;
	/** When silent limiters are next forgotten (in a relay's transaction): at the first after a wake, then hourly. */
	private pruneReceivedAt = 0;
	/** The object's alarm (alerts to deliver, its own outbox to write), set for the earliest moment either needs it. */
	private readonly nextAlarm = new EarliestAlarm(this.ctx.storage);
	/** Hand-offs waiting for the next D1 write, in the order they came. */
	private held: HeldRelay[] = [];
	/** The next write of what is held. A failure has already failed the calls it held: their limiters try again. */
	private readonly writeTimer = new EarliestTimer(() => void this.writeHeld().catch(() => undefined));
	/** Writes run one after another: the depot's entries land in the order they were handed on. */
	private writes: Promise<unknown> = Promise.resolve();

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.kv = new ObjectKv(ctx.storage);
		this.outbox = new AuditOutbox(ctx.storage.sql);
		this.received = new ReceivedBatches(ctx.storage.sql);
		// A ledger written before the table kept these as one map: taken in once, then gone.
		const legacy = this.kv.get<Record<string, number>>("received");
		if (legacy !== undefined) {
			this.kv.transaction(() => {
				this.received.adopt(legacy, Date.now());
				this.kv.delete("received");
			});
		}
		// Before any call: an alarm set before an eviction must not be pushed later by the next ask for one.
		void ctx.blockConcurrencyWhile(() => this.nextAlarm.load());
	}

	/** Counts a limiter's batch of `reveals` grants: once per (source, batch), and what a resent batch grew by. The depot is this object's name, passed for the alert. */
	tally(depot: string, budget: number, reveals: number, source: string, batch: number): { count: number; crossed: boolean; duplicate: boolean } {
		const result = this.kv.transaction(() => this.countBatch(depot, { budget, reveals, batch }, source));
		if (result.crossed) this.nextAlarm.at(Date.now());
		return result;
	}

	/**
	 * Takes a limiter's committed entries, in order, and its count of grants if it has one; answers
	 * once D1 has the entries (within RELAY_FLUSH_DELAY_MS, with everything else the depot's people
	 * handed on meanwhile; at once when `now`, for a reader who needs the log complete). Once this
	 * answers the limiter may drop them. A failure (D1 down, this instance lost) throws to the
	 * limiter, which keeps them and tries again; a count committed before D1 refused is not counted
	 * again (`received_batches`).
	 */
	relay(depot: string, entries: readonly OutboxEntry[], tally: TallyBatch | null, source: string, now = false): Promise<{ crossed: boolean }> {
		return new Promise((landed, failed) => {
			this.held.push({ depot, entries, tally, source, landed, failed });
			// A suspension is for people to act on, like a budget alert: its entry goes out now.
			const urgent = now || entries.some((entry) => entry.event.kind === "principal.suspended") || this.heldEntries() >= RELAY_FLUSH_AT_SIZE;
			this.writeTimer.at(Date.now() + (urgent ? 0 : RELAY_FLUSH_DELAY_MS));
		});
	}

	private heldEntries(): number {
		return this.held.reduce((sum, relay) => sum + relay.entries.length, 0);
	}

	/**
	 * Writes what is held: the counts in one transaction (the depot's budget does not wait on D1),
	 * then the entries to D1 after whatever this object's own outbox still holds; answers every
	 * held call with the outcome.
	 */
	private writeHeld(): Promise<number> {
		const run = this.writes.then(async () => {
			const taken = this.held;
			this.held = [];
			try {
				const crossed =
					taken.length === 0
						? []
						: this.kv.transaction(() =>
								taken.map((relay) => relay.tally !== null && relay.tally.reveals > 0 && this.countBatch(relay.depot, relay.tally, relay.source).crossed),
							);
				if (crossed.some(Boolean)) this.nextAlarm.at(Date.now());
				const log = auditLogFor(this.env, this.ctx);
				const source = this.flushSource();
				// Entries handed on before this object held calls go first, then each hand-off's, once each.
				// One write, one flush in `audit_flushes`: every batch of it passes the same time.
				const writtenAt = Date.now();
				const stored = await drainToLog(this.outbox, log, source, (body) => this.kv.transaction(body, () => this.outbox.forget()), writtenAt);
				// A limiter that lost its instance mid-hand-off may hand the same entries on twice: once each.
				const entries = [...new Map(taken.flatMap((relay) => relay.entries.map((entry) => [entry.entryId, entry] as const))).values()];
				for (let start = 0; start < entries.length; start += FLUSH_BATCH) await log.appendOutbox(entries.slice(start, start + FLUSH_BATCH), source, writtenAt);
				for (const [index, relay] of taken.entries()) relay.landed({ crossed: crossed[index] ?? false });
				return stored + entries.length;
			} catch (error) {
				for (const relay of taken) relay.failed(error);
				// What this object's own outbox holds has no caller to try again: its alarm does.
				if (this.outbox.size() > 0) this.nextAlarm.at(Date.now() + RELAY_RETRY_MS);
				throw error;
			}
		});
		this.writes = run.catch(() => undefined);
		return run;
	}

	/** Inside a transaction: counts a limiter's batch once per (source, batch), and a resent batch's increase. */
	private countBatch(depot: string, { budget, reveals, batch }: TallyBatch, source: string): { count: number; crossed: boolean; duplicate: boolean } {
		const tally = this.kv.get<DepotTally>("tally") ?? EMPTY_TALLY;
		const now = Date.now();
		if (now >= this.pruneReceivedAt) {
			this.received.forgetSilentSince(now - RECEIVED_BATCH_RETENTION_MS);
			this.pruneReceivedAt = now + RECEIVED_BATCH_PRUNE_INTERVAL_MS;
		}
		// A batch resent larger (its limiter lost the instance that told it before taking it off) counts its increase.
		const fresh = this.received.take(source, batch, reveals, now);
		if (fresh === 0) {
			return { count: tally.minutes.reduce((sum, [, n]) => sum + n, 0), crossed: false, duplicate: true };
		}
		const { next, count, crossed } = tallyReveal(tally, now, budget, fresh);
		this.kv.put("tally", next);
		if (crossed) {
			const pending = this.kv.get<PendingAlert[]>("alerts") ?? [];
			const alert = {
				id: crypto.randomUUID(),
				severity: "critical" as const,
				kind: "depot_budget_exceeded",
				details: { reveals_last_24h: count, budget },
				subject: null,
				depot,
			};
			this.kv.put("alerts", [...pending, { alert, at: now }]);
		}
		return { count, crossed, duplicate: false };
	}

	/**
	 * Writes pending alerts, and whatever this object's own outbox holds, to D1. A failure is retried
	 * here, every RELAY_RETRY_MS for as long as it takes, rather than by the platform, whose retries
	 * stop after a few: what waits here is the whole depot's, and a quiet depot may hand nothing on
	 * for hours.
	 */
	override async alarm(): Promise<void> {
		this.nextAlarm.fired();
		try {
			await this.flushNow();
		} catch (error) {
			console.error(JSON.stringify({ event: "ledger_flush_failed", name: error instanceof Error ? error.name : "unknown" }));
			this.nextAlarm.at(Date.now() + RELAY_RETRY_MS);
		}
	}

	/**
	 * Writes what waits here to D1 now: the entries held or stored, in the order they came, and
	 * pending alerts. For the alarm, and for a limiter flushing for a reader who needs the log
	 * complete. Returns how many entries went.
	 */
	async flushNow(): Promise<number> {
		// Apart: an audit log that refuses the entries does not hold back a budget alert.
		const [entries, alerts] = await Promise.allSettled([this.writeHeld(), this.flushAlerts()]);
		if (entries.status === "rejected") throw entries.reason;
		if (alerts.status === "rejected") throw alerts.reason;
		return entries.value;
	}

	/** Writes pending alerts to D1 (by id, so never twice) and delivers them. */
	private async flushAlerts(): Promise<void> {
		const pending = this.kv.get<PendingAlert[]>("alerts") ?? [];
		if (pending.length === 0) return;
		const alerts = new AlertStore(this.env.DB);
		const webhook = this.env.ALERT_WEBHOOK_URL;
		await this.env.DB.batch(pending.map(({ alert, at }) => alerts.insert(alert, at, Boolean(webhook))));
		const written = new Set(pending.map(({ alert }) => alert.id));
		this.kv.transaction(() => {
			this.kv.put(
				"alerts",
				(this.kv.get<PendingAlert[]>("alerts") ?? []).filter(({ alert }) => !written.has(alert.id)),
			);
		});
		if (webhook) await deliverDueAlerts(alerts, webhook, Date.now()).catch(() => undefined);
	}

	private flushSource(): string {
		return `ledger:${this.ctx.id.toString()}`;
	}

	/** The depot's reveals of the last 24 hours, as counted so far. */
	count(): number {
		const tally = this.kv.get<DepotTally>("tally") ?? EMPTY_TALLY;
		const since = Date.now() - 86_400_000;
		return tally.minutes.filter(([start]) => start > since).reduce((sum, [, n]) => sum + n, 0);
	}
}
