import { type AuditEntry, type AuditEvent, entryFor, GENESIS_HASH, seal } from "./entry";

interface Head {
	seq: number;
	hash: string;
}

/** The chain head last seen by this isolate, per database: usually right, so appends skip a read. */
const knownHeads = new Map<string, Head>();

const MAX_APPEND_ATTEMPTS = 30;

/** The database refused an entry that did not extend the head it has now. */
function isStaleHead(error: unknown): boolean {
	const message = error instanceof Error ? error.message : "";
	return message.includes("audit_chain_stale_head") || message.includes("UNIQUE constraint failed: audit_log.seq");
}

export class AuditUnavailableError extends Error {
	constructor(options?: ErrorOptions) {
		super("the audit log could not be appended to", options);
		this.name = "AuditUnavailableError";
	}
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
	/** The entry written, or null when `onlyIfChanged` found nothing changed. */
	entry: AuditEntry | null;
}

const INSERT_COLUMNS = "seq, at, kind, actor, actor_issuer, actor_role, actor_depot, record_id, details, prev_hash, hash";

/**
 * The hash-chained audit log in D1. An append runs in the same D1 batch (one transaction) as the
 * change it records, so a change and its entry land together or not at all. Concurrent appends
 * race optimistically on the head: the database's trigger refuses any entry that does not extend
 * the current head, and the loser re-reads the head and tries again. No forks, no gaps.
 */
export class AuditLog {
	constructor(
		private readonly db: D1Database,
		private readonly name = "default",
		/** Runs after each entry lands (the checkpoint schedule); its failures are its own to report. */
		private readonly onAppended?: (entry: AuditEntry) => Promise<void>,
	) {}

	async head(): Promise<Head> {
		const row = await this.db.prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").first<Head>();
		return row ?? { seq: 0, hash: GENESIS_HASH };
	}

	async appendWith(event: AuditEvent, statements: D1PreparedStatement[] = [], options: AppendOptions = {}): Promise<AppendResult> {
		let head = knownHeads.get(this.name) ?? (await this.head());
		for (let attempt = 1; ; attempt++) {
			const entry = await seal(entryFor(event, head.seq + 1, head.hash));
			const values = [
				entry.seq,
				entry.at,
				entry.kind,
				entry.actor,
				entry.actor_issuer,
				entry.actor_role,
				entry.actor_depot,
				entry.record_id,
				entry.details,
				entry.prev_hash,
				entry.hash,
			];
			const insert = options.onlyIfChanged
				? this.db.prepare(`INSERT INTO audit_log (${INSERT_COLUMNS}) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 WHERE changes() > 0`).bind(...values)
				: this.db.prepare(`INSERT INTO audit_log (${INSERT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)`).bind(...values);
			try {
				const results = await this.db.batch([...statements, insert]);
				const appended = (results.at(-1)?.meta.changes ?? 0) > 0;
				if (appended) {
					knownHeads.set(this.name, { seq: entry.seq, hash: entry.hash });
					await this.onAppended?.(entry);
				}
				return { results: results.slice(0, -1), entry: appended ? entry : null };
			} catch (error) {
				if (!isStaleHead(error)) throw error;
				if (attempt >= MAX_APPEND_ATTEMPTS) throw new AuditUnavailableError({ cause: error });
				knownHeads.delete(this.name);
				// Spread the retries of a crowd of appenders over a few milliseconds.
				await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 10)));
				head = await this.head();
			}
		}
	}

	append(event: AuditEvent): Promise<AppendResult> {
		return this.appendWith(event);
	}

	/** Entries in ascending order from `fromSeq`, for verification and export. */
	async range(fromSeq: number, limit: number, toSeq = Number.MAX_SAFE_INTEGER): Promise<AuditEntry[]> {
		const { results } = await this.db
			.prepare(`SELECT ${INSERT_COLUMNS} FROM audit_log WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3`)
			.bind(fromSeq, toSeq, limit)
			.all<AuditEntry>();
		return results;
	}

	async entry(seq: number): Promise<AuditEntry | null> {
		return this.db.prepare(`SELECT ${INSERT_COLUMNS} FROM audit_log WHERE seq = ?1`).bind(seq).first<AuditEntry>();
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
		if (filter.recordId !== undefined) add("record_id = ?", filter.recordId);
		if (filter.kind !== undefined) add("kind = ?", filter.kind);
		if (filter.from !== undefined) add("at >= ?", filter.from);
		if (filter.to !== undefined) add("at < ?", filter.to);
		if (filter.beforeSeq !== undefined) add("seq < ?", filter.beforeSeq);
		binds.push(limit);
		const sql = `SELECT ${INSERT_COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?${binds.length}`;
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
