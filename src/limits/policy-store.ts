import { policyContent, policyKey } from "../integrity/row-contents";
import type { RowTrust } from "../integrity/row-trust";
import type { PolicyLayer, PolicyRow } from "./policy";

const COLUMNS =
	"layer, target_issuer, target, mode, burst_limit, burst_window_seconds, daily_limit, distinct_limit, ring_threshold, depot_daily_budget, lookup_limit, lookup_window_seconds, lookup_daily_limit, miss_limit, refusal_limit, require_active_leg, leg_grace_seconds, stale_window_seconds, case_limit, plaintext_phone_limit, call_burst_limit, call_burst_window_seconds, call_daily_limit, call_distinct_limit, version, updated_by, updated_at";
const VALUES = [...COLUMNS.split(", "), "mac", "mac_key"].map((column) => `value ->> '$.${column}'`);

/** A layer as stored: the columns this store knows, any a later migration added, and its MAC. */
type StoredLayer = PolicyRow & { mac: string | null; mac_key: string | null } & Record<string, unknown>;

export class PolicyStore {
	constructor(
		private readonly db: D1Database,
		/** What a stored target issuer means: '' on an employee layer (a row from before migration 0006) is the employee issuer. */
		private readonly stored: (issuer: string) => string = (issuer) => issuer,
		/** MACs of layers (src/integrity/): written with each layer; a layer whose MAC fails is left out of every resolution. */
		private readonly trust: RowTrust | null = null,
	) {}

	/** Every layer whose MAC holds; a forged one is left out (the layers below apply) and reported. */
	async all(): Promise<PolicyRow[]> {
		// Every column, so the MAC covers limit columns this store does not name (see policyContent).
		const { results } = await this.db.prepare("SELECT * FROM policies ORDER BY layer, target, target_issuer").all<StoredLayer>();
		const trust = this.trust;
		const admitted = trust
			? await Promise.all(results.map((row) => trust.admits("policies", policyKey(row), policyContent(row, this.stored), row)))
			: results.map(() => true);
		return results.filter((_, i) => admitted[i]).map((row) => this.read(pick(row)));
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
	 * is in the statement, so two ops racing on one layer cannot both win. Its MAC is over the row as
	 * it will be stored: the columns given, and any other the stored version holds (read here; the
	 * version check makes sure they are still those).
	 */
	async upsert(row: PolicyRow, expectedVersion: number): Promise<D1PreparedStatement> {
		let seal: { mac: string | null; mac_key: string | null } = { mac: null, mac_key: null };
		if (this.trust) {
			const current =
				expectedVersion === 0
					? null
					: await this.db
							.prepare("SELECT * FROM policies WHERE layer = ?1 AND target_issuer = ?2 AND target = ?3 AND version = ?4")
							.bind(row.layer, row.target_issuer, row.target, expectedVersion)
							.first<StoredLayer>();
			seal = await this.trust.seal("policies", policyContent({ ...(current ?? {}), ...row }, this.stored));
		}
		const updates = [...COLUMNS.split(", "), "mac", "mac_key"]
			.filter((column) => !["layer", "target_issuer", "target"].includes(column))
			.map((column) => `${column} = excluded.${column}`)
			.join(", ");
		return this.db
			.prepare(
				`INSERT INTO policies (${COLUMNS}, mac, mac_key) SELECT ${VALUES.join(", ")} FROM json_each(?1)
				 WHERE COALESCE((SELECT version FROM policies WHERE layer = ?2 AND target_issuer = ?3 AND target = ?4), 0) = ?5
				 ON CONFLICT (layer, target_issuer, target) DO UPDATE SET ${updates}`,
			)
			.bind(JSON.stringify([{ ...row, ...seal }]), row.layer, row.target_issuer, row.target, expectedVersion);
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

/** The columns callers know, without the MAC or columns a later migration added. */
function pick(row: StoredLayer): PolicyRow {
	return Object.fromEntries(COLUMNS.split(", ").map((column) => [column, row[column] ?? null])) as unknown as PolicyRow;
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
