import { canonicalJson } from "../audit/canonical-json";
import type { StoredCheckpoint } from "../audit/checkpoints";
import type { AuditActor } from "../audit/entry";
import { FORGED_ENTRIES_READ } from "../audit/forged-entries";
import type { AuditLog } from "../audit/log";
import { phoneIndexCandidates } from "../crypto/blind-index";
import { sha256 } from "../crypto/digest";
import { signLeakReport } from "../crypto/evidence-token";
import type { Keyring } from "../crypto/keyring";
import type { SigningKey } from "../crypto/signing-key";
import { ProblemError } from "../http/problem";
import { wireTime } from "../http/wire-time";
import { normalizePhone } from "../records/phone";
import type { LeakStore, MatchedRow } from "./leak-store";
import type { AttributeInput, AttributionView } from "./schemas";
import { HOLD_KINDS, MAX_SUSPECTS, REVEAL_KINDS, REVEALED_KIND, rankSuspects, type Suspect } from "./suspects";

/** Seal calls before reading the audit (2,000 entries and 21 round trips each): the unsealed tail is short. */
const SEAL_CALLS = 5;

export interface AttributeDeps {
	keyring: Keyring;
	store: LeakStore;
	audit: AuditLog;
	signingKey: SigningKey;
	employeeIssuer: string;
	/** Signs a checkpoint of the sealed head (README "Audit"), for evidence newer than the last one. */
	checkpointHead: () => Promise<void>;
	/** The entries the audit witness judged forged as they were sealed (at most FORGED_ENTRIES_READ). */
	forgedEntries: () => Promise<number[]>;
}

/**
 * Traces a leaked list to the principals who revealed its records (README "Tracing a leak").
 *
 * The list lives only in this request's memory: phones become blind-index values, the list a
 * SHA-256; the answer, the report and the audit entry hold record ids, counts and audit seqs.
 */
export async function attributeLeak(deps: AttributeDeps, input: AttributeInput, actor: AuditActor, now: number): Promise<AttributionView> {
	const from = now - input.days * 86_400_000;
	const listSha256 = await sha256(canonicalJson(input.names ? { phones: input.phones, names: input.names } : { phones: input.phones }));

	// Each distinct number once, under every key of the ring: a record indexed before a rotation still matches.
	const normalized = input.phones.map(normalizePhone);
	const byIndex = new Map<string, string>();
	for (const phone of new Set(normalized)) {
		if (phone === null) continue;
		for (const value of await phoneIndexCandidates(deps.keyring, phone)) byIndex.set(value, phone);
	}
	const rows = await deps.store.recordsByIndex([...byIndex.keys()]);
	const found = new Set(rows.map((row) => byIndex.get(row.phone_index)));
	const matched = normalized.filter((phone) => phone !== null && found.has(phone)).length;
	const real = dedupe(rows.filter((row) => !row.honeytoken));
	const traps = dedupe(rows.filter((row) => row.honeytoken));

	await sealTail(deps.audit);
	// An entry written with SQL (no MAC the vault wrote) is linked like any other, but it never makes
	// anyone a suspect: neither cited nor counted. Judged as it was sealed; sealed just above.
	const forged = await deps.forgedEntries();
	if (forged.length >= FORGED_ENTRIES_READ) {
		throw new ProblemError("dependency-unavailable", { detail: "The audit log holds too many forged entries to leave out; it is not fit to be evidence." });
	}
	const ids = real.map((row) => row.id);
	const skipped = new Set(forged);
	const entries = (await deps.store.entriesAbout(ids, [...REVEAL_KINDS, ...HOLD_KINDS], from, now)).filter((entry) => !skipped.has(entry.seq));
	const revealers = [...new Set(entries.flatMap((entry) => ((REVEAL_KINDS as readonly string[]).includes(entry.kind) && entry.actor ? [entry.actor] : [])))];
	const [activity, population] = await Promise.all([deps.store.activity(revealers, REVEALED_KIND, from, now, forged), deps.store.recordsPerDepot(from, now)]);
	const suspects = rankSuspects({ records: real, entries, activity, population, employeeIssuer: deps.employeeIssuer }).slice(0, MAX_SUSPECTS);

	if (suspects.some((suspect) => suspect.entries.some((entry) => entry.hash === null))) {
		throw new ProblemError("dependency-unavailable", { detail: "Audit entries behind the figures are not sealed yet; try again in a minute." });
	}
	const checkpoints = await coveringCheckpoints(deps, suspects);

	const depots = countBy(real.map((row) => row.depot));
	const honeytokens = traps.map((row) => ({
		record_id: row.id,
		depot: row.honeytoken_depot,
		for: row.for_subject !== null ? { issuer: row.for_issuer ?? deps.employeeIssuer, subject: row.for_subject } : null,
	}));
	const list = { sha256: listSha256, size: input.phones.length, unreadable: normalized.filter((phone) => phone === null).length };
	const { seq } = await deps.audit.append({
		kind: "leak.attributed",
		at: now,
		actor,
		recordId: null,
		details: {
			list_sha256: list.sha256,
			list_size: list.size,
			matched,
			records: real.length,
			honeytokens: honeytokens.map((hit) => hit.record_id),
			suspects: suspects.filter((suspect) => suspect.revealed > 0 || suspect.held > 0).map(({ issuer, subject }) => ({ issuer, subject })),
			days: input.days,
			source: input.source ?? null,
		},
		recordIds: [...ids, ...honeytokens.map((hit) => hit.record_id)],
	});
	if (seq === null) throw new Error("leak.attributed was not appended");

	const report = await signLeakReport(deps.signingKey, {
		at: now,
		period: { from, to: now },
		source: input.source ?? null,
		list: { sha256: list.sha256, size: list.size },
		matched,
		record_ids: ids,
		honeytokens,
		suspects: suspects.map((suspect) => ({
			issuer: suspect.issuer,
			subject: suspect.subject,
			kind: suspect.kind,
			role: suspect.role ?? null,
			revealed: suspect.revealed,
			held: suspect.held,
			touched: suspect.touched,
			population: suspect.population,
			draws: suspect.draws,
			score: suspect.score,
			entries: suspect.entries,
			checkpoint: checkpoints.get(suspect) ?? null,
		})),
		audit_seq: seq,
	});
	return {
		list,
		matched,
		records: real.length,
		honeytokens,
		suspects: suspects.map(({ entries: _entries, ...view }) => view),
		depots: [...depots].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([depot, count]) => ({ depot, matched: count })),
		period: { from: wireTime(from), to: wireTime(now) },
		audit_seq: seq,
		report,
	};
}

/** The checkpoint covering each suspect's newest cited entry; one is signed now if the evidence is newer than the last. */
async function coveringCheckpoints(deps: AttributeDeps, suspects: Suspect[]): Promise<Map<Suspect, StoredCheckpoint>> {
	const newest = new Map(suspects.flatMap((suspect) => (suspect.entries.length > 0 ? [[suspect, suspect.entries.at(-1)?.seq as number] as const] : [])));
	if (newest.size === 0) return new Map();
	let covering = await deps.store.coveringCheckpoints([...newest.values()]);
	if ([...newest.values()].some((seq) => !covering.has(seq))) {
		await deps.checkpointHead();
		covering = await deps.store.coveringCheckpoints([...newest.values()]);
	}
	const out = new Map<Suspect, StoredCheckpoint>();
	for (const [suspect, seq] of newest) {
		const checkpoint = covering.get(seq);
		if (!checkpoint) throw new ProblemError("dependency-unavailable", { detail: "No signed checkpoint covers the evidence yet; try again in a minute." });
		out.set(suspect, { seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at, signature: checkpoint.signature });
	}
	return out;
}

/**
 * Seals the unsealed tail so the evidence has hashes. A seal that fails (the witness unreachable)
 * is not this request's failure: the figures are still read, and entries left unsealed make the
 * answer a 503 to retry, never a report citing entries without a hash.
 */
async function sealTail(audit: AuditLog): Promise<void> {
	try {
		for (let call = 0; call < SEAL_CALLS; call++) if (!(await audit.sealSome()).more) return;
	} catch (error) {
		console.error(JSON.stringify({ event: "leak_attribution_seal_failed", name: (error as Error).name }));
	}
}

function dedupe(rows: MatchedRow[]): MatchedRow[] {
	return [...new Map(rows.map((row) => [row.id, row])).values()];
}

function countBy(values: string[]): Map<string, number> {
	const counts = new Map<string, number>();
	for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
	return counts;
}
