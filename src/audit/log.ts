import { classified } from "../storage/d1-errors";
import { boundedChunks } from "./bounded-chunks";
import { type AuditEntry, type AuditEvent, entryFor, entryHash, GENESIS_HASH } from "./entry";
import type { EntryMacs, EntryVerdict } from "./entry-macs";

export interface Head {
	seq: number;
	hash: string;
}

/** See the AuditLog constructor. */
export type SealWitness = (from: Head, linked: readonly (Head | LinkedHead)[], judged?: JudgedEntries) => Promise<(() => Promise<void>) | undefined>;

/** A head a seal links, with the MAC its entry was found with: the witness compares it with the one noted at the append. */
export interface LinkedHead extends Head {
	mac: string | null;
}

/** An entry as an append wrote it: its seq and its MAC, what the witness is told (`noteAppended`). */
export interface AppendedEntry {
	seq: number;
	mac: string;
}

/** What a seal found of the MACs of the entries it links (migration 0022): told to the witness with the seal. */
export interface JudgedEntries {
	/** The first entry linked whose MAC verifies: from the first one ever, an entry without a MAC is a forgery. */
	firstSigned: number | null;
	/** Every entry linked whose MAC does not verify, or that has none. */
	failing: { seq: number; verdict: Exclude<EntryVerdict, "valid">; mac_key: string | null }[];
}

export interface AppendOptions {
	/**
	 * Append only if the statement just before the entry changed a row (SQLite `changes()`), so an
	 * update that matched nothing leaves no entry claiming it happened.
	 */
	onlyIfChanged?: boolean;
}

export interface AppendResult {
	/** Results of the caller's statements, in order. */
	results: D1Result[];
	/** The seq the entry got, or null when `onlyIfChanged` found nothing changed. */
	seq: number | null;
}

const CONTENT_COLUMNS = "at, kind, actor, actor_issuer, actor_role, actor_depot, record_id, details";
const ALL_COLUMNS = `seq, ${CONTENT_COLUMNS}, prev_hash, hash`;
const SEAL_PAGE = 200;
/**
 * A page of links in one statement rather than one statement a link: a seal of 200 entries was a
 * D1 batch of 200 statements, each run and answered on its own by the database that serves every
 * reveal. json_each drives the join and each entry is found by its seq (the rowid); the rows are
 * written oldest first, and the seal-only trigger checks each entry's prev_hash against the entry
 * before it as it is written, so a page that could not be linked in order would be refused whole,
 * never half-written. An entry sealed meanwhile by another sealer is left as it is.
 */
const SEAL_LINKS_FROM_JSON = `UPDATE audit_log SET prev_hash = link.value ->> '$.p', hash = link.value ->> '$.h'
	FROM json_each(?1) AS link
	WHERE audit_log.seq = link.value ->> '$.s' AND audit_log.hash IS NULL`;
/**
 * Pages one seal call links at most: 2,000 entries, 21 D1 round trips. The every-minute cron
 * calls it repeatedly; a bound per call keeps every caller within D1's 1,000 queries per invocation.
 */
export const SEAL_PAGES_PER_CALL = 10;
const APPEND_ROWS_PER_STATEMENT = 100;
/**
 * Bytes of entries bound as one JSON parameter at most: half of the 2,000,000 bytes D1 takes in one
 * string (its platform limits), so the array around them and a few long entries always fit.
 */
const MAX_BOUND_JSON_BYTES = 1_000_000;
const encoder = new TextEncoder();
const jsonBytes = (value: unknown) => encoder.encode(JSON.stringify(value)).length;
/**
 * One bound parameter however many entries; json_each yields them in array order (its `key`). Each
 * entry is read once into a materialized CTE: json_each's `value` renders the object back to text
 * at every reference (see INSERT_FROM_JSON in records/store.ts).
 */
const INSERT_FROM_JSON = `WITH incoming AS MATERIALIZED (SELECT key, value AS item FROM json_each(?1))
INSERT INTO audit_log (${CONTENT_COLUMNS}, mac, mac_key)
SELECT item ->> '$.at', item ->> '$.kind', item ->> '$.actor', item ->> '$.actor_issuer', item ->> '$.actor_role',
       item ->> '$.actor_depot', item ->> '$.record_id', item ->> '$.details', item ->> '$.mac', item ->> '$.mac_key'
FROM incoming ORDER BY key
RETURNING seq, mac`;

/** The same, for entries that carry an outbox id: one already in the log is not written again. */
const INSERT_OUTBOX_FROM_JSON = `WITH incoming AS MATERIALIZED (SELECT key, value AS item FROM json_each(?1))
INSERT INTO audit_log (${CONTENT_COLUMNS}, entry_id, mac, mac_key)
SELECT item ->> '$.at', item ->> '$.kind', item ->> '$.actor', item ->> '$.actor_issuer', item ->> '$.actor_role',
       item ->> '$.actor_depot', item ->> '$.record_id', item ->> '$.details', item ->> '$.entry_id', item ->> '$.mac', item ->> '$.mac_key'
FROM incoming WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE entry_id = item ->> '$.entry_id') ORDER BY key
RETURNING seq, mac`;

/**
 * The hash-chained audit log in D1, written in two steps so that writers never contend:
 *
 * 1. append: the entry is inserted unsealed in the same D1 batch (one transaction) as the change
 *    it records, and the database numbers it (seq = max + 1). A change and its entry land together
 *    or not at all.
 * 2. seal: entries are linked in seq order: prev_hash is the hash of the entry before, hash is
 *    SHA-256 over the canonical entry. Sealing is deterministic, so concurrent sealers write the
 *    same values and the database (trigger `audit_log_seal_only`) refuses anything else.
 */
export class AuditLog {
	constructor(
		private readonly db: D1Database,
		/** Each entry is written with its MAC, and judged by it as it is sealed (src/audit/entry-macs.ts). */
		private readonly macs: EntryMacs,
		/**
		 * Told every range a seal links, before any of its hashes is written (the witness); what it
		 * returns runs once they are written (the checkpoints). If it throws, nothing is written:
		 * the entries stay unsealed, as appended, for the next seal.
		 */
		private readonly witness?: SealWitness,
		/**
		 * Runs after each append with the entries written: tells the witness and schedules sealing
		 * once the response is out. What it returns settles once the witness was told.
		 */
		private readonly afterAppend?: (entries: AppendedEntry[]) => Promise<void> | undefined,
	) {}

	async appendWith(event: AuditEvent, statements: D1PreparedStatement[] = [], options: AppendOptions = {}): Promise<AppendResult> {
		const entry = entryFor(event);
		const { mac, mac_key } = await this.macs.seal(entry);
		const values = [entry.at, entry.kind, entry.actor, entry.actor_issuer, entry.actor_role, entry.actor_depot, entry.record_id, entry.details, mac, mac_key];
		const insert = options.onlyIfChanged
			? this.db.prepare(
					`INSERT INTO audit_log (${CONTENT_COLUMNS}, mac, mac_key) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE changes() > 0 RETURNING seq, mac`,
				)
			: this.db.prepare(`INSERT INTO audit_log (${CONTENT_COLUMNS}, mac, mac_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING seq, mac`);
		// The refs name the entry just written: the largest seq, inside this same transaction.
		const refs = event.recordIds?.length
			? [
					this.db
						.prepare("INSERT INTO audit_record_refs (record_id, seq) SELECT value, (SELECT max(seq) FROM audit_log) FROM json_each(?1)")
						.bind(JSON.stringify(event.recordIds)),
				]
			: [];
		const results = await classified(this.db.batch([...statements, insert.bind(...values), ...refs]));
		const seq = (results.at(-1 - refs.length)?.results[0] as { seq?: number } | undefined)?.seq ?? null;
		if (seq !== null) this.afterAppend?.([{ seq, mac }]);
		return { results: results.slice(0, statements.length), seq };
	}

	/** Many entries (a batch's records) in the caller's transaction, numbered in the order given. */
	async appendAllWith(events: AuditEvent[], statements: D1PreparedStatement[] = []): Promise<D1Result[]> {
		const inserts: D1PreparedStatement[] = [];
		const entries = await Promise.all(events.map(async (event) => this.withMac(entryFor(event))));
		for (const chunk of boundedChunks(entries, APPEND_ROWS_PER_STATEMENT, MAX_BOUND_JSON_BYTES, jsonBytes)) {
			inserts.push(this.db.prepare(INSERT_FROM_JSON).bind(JSON.stringify(chunk)));
		}
		const results = await classified(this.db.batch([...statements, ...inserts]));
		const written = results.slice(statements.length).flatMap((result) => result.results as AppendedEntry[]);
		if (written.length > 0) this.afterAppend?.(written);
		return results.slice(0, statements.length);
	}

	/**
	 * Entries another store wrote first (a principal's limiter object, which commits a decision and
	 * its entry in one transaction of its own), in the order given. Each carries the id it got
	 * there; an id already in the log is skipped, so a flush retried after a crash between the
	 * D1 commit and the object's acknowledgement writes nothing twice. Returns the seqs written.
	 * The batches of one write (a ledger's, of everything it holds) pass the same `now`, so
	 * `audit_flushes` says what that write carried and how late its oldest entry was. A backlog a
	 * limiter drains run by run is as many flushes: the row tells the newest, as its readers take it.
	 */
	async appendOutbox(entries: readonly { entryId: string; event: AuditEvent }[], source: string, now = Date.now()): Promise<number[]> {
		if (entries.length === 0) return [];
		const rows = await Promise.all(
			entries.map(async ({ entryId, event }) => ({ ...(await this.withMac({ ...entryFor(event), entry_id: entryId })), record_ids: event.recordIds ?? [] })),
		);
		const oldestEntryAt = Math.min(...entries.map(({ event }) => event.at));
		// One statement per chunk of rows within D1's size of a bound value, all in one transaction.
		const inserts: D1PreparedStatement[] = [];
		const refs: D1PreparedStatement[] = [];
		for (const chunk of boundedChunks(rows, rows.length, MAX_BOUND_JSON_BYTES, jsonBytes)) {
			const chunkJson = JSON.stringify(chunk);
			inserts.push(this.db.prepare(INSERT_OUTBOX_FROM_JSON).bind(chunkJson));
			// Only the per-minute summaries name several records; a flush of decisions alone (most of them) skips the statement.
			if (chunk.some((row) => row.record_ids.length > 0)) {
				refs.push(
					this.db
						.prepare(
							`INSERT OR IGNORE INTO audit_record_refs (record_id, seq)
							 SELECT r.value, a.seq FROM json_each(?1) AS e JOIN audit_log AS a ON a.entry_id = e.value ->> '$.entry_id', json_each(e.value -> '$.record_ids') AS r`,
						)
						.bind(chunkJson),
				);
			}
		}
		const results = await classified(
			this.db.batch([
				...inserts,
				...refs,
				// How fresh the log is, for its readers (`flushLag`): in the same batch as the entries.
				this.db
					.prepare(
						// The batches of one write pass one `now`: each adds to that flush's row rather than replacing it.
						`INSERT INTO audit_flushes (source, flushed_at, entries, oldest_entry_at) VALUES (?1, ?2, ?3, ?4)
						 ON CONFLICT (source) DO UPDATE SET
						   entries = CASE WHEN audit_flushes.flushed_at = excluded.flushed_at THEN audit_flushes.entries + excluded.entries ELSE excluded.entries END,
						   oldest_entry_at = CASE WHEN audit_flushes.flushed_at = excluded.flushed_at
						     THEN min(audit_flushes.oldest_entry_at, excluded.oldest_entry_at) ELSE excluded.oldest_entry_at END,
						   flushed_at = excluded.flushed_at`,
					)
					.bind(source, now, entries.length, oldestEntryAt),
			]),
		);
		const written = results.slice(0, inserts.length).flatMap((result) => result.results as AppendedEntry[]);
		// An object's flush, after every answer its entries were decided for: it waits for the witness
		// to be told before the entries leave the outbox, so none leaves it unnoted but for a failure, logged.
		if (written.length > 0) await this.afterAppend?.(written);
		return written.map((entry) => entry.seq);
	}

	append(event: AuditEvent): Promise<AppendResult> {
		return this.appendWith(event);
	}

	/** An entry with the MAC it is written with. */
	private async withMac<T extends Parameters<EntryMacs["seal"]>[0]>(entry: T): Promise<T & { mac: string; mac_key: string }> {
		return { ...entry, ...(await this.macs.seal(entry)) };
	}

	/**
	 * How far behind the log may be: when the newest flush from a principal's object landed and how
	 * late its oldest entry arrived. Entries decided after `newestFlushAt` may still wait in their
	 * objects (flushed within seconds, or once D1 answers again).
	 */
	async flushLag(): Promise<{ newestFlushAt: number | null; newestFlushLagMs: number | null }> {
		const row = await classified(
			this.db
				.prepare("SELECT flushed_at, flushed_at - oldest_entry_at AS lag FROM audit_flushes ORDER BY flushed_at DESC LIMIT 1")
				.first<{ flushed_at: number; lag: number }>(),
		);
		return { newestFlushAt: row?.flushed_at ?? null, newestFlushLagMs: row?.lag ?? null };
	}

	/** The last sealed entry: what checkpoints sign and verification reaches. */
	async head(): Promise<Head> {
		const row = await this.db.prepare("SELECT seq, hash FROM audit_log WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1").first<Head>();
		return row ?? { seq: 0, hash: GENESIS_HASH };
	}

	/**
	 * Seals unsealed entries, in order, up to `maxPages` pages of SEAL_PAGE, and returns the sealed
	 * head and whether more are waiting. Stops at a gap (a deleted row) or a refused seal (a
	 * tampered row), leaving the rest for verification to report. D1 round trips: 1 + 2 per page (its
	 * read, and one statement of links).
	 */
	async sealSome(maxPages = SEAL_PAGES_PER_CALL): Promise<{ head: Head; more: boolean }> {
		const start = await this.head();
		const linked: LinkedHead[] = [];
		const judged: JudgedEntries = { firstSigned: null, failing: [] };
		/** Per page, the links to write: one statement each (SEAL_LINKS_FROM_JSON). */
		const writes: { s: number; p: string; h: string }[][] = [];
		let next = start;
		let more = false;
		for (let page = 0; page < maxPages; page++) {
			const pending = await this.toSeal(next.seq + 1, SEAL_PAGE);
			const updates: { s: number; p: string; h: string }[] = [];
			let stopped = false;
			for (const row of pending) {
				if (row.seq !== next.seq + 1 || row.hash !== null) {
					stopped = true;
					break;
				}
				const verdict = await this.macs.verdict(row);
				if (verdict === "valid") judged.firstSigned ??= row.seq;
				else judged.failing.push({ seq: row.seq, verdict, mac_key: row.mac_key });
				const hash = await entryHash({ ...row, prev_hash: next.hash });
				updates.push({ s: row.seq, p: next.hash, h: hash });
				next = { seq: row.seq, hash };
				linked.push({ ...next, mac: row.mac });
			}
			if (updates.length > 0) writes.push(updates);
			if (stopped || pending.length < SEAL_PAGE) break;
			more = page === maxPages - 1;
		}
		if (linked.length === 0) return { head: start, more: false };
		const afterWrite = await this.witness?.(start, linked, judged);
		for (const links of writes) await this.db.prepare(SEAL_LINKS_FROM_JSON).bind(JSON.stringify(links)).run();
		await afterWrite?.();
		return { head: next, more };
	}

	/** Seals as `sealSome` does (one bounded call) and returns the sealed head. */
	async seal(): Promise<Head> {
		return (await this.sealSome()).head;
	}

	/** Entries from `fromSeq` as the sealer judges them: with their outbox id and MAC. */
	private async toSeal(fromSeq: number, limit: number): Promise<(AuditEntry & { entry_id: string | null; mac: string | null; mac_key: string | null })[]> {
		const { results } = await this.db
			.prepare(`SELECT ${ALL_COLUMNS}, entry_id, mac, mac_key FROM audit_log WHERE seq >= ?1 ORDER BY seq LIMIT ?2`)
			.bind(fromSeq, limit)
			.all<AuditEntry & { entry_id: string | null; mac: string | null; mac_key: string | null }>();
		return results;
	}

	/** Entries in ascending order from `fromSeq`, for verification and export. */
	async range(fromSeq: number, limit: number, toSeq = Number.MAX_SAFE_INTEGER): Promise<AuditEntry[]> {
		const { results } = await this.db
			.prepare(`SELECT ${ALL_COLUMNS} FROM audit_log WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3`)
			.bind(fromSeq, toSeq, limit)
			.all<AuditEntry>();
		return results;
	}

	/** The sealed hashes at these seqs (one round trip, one bound parameter): verification's spot checks. */
	hashesAt(seqs: readonly number[]): Promise<Map<number, string | null>> {
		return this.columnAt("hash", seqs);
	}

	/** The MACs of the entries at these seqs (one round trip, one bound parameter): a seq absent from the map has no entry. */
	macsAt(seqs: readonly number[]): Promise<Map<number, string | null>> {
		return this.columnAt("mac", seqs);
	}

	private async columnAt(column: "hash" | "mac", seqs: readonly number[]): Promise<Map<number, string | null>> {
		if (seqs.length === 0) return new Map();
		const { results } = await this.db
			.prepare(`SELECT seq, ${column} AS value FROM audit_log WHERE seq IN (SELECT value FROM json_each(?1))`)
			.bind(JSON.stringify([...new Set(seqs)]))
			.all<{ seq: number; value: string | null }>();
		return new Map(results.map((row) => [row.seq, row.value]));
	}

	async entry(seq: number): Promise<AuditEntry | null> {
		return this.db.prepare(`SELECT ${ALL_COLUMNS} FROM audit_log WHERE seq = ?1`).bind(seq).first<AuditEntry>();
	}

	/** Newest first, filtered; `beforeSeq` is the cursor of the previous page. */
	async query(filter: AuditFilter, limit: number): Promise<AuditEntry[]> {
		const where: string[] = [];
		const binds: unknown[] = [];
		const add = (clause: string, value: unknown) => {
			binds.push(value);
			where.push(clause.replace("?", `?${binds.length}`));
		};
		if (filter.actor !== undefined) add("actor = ?", filter.actor);
		if (filter.recordId !== undefined) {
			binds.push(filter.recordId);
			where.push(`(record_id = ?${binds.length} OR seq IN (SELECT seq FROM audit_record_refs WHERE record_id = ?${binds.length}))`);
		}
		if (filter.kind !== undefined) add("kind = ?", filter.kind);
		if (filter.from !== undefined) add("at >= ?", filter.from);
		if (filter.to !== undefined) add("at < ?", filter.to);
		if (filter.beforeSeq !== undefined) add("seq < ?", filter.beforeSeq);
		binds.push(limit);
		const sql = `SELECT ${ALL_COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?${binds.length}`;
		const { results } = await this.db
			.prepare(sql)
			.bind(...binds)
			.all<AuditEntry>();
		return results;
	}
}

export interface AuditFilter {
	actor?: string;
	recordId?: string;
	kind?: string;
	from?: number;
	to?: number;
	beforeSeq?: number;
}
