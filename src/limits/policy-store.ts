import type { PolicyLayer, PolicyRow } from "./policy";

const COLUMNS =
	"layer, target_issuer, target, mode, burst_limit, burst_window_seconds, daily_limit, distinct_limit, ring_threshold, depot_daily_budget, lookup_limit, lookup_window_seconds, lookup_daily_limit, miss_limit, refusal_limit, require_active_leg, leg_grace_seconds, stale_window_seconds, case_limit, version, updated_by, updated_at";
const VALUES = COLUMNS.split(", ").map((column) => `value ->> '$.${column}'`);

export class PolicyStore {
	constructor(
		private readonly db: D1Database,
		/** What a stored target issuer means: '' on an employee layer (a row from before migration 0006) is the employee issuer. */
		private readonly stored: (issuer: string) => string = (issuer) => issuer,
	) {}

	async all(): Promise<PolicyRow[]> {
		const { results } = await this.db.prepare(`SELECT ${COLUMNS} FROM policies ORDER BY layer, target, target_issuer`).all<PolicyRow>();
		return results.map((row) => this.read(row));
	}

	async get(layer: PolicyLayer, targetIssuer: string, target: string): Promise<PolicyRow | null> {
		// An employee layer from before migration 0006 ('' issuer) is the employee issuer's; a row written since wins.
		const row = await this.db
			.prepare(`SELECT ${COLUMNS} FROM policies WHERE layer = ?1 AND target = ?3 AND target_issuer IN (?2, '') ORDER BY target_issuer = '' LIMIT 1`)
			.bind(layer, targetIssuer, target)
			.first<PolicyRow>();
		const read = row ? this.read(row) : null;
		return read && read.target_issuer === targetIssuer ? read : null;
	}

	/**
	 * Writes `row` if the stored version is still `expectedVersion` (0: absent). The version check
	 * is in the statement, so two ops racing on one layer cannot both win.
	 */
	upsert(row: PolicyRow, expectedVersion: number): D1PreparedStatement {
		const updates = COLUMNS.split(", ")
			.filter((column) => !["layer", "target_issuer", "target"].includes(column))
			.map((column) => `${column} = excluded.${column}`)
			.join(", ");
		return this.db
			.prepare(
				`INSERT INTO policies (${COLUMNS}) SELECT ${VALUES.join(", ")} FROM json_each(?1)
				 WHERE COALESCE((SELECT version FROM policies WHERE layer = ?2 AND target_issuer = ?3 AND target = ?4), 0) = ?5
				 ON CONFLICT (layer, target_issuer, target) DO UPDATE SET ${updates}`,
			)
			.bind(JSON.stringify([row]), row.layer, row.target_issuer, row.target, expectedVersion);
	}

	delete(layer: PolicyLayer, targetIssuer: string, target: string, expectedVersion: number): D1PreparedStatement {
		return this.db
			.prepare("DELETE FROM policies WHERE layer = ?1 AND target_issuer = ?2 AND target = ?3 AND version = ?4")
			.bind(layer, targetIssuer, target, expectedVersion);
	}

	/** Employee layers still carrying the pre-0006 issuer '' get the employee issuer's `iss`; returns how many. */
	async recordEmployeeIssuer(employeeIssuer: string): Promise<number> {
		const [updated] = await this.db.batch([
			this.db.prepare("UPDATE OR IGNORE policies SET target_issuer = ?1 WHERE layer = 'employee' AND target_issuer = ''").bind(employeeIssuer),
			// One the employee got since under the real issuer is newer than the '' one it collided with.
			this.db.prepare("DELETE FROM policies WHERE layer = 'employee' AND target_issuer = ''"),
		]);
		return updated?.meta.changes ?? 0;
	}

	private read(row: PolicyRow): PolicyRow {
		return row.layer === "employee" ? { ...row, target_issuer: this.stored(row.target_issuer) } : row;
	}
}

/** Policies as this isolate last read them; a change reaches every isolate within this long. */
export const POLICY_CACHE_MS = 5_000;

let cached: { at: number; rows: Promise<PolicyRow[]> } | null = null;

export function cachedPolicies(store: PolicyStore, now: number): Promise<PolicyRow[]> {
	if (!cached || now - cached.at > POLICY_CACHE_MS) {
		const rows = store.all();
		cached = { at: now, rows };
		// A failed read must not stick: the next ask tries again.
		rows.catch(() => {
			if (cached?.rows === rows) cached = null;
		});
	}
	return cached.rows;
}

/** After a change made by this isolate, read afresh at once. */
export function forgetCachedPolicies(): void {
	cached = null;
}
