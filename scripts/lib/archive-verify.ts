/**
 * Offline verification of the audit archive (the signed daily segments the vault writes to R2),
 * with nothing but the archive's objects and the vault's public keys. Written on its own, without
 * the vault's code, so an auditor can read every rule here; it runs in Node (scripts/verify-archive.ts)
 * and in workerd (the tests).
 */
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from "jose";

export interface ArchiveObject {
	/** The object's key in the bucket, e.g. `audit/2026-11-20/000000000001-000000001000.jsonl`. */
	key: string;
	body: string;
}

export interface ArchiveProblem {
	key: string;
	seq?: number;
	reason: string;
}

export interface ArchiveReport {
	ok: boolean;
	segments: number;
	entries: number;
	checkpoints: number;
	through_seq: number;
	problems: ArchiveProblem[];
}

export type Jwk = JWK & { kid?: string; alg?: string; retired_at?: string };

export interface Entry {
	seq: number;
	at: number;
	kind: string;
	actor: string | null;
	actor_issuer: string | null;
	actor_role: string | null;
	actor_depot: string | null;
	record_id: string | null;
	details: string;
	prev_hash: string;
	hash: string;
}

interface Statement {
	first_seq: number;
	last_seq: number;
	prev_hash: string;
	last_hash: string;
	entries: number;
	checkpoints: number;
	day: string;
	sha256: string;
	at: number;
}

const GENESIS = "genesis";

/** RFC 8785 (JCS) for the values entries hold: sorted keys, no whitespace, ECMAScript serialization. */
export function canonical(value: unknown): string {
	if (value === null || typeof value !== "object") return JSON.stringify(value);
	if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
	const record = value as Record<string, unknown>;
	return `{${Object.keys(record)
		.filter((key) => record[key] !== undefined)
		.sort()
		.map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`)
		.join(",")}}`;
}

function base64url(bytes: Uint8Array): string {
	let binary = "";
	for (const byte of bytes) binary += String.fromCharCode(byte);
	return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function sha256(text: string): Promise<string> {
	return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

/** An entry's hash: SHA-256 over the JCS of every column but `hash` (README "Audit"). */
export function entryHash(entry: Entry): Promise<string> {
	const { seq, at, kind, actor, actor_issuer, actor_role, actor_depot, record_id, details, prev_hash } = entry;
	return sha256(canonical({ seq, at, kind, actor, actor_issuer, actor_role, actor_depot, record_id, details, prev_hash }));
}

/**
 * A compact JWS of the vault's, checked with the key its `kid` names, that key's one algorithm,
 * the expected `typ`; a key with `retired_at` vouches for nothing dated (`at`) after it.
 */
export async function verifiedPayload(jws: string, jwks: readonly Jwk[], typ: string): Promise<{ payload: Record<string, unknown> } | { reason: string }> {
	let kid: string | undefined;
	try {
		kid = decodeProtectedHeader(jws).kid;
	} catch {
		return { reason: "not_a_jws" };
	}
	const jwk = jwks.find((key) => key.kid === kid);
	if (!jwk?.alg) return { reason: "unknown_key" };
	try {
		const { payload, protectedHeader } = await compactVerify(jws, await importJWK(jwk, jwk.alg), { algorithms: [jwk.alg] });
		if (protectedHeader.typ !== typ) return { reason: "wrong_type" };
		const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
		if (jwk.retired_at !== undefined && typeof claims.at === "number" && claims.at > Date.parse(jwk.retired_at)) return { reason: "signed_after_retirement" };
		return { payload: claims };
	} catch {
		return { reason: "bad_signature" };
	}
}

/**
 * Verifies every segment (`*.jsonl` with its `*.jws` beside it), in seq order:
 * - the segment's signature, and that it vouches for these exact bytes (SHA-256);
 * - every entry: seq one more than the one before, prev_hash the hash before, hash recomputed;
 * - the segment's first and last entries are those it vouches for, and each segment continues the
 *   one before it from entry 1 on;
 * - every checkpoint: its signature, the entry it vouches for, and its link to the checkpoint before.
 */
export async function verifyArchive(objects: readonly ArchiveObject[], jwks: { keys: readonly Jwk[] }): Promise<ArchiveReport> {
	const problems: ArchiveProblem[] = [];
	const bodies = new Map(objects.map((object) => [object.key, object.body]));
	const segments: { key: string; statement: Statement; body: string }[] = [];
	for (const { key, body } of objects) {
		if (!key.endsWith(".jsonl")) continue;
		const jws = bodies.get(key.replace(/\.jsonl$/, ".jws"));
		if (jws === undefined) {
			problems.push({ key, reason: "signature_missing" });
			continue;
		}
		const verdict = await verifiedPayload(jws.trim(), jwks.keys, "audit-segment+jws");
		if ("reason" in verdict) {
			problems.push({ key, reason: verdict.reason });
			continue;
		}
		const statement = verdict.payload as unknown as Statement;
		if (statement.sha256 !== (await sha256(body))) problems.push({ key, reason: "sha256_differs" });
		segments.push({ key, statement, body });
	}
	segments.sort((a, b) => a.statement.first_seq - b.statement.first_seq);

	let cursor = { seq: 0, hash: GENESIS };
	let lastCheckpoint: { seq: number; hash: string } | null = null;
	let entries = 0;
	let checkpoints = 0;
	for (const { key, statement, body } of segments) {
		if (statement.first_seq !== cursor.seq + 1 || statement.prev_hash !== cursor.hash) {
			problems.push({ key, seq: cursor.seq + 1, reason: "segment_missing" });
		}
		cursor = { seq: statement.first_seq - 1, hash: statement.prev_hash };
		const byseq = new Map<number, string>();
		const lines = body.split("\n").filter((line) => line.length > 0);
		let segmentEntries = 0;
		let segmentCheckpoints = 0;
		let broken = false;
		for (const line of lines) {
			let parsed: Record<string, unknown>;
			try {
				parsed = JSON.parse(line) as Record<string, unknown>;
			} catch {
				problems.push({ key, reason: "not_json_lines" });
				broken = true;
				break;
			}
			if ("checkpoint" in parsed) {
				segmentCheckpoints++;
				const line = parsed.checkpoint as { seq: number; hash: string; at: number; signature: string };
				const verdict = await verifiedPayload(line.signature, jwks.keys, "audit-checkpoint+jws");
				if ("reason" in verdict) {
					problems.push({ key, seq: line.seq, reason: `checkpoint_${verdict.reason}` });
					continue;
				}
				const claims = verdict.payload as { seq: number; hash: string; at: number; prev?: { seq: number; hash: string } | null };
				if (claims.seq !== line.seq || claims.hash !== line.hash || claims.at !== line.at)
					problems.push({ key, seq: line.seq, reason: "checkpoint_bad_signature" });
				else if (byseq.get(claims.seq) !== claims.hash) problems.push({ key, seq: claims.seq, reason: "checkpoint_hash_differs" });
				else if (claims.prev !== undefined) {
					const expected = claims.prev;
					if (expected !== null && (lastCheckpoint === null || lastCheckpoint.seq !== expected.seq || lastCheckpoint.hash !== expected.hash)) {
						problems.push({ key, seq: expected.seq, reason: "checkpoint_missing" });
					}
				}
				lastCheckpoint = { seq: line.seq, hash: line.hash };
				continue;
			}
			const entry = parsed as unknown as Entry;
			segmentEntries++;
			if (broken) continue;
			if (entry.seq !== cursor.seq + 1) {
				problems.push({ key, seq: cursor.seq + 1, reason: "missing_entry" });
				broken = true;
			} else if (entry.prev_hash !== cursor.hash) {
				problems.push({ key, seq: entry.seq, reason: "prev_hash_mismatch" });
				broken = true;
			} else if ((await entryHash(entry)) !== entry.hash) {
				problems.push({ key, seq: entry.seq, reason: "hash_mismatch" });
				broken = true;
			}
			if (broken) continue;
			byseq.set(entry.seq, entry.hash);
			cursor = { seq: entry.seq, hash: entry.hash };
		}
		if (!broken && (cursor.seq !== statement.last_seq || cursor.hash !== statement.last_hash)) problems.push({ key, seq: cursor.seq, reason: "end_differs" });
		if (segmentEntries !== statement.entries || segmentCheckpoints !== statement.checkpoints) problems.push({ key, reason: "count_differs" });
		entries += segmentEntries;
		checkpoints += segmentCheckpoints;
		cursor = { seq: statement.last_seq, hash: statement.last_hash };
	}
	return { ok: problems.length === 0, segments: segments.length, entries, checkpoints, through_seq: cursor.seq, problems };
}
