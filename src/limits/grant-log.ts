import type { LimiterState } from "./decide";
import { deepFreeze } from "./deep-freeze";

export type Grant = LimiterState["grants"][number];

interface GrantRow extends Record<string, SqlStorageValue> {
	seq: number;
	at: number;
	record_id: string;
	flags: number;
}

const CASE = 1;
const PHONE = 2;

/**
 * A principal's reveal grants of the last 24 hours, one row each in its limiter object's SQL
 * storage, and in memory as last read or written (the object is the one writer of its storage).
 * A grant costs one insert and an expiry one range delete: the day's grants are never written
 * again as a whole. Kept in the object's `state`, they were rewritten and frozen on every ask,
 * granted or not: measured in workerd, an ask with 5,000 grants of the day took about 18 ms
 * against 8 with none; with this table, about 12 (the rules still read every grant).
 *
 * The rules (`apply`) make the next list from the last one, dropping grants and adding new ones
 * at its end; `save` writes the difference, matched by identity.
 */
export class GrantLog {
	private known: readonly Grant[] | null = null;
	/** Each grant's row, for the ones in `known`. */
	private readonly seqOf = new WeakMap<Grant, number>();

	constructor(private readonly sql: SqlStorage) {
		sql.exec("CREATE TABLE IF NOT EXISTS reveal_grants (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, record_id TEXT NOT NULL, flags INTEGER NOT NULL)");
	}

	/** The grants, oldest first. */
	all(): readonly Grant[] {
		if (this.known === null) {
			const rows = this.sql.exec<GrantRow>("SELECT seq, at, record_id, flags FROM reveal_grants ORDER BY seq").toArray();
			this.known = deepFreeze(rows.map((row) => this.remember(grantOf(row), row.seq)));
		}
		return this.known;
	}

	/**
	 * Stores `next`: the grants of `all()` it still holds stay as they are, the ones it dropped
	 * are deleted, and the ones it added are inserted in their order. Call inside the transaction
	 * that commits the decision.
	 */
	save(next: readonly Grant[]): void {
		const current = this.all();
		if (next === current) return;
		const tail = keptTail(current, next);
		let isNew: (grant: Grant, index: number) => boolean;
		if (tail !== null) {
			// The usual shape, found without sets of the day's grants: the oldest dropped (one range), new ones after the rest.
			if (tail < current.length) this.deleteThrough(current[current.length - tail - 1] as Grant);
			isNew = (_grant, index) => index >= tail;
		} else {
			const kept = new Set(next);
			const dropped = current.filter((grant) => !kept.has(grant));
			const oldestKept = current.findIndex((grant) => kept.has(grant));
			if (oldestKept === -1 || oldestKept === dropped.length) {
				if (dropped.length > 0) this.deleteThrough(dropped.at(-1) as Grant);
			} else {
				// No rule drops a grant from the middle today; if one does, row by row.
				for (const grant of dropped) this.sql.exec("DELETE FROM reveal_grants WHERE seq = ?", this.rowOf(grant));
			}
			const had = new Set(current);
			isNew = (grant) => !had.has(grant);
		}
		this.known = deepFreeze(next.map((grant, index) => (isNew(grant, index) ? this.insert(grant) : grant)));
	}

	/** Deletes `grant`'s row and every older one. */
	private deleteThrough(grant: Grant): void {
		this.sql.exec("DELETE FROM reveal_grants WHERE seq <= ?", this.rowOf(grant));
	}

	/** A grant this log did not read or store has no row to name: the decision fails (and rolls back) rather than leave a row behind. */
	private rowOf(grant: Grant): number {
		const seq = this.seqOf.get(grant);
		if (seq === undefined) throw new Error("grant-log: a dropped grant that this log never stored");
		return seq;
	}

	private insert(grant: Grant): Grant {
		const { seq } = this.sql
			.exec<{ seq: number }>(
				"INSERT INTO reveal_grants (at, record_id, flags) VALUES (?, ?, ?) RETURNING seq",
				grant.at,
				grant.recordId,
				(grant.case ? CASE : 0) | (grant.phone ? PHONE : 0),
			)
			.one();
		return this.remember({ ...grant }, seq);
	}

	/** Storage was rolled back (or may have been): read the grants again. */
	forget(): void {
		this.known = null;
	}

	private remember(grant: Grant, seq: number): Grant {
		this.seqOf.set(grant, seq);
		return deepFreeze(grant);
	}
}

/**
 * How many of `current`'s newest grants `next` begins with, when those are all it keeps of them
 * (the oldest dropped, anything new after them); null for any other shape.
 */
function keptTail(current: readonly Grant[], next: readonly Grant[]): number | null {
	if (current.length === 0) return 0;
	const start = next.length > 0 ? current.indexOf(next[0] as Grant) : -1;
	if (start === -1) return null;
	const tail = current.length - start;
	if (tail > next.length) return null;
	for (let index = 0; index < tail; index++) if (next[index] !== current[start + index]) return null;
	return tail;
}

function grantOf(row: GrantRow): Grant {
	return {
		at: row.at,
		recordId: row.record_id,
		...(row.flags & CASE ? { case: true as const } : {}),
		...(row.flags & PHONE ? { phone: true as const } : {}),
	};
}
