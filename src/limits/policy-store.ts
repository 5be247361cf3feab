import type { PolicyLayer, PolicyRow } from "./policy";

const COLUMNS =
	"layer, target, mode, burst_limit, burst_window_seconds, daily_limit, distinct_limit, ring_threshold, depot_daily_budget, version, updated_by, updated_at";

export class PolicyStore {
	constructor(private readonly db: D1Database) {}

	async all(): Promise<PolicyRow[]> {
		return (await this.db.prepare(`SELECT ${COLUMNS} FROM policies ORDER BY layer, target`).all<PolicyRow>()).results;
	}

	async get(layer: PolicyLayer, target: string): Promise<PolicyRow | null> {
		return this.db.prepare(`SELECT ${COLUMNS} FROM policies WHERE layer = ?1 AND target = ?2`).bind(layer, target).first<PolicyRow>();
	}

	/**
	 * Writes `row` if the stored version is still `expectedVersion` (0: absent). The version check
	 * is in the statement, so two ops racing on one layer cannot both win.
	 */
	upsert(row: PolicyRow, expectedVersion: number): D1PreparedStatement {
		return this.db
			.prepare(
				`INSERT INTO policies (${COLUMNS}) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?13, ?9, ?10, ?11
				 WHERE COALESCE((SELECT version FROM policies WHERE layer = ?1 AND target = ?2), 0) = ?12
				 ON CONFLICT (layer, target) DO UPDATE SET mode = excluded.mode, burst_limit = excluded.burst_limit,
				   burst_window_seconds = excluded.burst_window_seconds, daily_limit = excluded.daily_limit, distinct_limit = excluded.distinct_limit,
				   ring_threshold = excluded.ring_threshold, depot_daily_budget = excluded.depot_daily_budget, version = excluded.version, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			)
			.bind(
				row.layer,
				row.target,
				row.mode,
				row.burst_limit,
				row.burst_window_seconds,
				row.daily_limit,
				row.distinct_limit,
				row.ring_threshold,
				row.version,
				row.updated_by,
				row.updated_at,
				expectedVersion,
				row.depot_daily_budget,
			);
	}

	delete(layer: PolicyLayer, target: string, expectedVersion: number): D1PreparedStatement {
		return this.db.prepare("DELETE FROM policies WHERE layer = ?1 AND target = ?2 AND version = ?3").bind(layer, target, expectedVersion);
	}
}

/** Policies as this isolate last read them; a change reaches every isolate within this long. */
export const POLICY_CACHE_MS = 5_000;

let cached: { at: number; rows: Promise<PolicyRow[]> } | null = null;

export function cachedPolicies(db: D1Database, now: number): Promise<PolicyRow[]> {
	if (!cached || now - cached.at > POLICY_CACHE_MS) {
		const rows = new PolicyStore(db).all();
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
