import { type AuditEntry, entryHash, GENESIS_HASH } from "./entry";

export type ChainBreak =
	| { seq: number; reason: "missing_entry"; detail: string }
	| { seq: number; reason: "prev_hash_mismatch"; detail: string }
	| { seq: number; reason: "hash_mismatch"; detail: string }
	| { seq: number; reason: "unsealed"; detail: string };

export interface ChainCursor {
	/** The seq the next entry must have. */
	nextSeq: number;
	/** The hash the next entry must name as prev_hash. */
	prevHash: string;
}

export const CHAIN_START: ChainCursor = { nextSeq: 1, prevHash: GENESIS_HASH };

/**
 * Checks a page of entries (ascending seq) against the chain so far and returns the cursor after
 * it, or the first broken link: a gap (deleted row), a prev_hash that does not name the entry
 * before (reordered or inserted row), or a hash that does not match the content (edited row).
 */
export async function verifyEntries(entries: readonly AuditEntry[], from: ChainCursor): Promise<{ cursor: ChainCursor } | { broken: ChainBreak }> {
	let cursor = from;
	for (const entry of entries) {
		if (entry.seq !== cursor.nextSeq) {
			return { broken: { seq: cursor.nextSeq, reason: "missing_entry", detail: `expected entry ${cursor.nextSeq}, found ${entry.seq}` } };
		}
		if (entry.hash === null || entry.prev_hash === null) {
			return { broken: { seq: entry.seq, reason: "unsealed", detail: `entry ${entry.seq} could not be sealed onto the chain` } };
		}
		if (entry.prev_hash !== cursor.prevHash) {
			return { broken: { seq: entry.seq, reason: "prev_hash_mismatch", detail: `entry ${entry.seq} does not follow entry ${entry.seq - 1}` } };
		}
		if ((await entryHash({ ...entry, prev_hash: entry.prev_hash })) !== entry.hash) {
			return { broken: { seq: entry.seq, reason: "hash_mismatch", detail: `entry ${entry.seq} was changed after it was written` } };
		}
		cursor = { nextSeq: entry.seq + 1, prevHash: entry.hash };
	}
	return { cursor };
}
