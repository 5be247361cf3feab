import { DurableObject } from "cloudflare:workers";
import { AlertStore, type NewAlert } from "../detection/alert-store";
import { deliverDueAlerts } from "../detection/deliver-alerts";
import type { Env } from "../env";
import { type DepotTally, EMPTY_TALLY, tallyReveal } from "./depot-tally";
import { ObjectKv } from "./object-kv";

interface PendingAlert {
	alert: NewAlert & { id: string };
	at: number;
}

/** Batches already counted, per sending limiter: a batch retried after a lost answer counts once. */
type Received = Record<string, number>;

/**
 * One per depot: counts the reveals of all its employees against the depot's daily budget, so a
 * ring that splits the work under each member's quota still shows as one depot over budget. Each
 * employee's limiter object counts its grants in the same transaction as the grant and tells this
 * ledger within seconds, retrying until it has (exact however many isolates serve the depot). An
 * alert raised here waits in this object's own outbox until it is written to D1; it raises, it
 * never refuses.
 */
export class DepotLedger extends DurableObject<Env> {
	/** Its storage as last written: every limiter of the depot tells it its grants every few seconds (src/limits/object-kv.ts). */
	private readonly kv: ObjectKv;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.kv = new ObjectKv(ctx.storage);
	}

	/** Counts `reveals` more grants, once per (source, batch). The depot is this object's name, passed for the alert. */
	tally(depot: string, budget: number, reveals: number, source: string, batch: number): { count: number; crossed: boolean; duplicate: boolean } {
		const result = this.kv.transaction(() => {
			const received = this.kv.get<Received>("received") ?? {};
			const tally = this.kv.get<DepotTally>("tally") ?? EMPTY_TALLY;
			if ((received[source] ?? -1) >= batch) {
				return { count: tally.minutes.reduce((sum, [, n]) => sum + n, 0), crossed: false, duplicate: true };
			}
			const now = Date.now();
			const { next, count, crossed } = tallyReveal(tally, now, budget, reveals);
			this.kv.put("tally", next);
			this.kv.put("received", { ...received, [source]: batch });
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
		});
		if (result.crossed) void this.ctx.storage.setAlarm(Date.now());
		return result;
	}

	/** Writes pending alerts to D1 (by id, so never twice) and delivers them; retried by the platform if D1 fails. */
	override async alarm(): Promise<void> {
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

	/** The depot's reveals of the last 24 hours, as counted so far. */
	count(): number {
		const tally = this.kv.get<DepotTally>("tally") ?? EMPTY_TALLY;
		const since = Date.now() - 86_400_000;
		return tally.minutes.filter(([start]) => start > since).reduce((sum, [, n]) => sum + n, 0);
	}
}
