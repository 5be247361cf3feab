import { notForged } from "../../audit/forged-entries";
import { classified } from "../../storage/d1-errors";
import type { AfterCloseCount } from "./after-close";
import type { WorkDay } from "./work-day";

const DAY_MS = 86_400_000;

/** A leg not among those verification found forged (`?3`, or `?2` in afterClose: a JSON array of `shipment_id:n`; usually empty). */
const NOT_FORGED = "shipment_id || ':' || n NOT IN (SELECT value FROM json_each(?3))";
const NOT_FORGED_L = "l.shipment_id || ':' || l.n NOT IN (SELECT value FROM json_each(?2))";
/** An entry not among those the witness judged forged as they were sealed (`?3`: a JSON array of seqs; usually empty). */
const NOT_FORGED_ENTRY = notForged("?3");
const NOT_FORGED_ENTRY_A = notForged("?3", "a.seq");

/**
 * What the careful-insider detectors read: employees' reveals and calls per 24-hour window from the audit
 * log (through `audit_log_employee_at`, employees' entries only), the legs they held from `legs`,
 * and reveals set against the legs of the same parcels. Aggregated in D1, so each scan is three
 * queries however busy the days were; no contact data is read.
 */
export class WorkStatsStore {
	constructor(
		private readonly db: D1Database,
		/**
		 * Legs verification found forged (`shipment_id:n`, src/integrity/forged-legs.ts): counted for
		 * nothing, so legs added with SQL neither inflate a courier's work (hiding a harvester from
		 * work_ratio_outlier) nor cover a reveal after a leg closed.
		 */
		private readonly forgedLegs: readonly string[] = [],
		/**
		 * Audit entries the witness judged forged as they were sealed (seqs, src/audit/forged-entries.ts):
		 * counted for nothing, so reveals inserted with SQL against someone raise no alert on them.
		 */
		private readonly forgedEntries: readonly number[] = [],
	) {}

	private forged(): string {
		return JSON.stringify(this.forgedLegs);
	}

	private forgedSeqs(): string {
		return JSON.stringify(this.forgedEntries);
	}

	/** Employees' work per 24-hour window counted back from `now`, `days` windows. */
	async workDays(now: number, days: number): Promise<WorkDay[]> {
		const since = now - days * DAY_MS;
		const [reveals, courierLegs, depotLegs] = await classified(
			this.db.batch([
				this.db
					.prepare(
						`SELECT actor_issuer AS issuer, actor AS subject, actor_role AS role, actor_depot AS depot, CAST((?1 - at) / ${DAY_MS} AS INTEGER) AS day,
						        sum(kind = 'reveal.granted') AS reveals, count(DISTINCT CASE WHEN kind = 'reveal.granted' THEN record_id END) AS records,
						        sum(kind = 'call.granted') AS calls
						 FROM audit_log WHERE at > ?2 AND at <= ?1 AND actor_role IS NOT NULL AND kind IN ('reveal.granted', 'call.granted') AND ${NOT_FORGED_ENTRY}
						 GROUP BY actor_issuer, actor, actor_role, actor_depot, day`,
					)
					.bind(now, since, this.forgedSeqs()),
				this.db
					.prepare(
						`SELECT courier_issuer AS issuer, courier AS subject, CAST((?1 - opened_at) / ${DAY_MS} AS INTEGER) AS day, count(*) AS legs
						 FROM legs WHERE opened_at > ?2 AND opened_at <= ?1 AND courier IS NOT NULL AND ${NOT_FORGED} GROUP BY courier_issuer, courier, day`,
					)
					.bind(now, since, this.forged()),
				this.db
					.prepare(
						`SELECT depot, CAST((?1 - opened_at) / ${DAY_MS} AS INTEGER) AS day, count(*) AS legs
						 FROM legs WHERE opened_at > ?2 AND opened_at <= ?1 AND depot IS NOT NULL AND ${NOT_FORGED} GROUP BY depot, day`,
					)
					.bind(now, since, this.forged()),
			]),
		);
		const held = new Map(
			((courierLegs?.results ?? []) as { issuer: string; subject: string; day: number; legs: number }[]).map((row) => [
				`${row.issuer}\n${row.subject}\n${row.day}`,
				row.legs,
			]),
		);
		const atDepot = new Map(
			((depotLegs?.results ?? []) as { depot: string; day: number; legs: number }[]).map((row) => [`${row.depot}\n${row.day}`, row.legs]),
		);
		return ((reveals?.results ?? []) as Omit<WorkDay, "legs">[]).map((row) => ({
			...row,
			issuer: row.issuer ?? "",
			// A courier holds their own legs; a clerk or supervisor works the depot's.
			legs: row.role === "courier" ? (held.get(`${row.issuer}\n${row.subject}\n${row.day}`) ?? 0) : (atDepot.get(`${row.depot}\n${row.day}`) ?? 0),
		}));
	}

	/**
	 * Couriers' reveals of the last 24 hours set against their legs of the same parcels: how many
	 * came when none of their legs of that parcel was open any more (after it closed), and how many
	 * of those a day or more after.
	 */
	async afterClose(now: number): Promise<AfterCloseCount[]> {
		const { results } = await classified(
			this.db
				.prepare(
					`WITH revealed AS (
					   SELECT a.seq, a.at, a.actor_issuer AS issuer, a.actor AS subject, a.actor_role AS role, a.actor_depot AS depot, r.shipment_id
					   FROM audit_log AS a JOIN records AS r ON r.id = a.record_id
					   WHERE a.at > ?1 - ${DAY_MS} AND a.at <= ?1 AND a.actor_role = 'courier' AND a.kind = 'reveal.granted' AND ${NOT_FORGED_ENTRY_A}
					 ), judged AS (
					   SELECT v.*,
					     (SELECT max(l.closed_at) FROM legs AS l WHERE l.shipment_id = v.shipment_id AND l.courier = v.subject
					        AND l.courier_issuer = v.issuer AND l.closed_at IS NOT NULL AND l.closed_at <= v.at AND ${NOT_FORGED_L}) AS closed_at,
					     EXISTS (SELECT 1 FROM legs AS l WHERE l.shipment_id = v.shipment_id AND l.courier = v.subject AND l.courier_issuer = v.issuer
					        AND l.opened_at <= v.at AND (l.closed_at IS NULL OR l.closed_at > v.at) AND ${NOT_FORGED_L}) AS open_then
					   FROM revealed AS v
					 )
					 SELECT issuer, subject, role, depot, count(*) AS reveals,
					   sum(closed_at IS NOT NULL AND NOT open_then) AS afterClose,
					   sum(closed_at IS NOT NULL AND NOT open_then AND at - closed_at >= ${DAY_MS}) AS daysLater
					 FROM judged GROUP BY issuer, subject, role, depot`,
				)
				.bind(now, this.forged(), this.forgedSeqs())
				.all<AfterCloseCount>(),
		);
		return results.map((row) => ({ ...row, issuer: row.issuer ?? "" }));
	}
}
