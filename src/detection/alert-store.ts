import { classified } from "../storage/d1-errors";
export interface AlertRow {
	id: string;
	at: number;
	severity: "warning" | "critical";
	kind: string;
	subject: string | null;
	subject_issuer: string | null;
	depot: string | null;
	details: string;
	delivery: "pending" | "delivered" | "not_configured";
	attempts: number;
	next_attempt_at: number;
	delivered_at: number | null;
	last_error: string | null;
}

export const ALERT_STATES = ["open", "acknowledged", "resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** Triage by ops (migration 0013): who acknowledged and who resolved an alert, when, with their notes. */
export interface AlertTriage {
	state: AlertState;
	acknowledged_by: string | null;
	acknowledged_at: number | null;
	acknowledged_note: string | null;
	resolved_by: string | null;
	resolved_at: number | null;
	resolved_note: string | null;
}

/** An alert as stored, with the MAC of its triage (migration 0018; null on an alert still open as raised). */
export type TriagedAlertRow = AlertRow & AlertTriage & { mac: string | null; mac_key: string | null };

export interface NewAlert {
	/** Set by whoever raised it, so writing the same alert twice stores it once. */
	id?: string;
	severity: "warning" | "critical";
	kind: string;
	details: Record<string, unknown>;
	/** The principal it is about, as the pair (DESIGN "Identity"); null for depot-wide alerts. */
	subject: { issuer: string; subject: string } | null;
	depot: string | null;
}

/** Alerts and their delivery state: an outbox, so an alert exists before anyone tries to send it. */
export class AlertStore {
	constructor(private readonly db: D1Database) {}

	insert(alert: NewAlert, now: number, webhookConfigured: boolean): D1PreparedStatement {
		return this.db
			.prepare(
				"INSERT INTO alerts (id, at, severity, kind, subject, subject_issuer, depot, details, delivery, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?9, ?6, ?7, ?8, ?2) ON CONFLICT (id) DO NOTHING",
			)
			.bind(
				alert.id ?? crypto.randomUUID(),
				now,
				alert.severity,
				alert.kind,
				alert.subject?.subject ?? null,
				alert.depot,
				JSON.stringify(alert.details),
				webhookConfigured ? "pending" : "not_configured",
				alert.subject?.issuer ?? null,
			);
	}

	/** Several alerts at once, each delivered or not (`deliver`); an id already stored is skipped. */
	async insertAll(alerts: readonly { alert: NewAlert; deliver: boolean }[], now: number): Promise<void> {
		if (alerts.length === 0) return;
		await classified(this.db.batch(alerts.map(({ alert, deliver }) => this.insert(alert, now, deliver))));
	}

	/** Distinct employees of a depot with a daily-quota alert in the last 24 hours. */
	async employeesAtQuota(depot: string, now: number): Promise<number> {
		const row = await this.db
			.prepare("SELECT count(DISTINCT subject_issuer || char(10) || subject) AS n FROM alerts WHERE depot = ?1 AND kind = 'daily_quota_reached' AND at > ?2")
			.bind(depot, now - 86_400_000)
			.first<{ n: number }>();
		return row?.n ?? 0;
	}

	async raisedSince(depot: string, kind: string, since: number): Promise<boolean> {
		return (await this.db.prepare("SELECT 1 FROM alerts WHERE depot = ?1 AND kind = ?2 AND at > ?3 LIMIT 1").bind(depot, kind, since).first()) !== null;
	}

	/** Alerts still carrying the pre-0006 issuer '' get the employee issuer's `iss`; returns how many. */
	async recordEmployeeIssuer(employeeIssuer: string): Promise<number> {
		return (await this.db.prepare("UPDATE alerts SET subject_issuer = ?1 WHERE subject_issuer = ''").bind(employeeIssuer).run()).meta.changes;
	}

	async list(limit: number, before?: number): Promise<AlertRow[]> {
		return (
			await this.db
				.prepare("SELECT * FROM alerts WHERE at < ?1 ORDER BY at DESC, id LIMIT ?2")
				.bind(before ?? Number.MAX_SAFE_INTEGER, limit)
				.all<AlertRow>()
		).results;
	}

	/** A page of alerts, newest first, optionally in one triage state. */
	async page(limit: number, before: number | undefined, state: AlertState | undefined): Promise<TriagedAlertRow[]> {
		return (
			await this.db
				.prepare("SELECT * FROM alerts WHERE at < ?1 AND (?3 IS NULL OR state = ?3) ORDER BY at DESC, id LIMIT ?2")
				.bind(before ?? Number.MAX_SAFE_INTEGER, limit, state ?? null)
				.all<TriagedAlertRow>()
		).results;
	}

	async get(id: string): Promise<TriagedAlertRow | null> {
		return this.db.prepare("SELECT * FROM alerts WHERE id = ?1").bind(id).first<TriagedAlertRow>();
	}

	/**
	 * Alerts not yet resolved since `since`, newest first (index alerts_unresolved), and those whose
	 * resolution carries no MAC (a resolution written straight into D1, or one from before migration
	 * 0018 not yet MACed): the caller checks their triage and keeps those still open as they may be used.
	 */
	async unresolvedSince(since: number, limit: number): Promise<TriagedAlertRow[]> {
		return (
			await this.db
				.prepare(
					`SELECT * FROM alerts WHERE state <> 'resolved' AND at >= ?1
					 UNION ALL SELECT * FROM alerts WHERE state = 'resolved' AND mac IS NULL AND at >= ?1
					 ORDER BY at DESC, id LIMIT ?2`,
				)
				.bind(since, limit)
				.all<TriagedAlertRow>()
		).results;
	}

	/**
	 * Writes an alert's new triage with its MAC (migration 0018), only over the state and MAC it was
	 * computed from: a concurrent change (or none to make) changes no row, so its audit entry is not
	 * written (appendWith's onlyIfChanged).
	 */
	setTriage(id: string, next: AlertTriage, seal: { mac: string; mac_key: string }, read: { state: string; mac: string | null }): D1PreparedStatement {
		return this.db
			.prepare(
				`UPDATE alerts SET state = ?2, acknowledged_by = ?3, acknowledged_at = ?4, acknowledged_note = ?5, resolved_by = ?6, resolved_at = ?7, resolved_note = ?8,
				   mac = ?9, mac_key = ?10
				 WHERE id = ?1 AND state = ?11 AND mac IS ?12`,
			)
			.bind(
				id,
				next.state,
				next.acknowledged_by,
				next.acknowledged_at,
				next.acknowledged_note,
				next.resolved_by,
				next.resolved_at,
				next.resolved_note,
				seal.mac,
				seal.mac_key,
				read.state,
				read.mac,
			);
	}

	async due(now: number, limit: number): Promise<AlertRow[]> {
		return (
			await this.db.prepare("SELECT * FROM alerts WHERE delivery = 'pending' AND next_attempt_at <= ?1 ORDER BY at LIMIT ?2").bind(now, limit).all<AlertRow>()
		).results;
	}

	async delivered(id: string, now: number): Promise<void> {
		await this.db
			.prepare("UPDATE alerts SET delivery = 'delivered', delivered_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1")
			.bind(id, now)
			.run();
	}

	async failed(id: string, error: string, nextAttemptAt: number): Promise<void> {
		await this.db
			.prepare("UPDATE alerts SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1")
			.bind(id, error.slice(0, 200), nextAttemptAt)
			.run();
	}
}
