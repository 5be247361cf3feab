import { env } from "cloudflare:workers";
import type { AuditEntry } from "../../src/audit/entry";
import { entryHash } from "../../src/audit/entry";

/** The audit tables' triggers exactly as the migrations create them. */
const AUDIT_TRIGGERS = env.TEST_MIGRATIONS.flatMap((migration) => migration.queries).filter((query) => /CREATE TRIGGER audit_/.test(query));
const triggerName = (query: string) => (/CREATE TRIGGER (\w+)/.exec(query) as RegExpExecArray)[1] as string;

/**
 * What someone with raw access to D1 (its console, or `wrangler d1 execute`) can do and the worker
 * cannot stop: drop the append-only triggers, change rows with plain SQL, put the triggers back.
 */
export async function asDba<T>(tamper: () => Promise<T>): Promise<T> {
	if (AUDIT_TRIGGERS.length < 5) throw new Error("expected the audit triggers of the migrations");
	await env.DB.batch(AUDIT_TRIGGERS.map((query) => env.DB.prepare(`DROP TRIGGER IF EXISTS ${triggerName(query)}`)));
	try {
		return await tamper();
	} finally {
		await env.DB.batch(AUDIT_TRIGGERS.map((query) => env.DB.prepare(query)));
	}
}

const COLUMNS = ["seq", "at", "kind", "actor", "actor_issuer", "actor_role", "actor_depot", "record_id", "details", "prev_hash", "hash"] as const;

export const insertEntry = (row: AuditEntry) =>
	env.DB.prepare(`INSERT INTO audit_log (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map((_, i) => `?${i + 1}`).join(", ")})`).bind(
		...COLUMNS.map((column) => row[column]),
	);

export interface CheckpointRow {
	seq: number;
	hash: string;
	at: number;
	signature: string;
}

export const insertCheckpoint = (row: CheckpointRow) =>
	env.DB.prepare("INSERT INTO audit_checkpoints (seq, hash, at, signature) VALUES (?1, ?2, ?3, ?4)").bind(row.seq, row.hash, row.at, row.signature);

export async function entriesFrom(seq: number): Promise<AuditEntry[]> {
	return (await env.DB.prepare("SELECT * FROM audit_log WHERE seq >= ?1 ORDER BY seq").bind(seq).all<AuditEntry>()).results;
}

export async function checkpointsFrom(seq: number): Promise<CheckpointRow[]> {
	return (await env.DB.prepare("SELECT seq, hash, at, signature FROM audit_checkpoints WHERE seq >= ?1 ORDER BY seq").bind(seq).all<CheckpointRow>()).results;
}

/** Renumbers rows from `firstSeq` and recomputes every hash from `prevHash`, as a careful forger would. */
export async function rechain(rows: readonly AuditEntry[], firstSeq: number, prevHash: string): Promise<AuditEntry[]> {
	const out: AuditEntry[] = [];
	let prev = prevHash;
	for (const [i, row] of rows.entries()) {
		const moved = { ...row, seq: firstSeq + i, prev_hash: prev };
		const hash = await entryHash({ ...moved, prev_hash: prev });
		out.push({ ...moved, hash });
		prev = hash;
	}
	return out;
}

/** Puts entries and checkpoints from `seq` on back exactly as they were. */
export async function restoreFrom(seq: number, entries: readonly AuditEntry[], checkpoints: readonly CheckpointRow[]): Promise<void> {
	await asDba(() =>
		env.DB.batch([
			env.DB.prepare("DELETE FROM audit_log WHERE seq >= ?1").bind(seq),
			env.DB.prepare("DELETE FROM audit_checkpoints WHERE seq >= ?1").bind(seq),
			...entries.map(insertEntry),
			...checkpoints.map(insertCheckpoint),
		]),
	);
}
