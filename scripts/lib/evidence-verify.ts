/**
 * Offline verification of a leak report (`POST /v1/leaks/attribute` → `report`) against an audit
 * export (`GET /v1/audit/export`) and the vault's public keys. No Node-only imports: it runs in
 * Node (scripts/verify-evidence.ts) and in workerd (test/leaks.test.ts), and an auditor can read
 * every rule here without the vault's code. The entry hash and JWS checks are the archive's.
 */
import { type Entry, entryHash, type Jwk, verifiedPayload } from "./archive-verify.ts";

export const LEAK_REPORT_TYPE = "leak-report+jws";
const CHECKPOINT_TYPE = "audit-checkpoint+jws";

/** One page of `GET /v1/audit/export`, as it returns it. */
export interface AuditExportPage {
	entries: (Omit<Entry, "prev_hash" | "hash"> & { prev_hash: string | null; hash: string | null })[];
	checkpoints?: { seq: number; hash: string; at: number; signature: string }[];
	jwks?: { keys: Jwk[] };
}

export interface EvidenceProblem {
	/** `issuer subject` of the suspect whose evidence fails, when it is theirs. */
	suspect?: string;
	seq?: number;
	reason: string;
}

export interface EvidenceVerdict {
	ok: boolean;
	list?: { sha256: string; size: number };
	matched?: number;
	suspects: number;
	entries_checked: number;
	problems: EvidenceProblem[];
}

interface Cited {
	seq: number;
	hash: string | null;
}

interface ReportSuspect {
	issuer: string;
	subject: string;
	entries: Cited[];
	checkpoint: { seq: number; hash: string; at: number; signature: string } | null;
}

/**
 * Checks, in order:
 * - the report's signature: a key of `jwks` by its `kid`, that key's one algorithm, typ `leak-report+jws`;
 * - per suspect, every cited (seq, hash): the export holds the entry, with that hash, and the hash
 *   recomputes from the entry's content;
 * - the chain from the first cited entry to the covering checkpoint: no seq missing, every entry's
 *   prev_hash the hash before it, every hash recomputed, the checkpoint's hash the entry's at its seq;
 * - the checkpoint's own signature (typ `audit-checkpoint+jws`) and that it vouches for that seq and hash;
 * - the investigation's own `leak.attributed` entry, when the export holds it, names the list's hash
 *   (and, once sealed, its hash recomputes).
 */
export async function verifyEvidence(report: string, pages: readonly AuditExportPage[], jwks: { keys: readonly Jwk[] }): Promise<EvidenceVerdict> {
	const problems: EvidenceProblem[] = [];
	const verdict = await verifiedPayload(report.trim(), jwks.keys, LEAK_REPORT_TYPE);
	if ("reason" in verdict) return { ok: false, suspects: 0, entries_checked: 0, problems: [{ reason: `report_${verdict.reason}` }] };
	const payload = verdict.payload as { list: { sha256: string; size: number }; matched: number; suspects: ReportSuspect[]; audit_seq?: number };

	const entries = new Map(pages.flatMap((page) => page.entries).map((entry) => [entry.seq, entry]));
	const recomputed = new Map<number, boolean>();
	const recomputes = async (seq: number): Promise<boolean> => {
		const cached = recomputed.get(seq);
		if (cached !== undefined) return cached;
		const entry = entries.get(seq);
		const ok = entry !== undefined && entry.hash !== null && entry.prev_hash !== null && (await entryHash(entry as Entry)) === entry.hash;
		recomputed.set(seq, ok);
		return ok;
	};

	let checked = 0;
	for (const suspect of payload.suspects) {
		const who = `${suspect.issuer} ${suspect.subject}`;
		const fail = (reason: string, seq?: number) => problems.push({ suspect: who, ...(seq !== undefined ? { seq } : {}), reason });
		if (suspect.entries.length === 0) continue;
		const checkpoint = suspect.checkpoint;
		if (!checkpoint) {
			fail("checkpoint_missing");
			continue;
		}
		const signed = await verifiedPayload(checkpoint.signature, jwks.keys, CHECKPOINT_TYPE);
		if ("reason" in signed) fail(`checkpoint_${signed.reason}`, checkpoint.seq);
		else if (signed.payload.seq !== checkpoint.seq || signed.payload.hash !== checkpoint.hash) fail("checkpoint_claims_differ", checkpoint.seq);

		for (const cited of suspect.entries) {
			checked++;
			const entry = entries.get(cited.seq);
			if (!entry) fail("entry_missing_from_export", cited.seq);
			else if (entry.hash !== cited.hash) fail("hash_differs", cited.seq);
			else if (!(await recomputes(cited.seq))) fail("entry_edited", cited.seq);
			if (cited.seq > checkpoint.seq) fail("entry_after_checkpoint", cited.seq);
		}
		const first = Math.min(...suspect.entries.map((entry) => entry.seq));
		for (let seq = first; seq <= checkpoint.seq; seq++) {
			const entry = entries.get(seq);
			if (!entry) {
				fail("chain_entry_missing_from_export", seq);
				break;
			}
			if (!(await recomputes(seq))) fail("entry_edited", seq);
			if (seq > first && entry.prev_hash !== entries.get(seq - 1)?.hash) fail("chain_broken", seq);
		}
		if (entries.get(checkpoint.seq)?.hash !== checkpoint.hash) fail("checkpoint_differs", checkpoint.seq);
	}

	const own = payload.audit_seq !== undefined ? entries.get(payload.audit_seq) : undefined;
	// Appended after the evidence was read, the investigation's own entry may not be sealed yet in
	// an export taken at once: then there is no hash to check it by, only its content.
	if (own) {
		const details = JSON.parse(own.details) as { list_sha256?: unknown };
		if (own.kind !== "leak.attributed" || details.list_sha256 !== payload.list.sha256) problems.push({ seq: own.seq, reason: "attribution_entry_differs" });
		else if (own.hash !== null && !(await recomputes(own.seq))) problems.push({ seq: own.seq, reason: "entry_edited" });
	}
	const unique = problems.filter((problem, i) => problems.findIndex((other) => JSON.stringify(other) === JSON.stringify(problem)) === i);
	return {
		ok: unique.length === 0,
		list: payload.list,
		matched: payload.matched,
		suspects: payload.suspects.length,
		entries_checked: checked,
		problems: unique,
	};
}
