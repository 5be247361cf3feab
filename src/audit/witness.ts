import { DurableObject } from "cloudflare:workers";
import { type CheckpointLink, checkpointClaims } from "../crypto/checkpoint-token";
import type { Env } from "../env";
import type { RowScan } from "../integrity/row-scan";
import type { AppendedEntry, Head, JudgedEntries, LinkedHead } from "./log";

/**
 * The audit chain's witness: one Durable Object per database (see witness-client.ts), outside D1.
 * Its storage is reachable only through the worker's code, never through the D1 console, so
 * whoever can edit D1 cannot edit what it remembers:
 *
 * - the sealed head of every seal, told before the seal's hashes are written to D1;
 * - the entries appended and not sealed yet (seq and MAC, told once D1 took them), and those of
 *   them found gone from D1: the unsealed tail, which no hash covers yet;
 * - the chain of checkpoints: it plans each one (seq, hash and the link to the one before, in
 *   seq order, so concurrent sealers cannot fork the chain), keeps its signature, and knows
 *   which of them D1 has stored;
 * - the daily archive segments written to R2;
 * - where verification has got to (incremental progress and the full re-verification job).
 *
 * Every method runs in one synchronous SQLite transaction (`transactionSync`): no await inside,
 * so concurrent calls never interleave.
 */
export class AuditWitness extends DurableObject<Env> {
	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		// Idempotent, synchronous, before the first call is delivered.
		ctx.storage.sql.exec(`
CREATE TABLE IF NOT EXISTS points (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS conflicts (seq INTEGER NOT NULL, witnessed TEXT NOT NULL, reported TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (seq, reported));
CREATE TABLE IF NOT EXISTS checkpoints (
  seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, prev_seq INTEGER, prev_hash TEXT,
  at INTEGER, signature TEXT, stored INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS segments (
  last_seq INTEGER PRIMARY KEY, first_seq INTEGER NOT NULL, prev_hash TEXT NOT NULL, last_hash TEXT NOT NULL,
  day TEXT NOT NULL, key TEXT NOT NULL, sha256 TEXT NOT NULL, at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS appended (seq INTEGER PRIMARY KEY, mac TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS vanished (
  seq INTEGER NOT NULL, mac TEXT NOT NULL, found TEXT, at INTEGER NOT NULL, alerted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (seq, mac)
);
CREATE TABLE IF NOT EXISTS forged_rows (
  tbl TEXT NOT NULL, key TEXT NOT NULL, mac_key TEXT, reason TEXT NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,
  PRIMARY KEY (tbl, key, reason)
);`);
		// A `vanished` table from before findings kept whether D1 holds their alert: theirs are raised again (a no-op if it does).
		const alerted = ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM pragma_table_info('vanished') WHERE name = 'alerted'").one().n;
		if (alerted === 0) ctx.storage.sql.exec("ALTER TABLE vanished ADD COLUMN alerted INTEGER NOT NULL DEFAULT 0");
	}

	private get sql(): SqlStorage {
		return this.ctx.storage.sql;
	}

	/** Rows of a query, typed by the caller (the SQL names the columns). */
	private rows<T>(query: string, ...bindings: SqlStorageValue[]): T[] {
		return this.sql.exec(query, ...bindings).toArray() as unknown as T[];
	}

	/**
	 * A sealer is about to write `heads` (ascending, starting right after `from`) to D1. Each one
	 * is compared with what the witness saw at the same seq: a different hash is a conflict (the
	 * chain in D1 was rewritten below what was witnessed), kept for good and never overwritten.
	 * Without conflicts the last head is remembered and a checkpoint is planned for every multiple
	 * of `interval` not yet planned, linked to the one before.
	 *
	 * The first plan ever needs an anchor (the newest checkpoint D1 holds from before there was a
	 * witness, or null): answered with `anchorRequired` and nothing planned, the sealer asks again;
	 * what the call found of the entries (forged, vanished) is kept all the same.
	 */
	sealing(report: {
		from: Head;
		heads: (Head | LinkedHead)[];
		interval: number;
		at: number;
		anchor?: CheckpointLink | null;
		entries?: JudgedEntries;
	}): SealAnswer {
		return this.ctx.storage.transactionSync(() => {
			const last = report.heads.at(-1);
			if (!last) return { anchorRequired: false, conflicts: [], pending: this.pending(), forged: [], vanished: [] };
			// Whatever else the seal says, the entries it links are linked in D1: their verdicts are kept.
			const forged = report.entries ? this.judgeEntries(report.entries, report.at) : [];
			const vanished = this.linkAppended(report.heads, last.seq, report.at);
			const conflicts = this.compare([report.from, ...report.heads], report.at);
			// A seal starts from D1's sealed head, and every seal told the witness its heads before D1
			// got them: a start past everything it was told was sealed in D1 by someone else (a row
			// inserted with its hashes, the triggers dropped). Kept for good; witnessing goes on.
			const unwitnessed = conflicts.length === 0 ? this.unwitnessedStart(report.from, report.at) : null;
			this.ctx.storage.kv.put(TOLD_KEY, Math.max(this.toldUpTo(), last.seq));
			if (conflicts.length > 0) return { anchorRequired: false, conflicts, pending: this.pending(), forged, vanished };
			const latest = this.latestPlan();
			const due = report.heads.filter((head) => head.seq % report.interval === 0 && head.seq > (latest?.seq ?? 0));
			if (due.length > 0 && !latest && report.anchor === undefined) {
				return { anchorRequired: true, conflicts: unwitnessed ? [unwitnessed] : [], pending: [], forged, vanished };
			}
			this.plan(due, latest ?? report.anchor ?? null);
			this.sql.exec("INSERT OR IGNORE INTO points (seq, hash, at) VALUES (?, ?, ?)", last.seq, last.hash, report.at);
			return { anchorRequired: false, conflicts: unwitnessed ? [unwitnessed] : [], pending: this.pending(), forged, vanished };
		});
	}

	/**
	 * Entries an append has just written, told once D1 took them. Until a seal links them, no hash
	 * covers them: with the triggers dropped, one could be deleted and leave no gap, since the next
	 * append takes its seq. What the witness keeps of them (seq and MAC, which only the vault can
	 * compute) makes that visible: another MAC told at a noted seq, here or by a seal, or the seq found
	 * empty by the every-minute check (`unsealedAppended`), is an entry gone from D1, kept for good.
	 * Seqs a seal has told are left out: their hashes cover them. Returns the entries found gone.
	 */
	noteAppended(entries: readonly AppendedEntry[], at: number): VanishedEntry[] {
		return this.ctx.storage.transactionSync(() => {
			const told = this.toldUpTo();
			const vanished: VanishedEntry[] = [];
			for (const entry of entries) {
				if (entry.seq <= told) continue;
				const [noted] = this.rows<{ mac: string }>("SELECT mac FROM appended WHERE seq = ?", entry.seq);
				if (noted && noted.mac !== entry.mac) vanished.push(...this.vanish({ seq: entry.seq, mac: noted.mac, found: entry.mac }, at));
				this.sql.exec(
					"INSERT INTO appended (seq, mac, at) VALUES (?, ?, ?) ON CONFLICT (seq) DO UPDATE SET mac = excluded.mac, at = excluded.at",
					entry.seq,
					entry.mac,
					at,
				);
			}
			return vanished;
		});
	}

	/** The oldest entries noted and not linked by any seal yet, at most `limit`: the every-minute check compares them with D1. */
	unsealedAppended(limit: number): AppendedEntry[] {
		return this.rows<AppendedEntry>("SELECT seq, mac FROM appended ORDER BY seq LIMIT ?", limit);
	}

	/**
	 * Noted entries the every-minute check did not find in D1 as written (`found`: the MAC at their
	 * seq now, null for none): kept for good and no longer waited for. Returns those not kept before.
	 */
	noteVanished(entries: readonly { seq: number; mac: string; found: string | null }[], at: number): VanishedEntry[] {
		return this.ctx.storage.transactionSync(() => entries.flatMap((entry) => this.vanish(entry, at)));
	}

	/**
	 * Vanished entries whose alert D1 has not confirmed yet, at most `limit`: the every-minute check
	 * raises them again, so a finding whose alert failed to be written is not left at that.
	 */
	unalertedVanished(limit: number): VanishedEntry[] {
		return this.rows<VanishedEntry>("SELECT seq, mac, found, at FROM vanished WHERE alerted = 0 ORDER BY seq, at LIMIT ?", limit);
	}

	/** D1 holds the alerts of these vanished entries now. */
	alertedVanished(entries: readonly { seq: number; mac: string }[]): void {
		this.ctx.storage.transactionSync(() => {
			for (const entry of entries) this.sql.exec("UPDATE vanished SET alerted = 1 WHERE seq = ? AND mac = ?", entry.seq, entry.mac);
		});
	}

	/** Inside a transaction: one noted entry found gone; [] when it already was. It is no longer waited for. */
	private vanish(entry: { seq: number; mac: string; found: string | null }, at: number): VanishedEntry[] {
		this.sql.exec("DELETE FROM appended WHERE seq = ? AND mac = ?", entry.seq, entry.mac);
		const written = this.sql.exec(
			"INSERT OR IGNORE INTO vanished (seq, mac, found, at) VALUES (?, ?, ?, ?)",
			entry.seq,
			entry.mac,
			entry.found,
			at,
		).rowsWritten;
		return written > 0 ? [{ ...entry, at }] : [];
	}

	/**
	 * Inside `sealing`: each linked entry against the MAC noted at its append (a different one is the
	 * noted entry gone, its seq reused), then every noted seq up to the seal's last is let go: the
	 * seal's hashes cover them now. Heads without a MAC (a sealer from before it sent them) compare nothing.
	 */
	private linkAppended(heads: readonly (Head | LinkedHead)[], lastSeq: number, at: number): VanishedEntry[] {
		const linkedMacs = new Map(heads.filter((head): head is LinkedHead => "mac" in head).map((head) => [head.seq, head.mac]));
		const vanished: VanishedEntry[] = [];
		if (linkedMacs.size > 0) {
			const first = Math.min(...linkedMacs.keys());
			for (const noted of this.rows<AppendedEntry>("SELECT seq, mac FROM appended WHERE seq BETWEEN ? AND ?", first, lastSeq)) {
				const linked = linkedMacs.get(noted.seq);
				if (linked !== undefined && linked !== noted.mac) vanished.push(...this.vanish({ seq: noted.seq, mac: noted.mac, found: linked ?? "" }, at));
			}
		}
		this.sql.exec("DELETE FROM appended WHERE seq <= ?", lastSeq);
		return vanished;
	}

	/**
	 * Inside `sealing`: the entries whose MAC failed, kept as forged rows of `audit_log` (key: the
	 * seq). The first entry ever linked with a valid MAC marks when entries began to carry one
	 * (migration 0022); an entry without a MAC is a forgery from there on, one before it is as written
	 * then. Kept outside D1, so no edit of D1 moves that mark. Returns the forged, to alert on.
	 */
	private judgeEntries(judged: JudgedEntries, at: number): ForgedRow[] {
		let since = this.ctx.storage.kv.get<number>(ENTRY_MACS_SINCE_KEY);
		if (since === undefined && judged.firstSigned !== null) {
			since = judged.firstSigned;
			this.ctx.storage.kv.put(ENTRY_MACS_SINCE_KEY, since);
		}
		const forged: ForgedRow[] = judged.failing
			.filter((entry) => entry.verdict !== "unsigned" || (since !== undefined && entry.seq > since))
			.map((entry) => ({
				table: "audit_log",
				key: String(entry.seq),
				mac_key: entry.mac_key,
				reason: entry.verdict === "unsigned" ? "mac_missing" : entry.verdict === "unknown_key" ? "mac_key_unknown" : "mac_invalid",
			}));
		if (forged.length > 0) this.noteForged(forged, at);
		return forged;
	}

	/** The seqs of entries judged forged when they were sealed, at most `limit`, ascending: evidence never cites or counts them. */
	forgedEntrySeqs(limit: number): number[] {
		return this.rows<{ seq: number }>("SELECT DISTINCT CAST(key AS INTEGER) AS seq FROM forged_rows WHERE tbl = 'audit_log' ORDER BY seq LIMIT ?", limit).map(
			(row) => row.seq,
		);
	}

	/** Of `seqs`, those judged forged when they were sealed: a page of the log, marked as it is read (GET /v1/audit). */
	forgedAmong(seqs: readonly number[]): number[] {
		if (seqs.length === 0) return [];
		// Keys are the seqs as text, the table's PRIMARY KEY (tbl, key, …) prefix: one lookup each.
		return this.rows<{ seq: number }>(
			"SELECT DISTINCT CAST(key AS INTEGER) AS seq FROM forged_rows WHERE tbl = 'audit_log' AND key IN (SELECT CAST(value AS TEXT) FROM json_each(?))",
			JSON.stringify(seqs),
		).map((row) => row.seq);
	}

	/**
	 * The highest seq any seal told the witness, whether it was witnessed or contradicted what was
	 * (0 before the first). Read after D1's sealed head it is never behind it, since every seal
	 * tells the witness first, unless D1 was sealed outside the vault.
	 */
	toldUpTo(): number {
		const told = this.ctx.storage.kv.get<number>(TOLD_KEY);
		// A witness from before this was kept: its newest point is the highest it was told without conflict.
		return told ?? this.rows<{ seq: number }>("SELECT seq FROM points ORDER BY seq DESC LIMIT 1")[0]?.seq ?? 0;
	}

	/**
	 * Plans a checkpoint of the sealed head (the hourly one, or one asked for by ops), if the head
	 * is one the witness saw sealed, with that hash, and lies past the newest plan.
	 */
	planHead(head: Head, anchor?: CheckpointLink | null): { anchorRequired: boolean; planned: boolean; pending: PendingCheckpoint[] } {
		return this.ctx.storage.transactionSync(() => {
			const [seen] = this.rows<{ hash: string }>("SELECT hash FROM points WHERE seq = ?", head.seq);
			const latest = this.latestPlan();
			if (seen?.hash !== head.hash || (latest && latest.seq >= head.seq)) return { anchorRequired: false, planned: false, pending: this.pending() };
			if (!latest && anchor === undefined) return { anchorRequired: true, planned: false, pending: [] };
			this.plan([head], latest ?? anchor ?? null);
			return { anchorRequired: false, planned: true, pending: this.pending() };
		});
	}

	/**
	 * Signatures of planned checkpoints. A signature is kept only if it claims exactly the plan
	 * (seq, hash and link); the first one kept for a seq wins, so concurrent signers agree.
	 * Returns every signed checkpoint of those seqs as the witness keeps it.
	 */
	signed(signatures: { seq: number; at: number; signature: string }[]): WitnessedCheckpoint[] {
		return this.ctx.storage.transactionSync(() => {
			for (const { seq, at, signature } of signatures) {
				const plan = this.rows<PlanRow>("SELECT seq, hash, prev_seq, prev_hash, at, signature, stored FROM checkpoints WHERE seq = ?", seq)[0];
				const claims = checkpointClaims(signature);
				if (!plan || plan.signature !== null || !claims) continue;
				const link = claims.prev;
				const matches =
					claims.seq === plan.seq &&
					claims.hash === plan.hash &&
					claims.at === at &&
					link !== undefined &&
					(link === null ? plan.prev_seq === null : link.seq === plan.prev_seq && link.hash === plan.prev_hash);
				if (matches) this.sql.exec("UPDATE checkpoints SET at = ?, signature = ? WHERE seq = ?", at, signature, seq);
			}
			return this.checkpointsIn(signatures.map((s) => s.seq));
		});
	}

	/** D1 holds these checkpoints now: from here on, their absence from D1 is tampering. */
	stored(seqs: number[]): void {
		this.ctx.storage.transactionSync(() => {
			for (const seq of seqs) this.sql.exec("UPDATE checkpoints SET stored = 1 WHERE seq = ? AND signature IS NOT NULL", seq);
		});
	}

	/** What verification compares D1 with, before it seals: the head and the newest of everything. */
	state(recent: number): WitnessState {
		return this.ctx.storage.transactionSync(() => {
			const head = this.rows<Head>("SELECT seq, hash FROM points ORDER BY seq DESC LIMIT 1")[0] ?? null;
			const recentPoints = this.rows<Head>("SELECT seq, hash FROM points ORDER BY seq DESC LIMIT ?", recent);
			const recentCheckpoints = this.rows<PlanRow>(
				"SELECT seq, hash, prev_seq, prev_hash, at, signature, stored FROM checkpoints WHERE stored = 1 ORDER BY seq DESC LIMIT ?",
				recent,
			).map(witnessed);
			const [counts] = this.rows<{ stored: number; first: number | null }>(
				"SELECT count(*) FILTER (WHERE stored = 1) AS stored, min(seq) AS first FROM checkpoints",
			);
			const conflicts = this.rows<WitnessConflict>("SELECT seq, witnessed, reported, at FROM conflicts ORDER BY seq, at LIMIT ?", MAX_LISTED);
			const vanishedEntries = this.rows<VanishedEntry>("SELECT seq, mac, found, at FROM vanished ORDER BY seq, at LIMIT ?", MAX_LISTED);
			const forgedEntries = this.rows<{ seq: number; reason: string }>(
				"SELECT CAST(key AS INTEGER) AS seq, reason FROM forged_rows WHERE tbl = 'audit_log' ORDER BY CAST(key AS INTEGER) LIMIT ?",
				MAX_LISTED,
			);
			const recentSegments = this.rows<ArchivedSegment>(
				"SELECT first_seq, last_seq, prev_hash, last_hash, day, key, sha256, at FROM segments ORDER BY last_seq DESC LIMIT ?",
				recent,
			);
			return {
				head,
				recentPoints,
				recentCheckpoints,
				storedCheckpoints: counts?.stored ?? 0,
				linkedSince: counts?.first ?? null,
				conflicts,
				forgedEntries,
				vanishedEntries,
				recentSegments,
				progress: this.ctx.storage.kv.get<VerifyProgress>(PROGRESS_KEY) ?? null,
				full: this.ctx.storage.kv.get<FullVerification>(FULL_KEY) ?? null,
			};
		});
	}

	/** Everything witnessed between two seqs (inclusive): what a verification slice compares. */
	between(fromSeq: number, toSeq: number): WitnessRange {
		return this.ctx.storage.transactionSync(() => ({
			points: this.rows<Head>("SELECT seq, hash FROM points WHERE seq BETWEEN ? AND ? ORDER BY seq", fromSeq, toSeq),
			checkpoints: this.rows<PlanRow>(
				"SELECT seq, hash, prev_seq, prev_hash, at, signature, stored FROM checkpoints WHERE seq BETWEEN ? AND ? ORDER BY seq",
				fromSeq,
				toSeq,
			).map(witnessed),
			segments: this.rows<ArchivedSegment>(
				"SELECT first_seq, last_seq, prev_hash, last_hash, day, key, sha256, at FROM segments WHERE last_seq BETWEEN ? AND ? ORDER BY last_seq",
				fromSeq,
				toSeq,
			),
		}));
	}

	/** Incremental progress moves forward only, and only under the configuration it was made with. */
	saveProgress(progress: VerifyProgress): void {
		this.ctx.storage.transactionSync(() => {
			const current = this.ctx.storage.kv.get<VerifyProgress>(PROGRESS_KEY);
			if (current && current.fingerprint === progress.fingerprint && current.checkpoint.seq >= progress.checkpoint.seq) return;
			this.ctx.storage.kv.put(PROGRESS_KEY, progress);
		});
	}

	/**
	 * The full re-verification job's state, saved only over the state it was computed from
	 * (`expected`: null when there was none), so two runners racing never both advance it.
	 */
	saveFull(next: FullVerification, expected: { started_at: number; next_seq: number; slices?: number } | null): boolean {
		return this.ctx.storage.transactionSync(() => {
			const current = this.ctx.storage.kv.get<FullVerification>(FULL_KEY);
			// `slices` too: once the chain is walked, the row scan advances with `next_seq` standing still.
			const unchanged =
				current === undefined
					? expected === null
					: expected !== null &&
						current.started_at === expected.started_at &&
						current.next_seq === expected.next_seq &&
						(expected.slices === undefined || current.slices === expected.slices);
			if (!unchanged) return false;
			this.ctx.storage.kv.put(FULL_KEY, next);
			return true;
		});
	}

	/**
	 * Access-state rows whose MAC failed (src/integrity/), as whoever read them reported them: kept
	 * here, outside D1, so that deleting the alert or restoring the row does not erase the finding.
	 */
	noteForgedRows(rows: ForgedRow[], at: number): void {
		this.ctx.storage.transactionSync(() => this.noteForged(rows, at));
	}

	private noteForged(rows: ForgedRow[], at: number): void {
		for (const row of rows) {
			this.sql.exec(
				"INSERT INTO forged_rows (tbl, key, mac_key, reason, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tbl, key, reason) DO UPDATE SET last_at = excluded.last_at, mac_key = excluded.mac_key",
				row.table,
				row.key,
				row.mac_key,
				row.reason,
				at,
				at,
			);
		}
	}

	/** The forged rows reported so far, newest first, at most `limit`. */
	forgedRows(limit: number): (ForgedRow & { first_at: number; last_at: number })[] {
		return this.rows<ForgedRow & { first_at: number; last_at: number }>(
			'SELECT tbl AS "table", key, mac_key, reason, first_at, last_at FROM forged_rows ORDER BY last_at DESC LIMIT ?',
			limit,
		);
	}

	/**
	 * Whether every row written before a row-MAC migration has been MACed (the legacy job ran out of
	 * work): from then on a row of that migration's tables without a MAC is a forgery. `set` names
	 * the migration ("0014": policies, records, status rows; "0018": legs, alert triage), each its
	 * own flag, so a table MACed later has its own legacy window. Kept here because a flag in D1 is
	 * one a database administrator could clear. It never goes back to false.
	 */
	legacyRowsSigned(set: LegacySet = "0014"): { at: number } | null {
		return this.ctx.storage.kv.get<{ at: number }>(legacyKey(set)) ?? null;
	}

	markLegacyRowsSigned(at: number, set: LegacySet = "0014"): { at: number } {
		return this.ctx.storage.transactionSync(() => {
			const current = this.ctx.storage.kv.get<{ at: number }>(legacyKey(set));
			if (current) return current;
			this.ctx.storage.kv.put(legacyKey(set), { at });
			return { at };
		});
	}

	/** The newest archived segment, where the next one starts. */
	lastSegment(): ArchivedSegment | null {
		return (
			this.rows<ArchivedSegment>("SELECT first_seq, last_seq, prev_hash, last_hash, day, key, sha256, at FROM segments ORDER BY last_seq DESC LIMIT 1")[0] ??
			null
		);
	}

	/** A segment now in the archive; only one that continues the last one is kept. */
	archived(segment: ArchivedSegment): boolean {
		return this.ctx.storage.transactionSync(() => {
			const last = this.lastSegment();
			if ((last?.last_seq ?? 0) + 1 !== segment.first_seq) return false;
			this.sql.exec(
				"INSERT INTO segments (first_seq, last_seq, prev_hash, last_hash, day, key, sha256, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				segment.first_seq,
				segment.last_seq,
				segment.prev_hash,
				segment.last_hash,
				segment.day,
				segment.key,
				segment.sha256,
				segment.at,
			);
			return true;
		});
	}

	/**
	 * A seal starting past everything the witness was told, recorded as a conflict at the first
	 * entry it was never told of, with both hashes UNWITNESSED. Null for a start at or below that,
	 * or before the first seal (a witness linked to a chain sealed before it).
	 */
	private unwitnessedStart(from: Head, at: number): WitnessConflict | null {
		const told = this.toldUpTo();
		if (told === 0 || from.seq <= told) return null;
		const conflict = { seq: told + 1, witnessed: UNWITNESSED, reported: UNWITNESSED, at };
		this.sql.exec(
			"INSERT OR IGNORE INTO conflicts (seq, witnessed, reported, at) VALUES (?, ?, ?, ?)",
			conflict.seq,
			conflict.witnessed,
			conflict.reported,
			at,
		);
		return conflict;
	}

	/** Stored points that a report contradicts, recorded as conflicts. */
	private compare(reported: Head[], at: number): WitnessConflict[] {
		const bySeq = new Map(reported.map((head) => [head.seq, head.hash]));
		const first = reported[0]?.seq ?? 0;
		const last = reported.at(-1)?.seq ?? 0;
		const conflicts: WitnessConflict[] = [];
		for (const point of this.rows<Head>("SELECT seq, hash FROM points WHERE seq BETWEEN ? AND ?", first, last)) {
			const hash = bySeq.get(point.seq);
			if (hash !== undefined && hash !== point.hash) conflicts.push({ seq: point.seq, witnessed: point.hash, reported: hash, at });
		}
		for (const conflict of conflicts) {
			this.sql.exec(
				"INSERT OR IGNORE INTO conflicts (seq, witnessed, reported, at) VALUES (?, ?, ?, ?)",
				conflict.seq,
				conflict.witnessed,
				conflict.reported,
				conflict.at,
			);
		}
		return conflicts;
	}

	private latestPlan(): CheckpointLink | null {
		return this.rows<CheckpointLink>("SELECT seq, hash FROM checkpoints ORDER BY seq DESC LIMIT 1")[0] ?? null;
	}

	private plan(heads: Head[], prev: CheckpointLink | null): void {
		let link = prev;
		for (const head of heads) {
			this.sql.exec("INSERT INTO checkpoints (seq, hash, prev_seq, prev_hash) VALUES (?, ?, ?, ?)", head.seq, head.hash, link?.seq ?? null, link?.hash ?? null);
			link = head;
		}
	}

	/** Planned checkpoints D1 does not hold yet, signed or not: what the next signer takes care of. */
	private pending(): PendingCheckpoint[] {
		return this.rows<PlanRow>(
			"SELECT seq, hash, prev_seq, prev_hash, at, signature, stored FROM checkpoints WHERE stored = 0 ORDER BY seq LIMIT ?",
			MAX_LISTED,
		).map((row) => ({ ...witnessed(row), signature: row.signature }));
	}

	private checkpointsIn(seqs: number[]): WitnessedCheckpoint[] {
		return seqs
			.map(
				(seq) =>
					this.rows<PlanRow>("SELECT seq, hash, prev_seq, prev_hash, at, signature, stored FROM checkpoints WHERE seq = ? AND signature IS NOT NULL", seq)[0],
			)
			.filter((row): row is PlanRow => row !== undefined)
			.map(witnessed);
	}
}

const PROGRESS_KEY = "progress";
const FULL_KEY = "full";
/** The seq of the first entry linked with a valid MAC (judgeEntries). */
const ENTRY_MACS_SINCE_KEY = "entry-macs-since";
/** The highest seq any seal told the witness (toldUpTo). */
const TOLD_KEY = "told";
/** The migrations that added row MACs, each with its own legacy window (src/integrity/legacy-rows.ts). */
export const LEGACY_SETS = ["0014", "0018", "0019"] as const;
export type LegacySet = (typeof LEGACY_SETS)[number];
/** 0014's key predates the sets and stays as it was, so a witness that already holds it keeps it. */
const legacyKey = (set: LegacySet) => (set === "0014" ? "row-macs:legacy-signed" : `row-macs:legacy-signed:${set}`);
/** Lists the witness returns are capped: a report names the first problems, not every one. */
const MAX_LISTED = 100;

interface PlanRow {
	seq: number;
	hash: string;
	prev_seq: number | null;
	prev_hash: string | null;
	at: number | null;
	signature: string | null;
	stored: number;
}

function witnessed(row: PlanRow): WitnessedCheckpoint {
	return {
		seq: row.seq,
		hash: row.hash,
		prev: row.prev_seq === null ? null : { seq: row.prev_seq, hash: row.prev_hash as string },
		at: row.at ?? 0,
		signature: row.signature ?? "",
		stored: row.stored === 1,
	};
}

/** A checkpoint as the witness keeps it; `signature` is empty while it is only planned. */
export interface WitnessedCheckpoint {
	seq: number;
	hash: string;
	prev: CheckpointLink | null;
	at: number;
	signature: string;
	stored: boolean;
}

export type PendingCheckpoint = Omit<WitnessedCheckpoint, "signature"> & { signature: string | null };

export interface SealAnswer {
	anchorRequired: boolean;
	/** Entries of the seal whose MAC failed, now kept as forged rows of `audit_log`. */
	forged: ForgedRow[];
	/** Witnessed seqs whose hash the report contradicts; nothing was planned or remembered. */
	conflicts: WitnessConflict[];
	/** Checkpoints to sign (signature null) or to store in D1, once the seal is written. */
	pending: PendingCheckpoint[];
	/** Noted entries the seal found another MAC at (deleted, their seq reused), now kept as vanished. */
	vanished: VanishedEntry[];
}

/**
 * An entry an append wrote and told the witness of, found gone from D1 before any seal covered it:
 * `found` is the MAC at its seq instead (the seq reused), "" for an entry without one, null for none.
 */
export interface VanishedEntry {
	seq: number;
	mac: string;
	found: string | null;
	at: number;
}

/** An access-state row whose MAC failed: the table, the row's key (never contact data), the key id it named. */
export interface ForgedRow {
	table: string;
	key: string;
	mac_key: string | null;
	/** `mac_invalid`, `mac_missing` (after every legacy row was MACed), `honeytoken_unlisted`, `honeytoken_forged`. */
	reason: string;
}

export interface WitnessConflict {
	seq: number;
	witnessed: string;
	/** The hash a seal reported for `seq`; UNWITNESSED (and `witnessed` too) when D1 was sealed past `seq - 1` with no seal telling the witness. */
	reported: string;
	at: number;
}

/** Both hashes of a conflict no seal reported: D1's chain went on past what the witness was told. */
export const UNWITNESSED = "";

export interface ArchivedSegment {
	first_seq: number;
	last_seq: number;
	prev_hash: string;
	last_hash: string;
	/** UTC day (YYYY-MM-DD) of the checkpoint the segment ends at. */
	day: string;
	key: string;
	/** base64url SHA-256 of the segment object's bytes. */
	sha256: string;
	at: number;
}

/** Where incremental verification resumes: the last checkpoint it verified, under a configuration. */
export interface VerifyProgress {
	/** The verification keys and interval the progress was made under; another configuration starts over. */
	fingerprint: string;
	checkpoint: CheckpointLink;
}

export interface VerifyProblem {
	seq: number;
	reason: string;
	detail?: string;
}

/** The full re-verification job, resumed slice by slice by the every-minute cron. */
export interface FullVerification {
	fingerprint: string;
	started_at: number;
	/** The sealed head when the run started: it verifies the chain up to here. */
	target_seq: number;
	next_seq: number;
	prev_hash: string;
	last_checkpoint: CheckpointLink | null;
	checked: number;
	slices: number;
	first_break: VerifyProblem | null;
	problems: VerifyProblem[];
	/** The scan of every MACed row (src/integrity/row-scan.ts), run beside the chain's walk; null until its first slice. */
	rows?: RowScan | null;
	/** What the last finished run's row scan found: it stands until this run's scan finishes. */
	last_rows?: { finished_at: number; found: number; problems: ForgedRow[] } | null;
	/** Both the chain and the rows are verified (or the chain broke and the rows are). */
	finished_at: number | null;
}

export interface WitnessState {
	head: Head | null;
	recentPoints: Head[];
	recentCheckpoints: WitnessedCheckpoint[];
	storedCheckpoints: number;
	/** Seq of the first checkpoint the witness planned: checkpoints from here on are linked. */
	linkedSince: number | null;
	conflicts: WitnessConflict[];
	/** Entries whose MAC failed when they were sealed (the first MAX_LISTED by seq): linked, kept for good, never cited. */
	forgedEntries: { seq: number; reason: string }[];
	/** Entries appended and gone from D1 before their seal (the first MAX_LISTED by seq): kept for good. */
	vanishedEntries: VanishedEntry[];
	recentSegments: ArchivedSegment[];
	progress: VerifyProgress | null;
	full: FullVerification | null;
}

export interface WitnessRange {
	points: Head[];
	checkpoints: WitnessedCheckpoint[];
	segments: ArchivedSegment[];
}
