import { sha256 } from "../crypto/digest";
import { type SegmentStatement, signSegment } from "../crypto/segment-token";
import type { SigningKey } from "../crypto/signing-key";
import type { CheckpointStore } from "./checkpoints";
import { type AuditEntry, GENESIS_HASH } from "./entry";
import type { AuditLog } from "./log";
import { VERIFY_PAGE } from "./verify-budget";
import { verifyEntries } from "./verify-chain";
import type { ArchivedSegment, AuditWitness } from "./witness";

export type ArchiveWitness = Pick<DurableObjectStub<AuditWitness>, "lastSegment" | "archived">;

/** Entries per segment at most: a day with more is archived as several segments. */
export const MAX_SEGMENT_ENTRIES = 20_000;
/** Segments one hourly run writes at most: 100,000 entries, about 110 D1 round trips. */
const SEGMENTS_PER_RUN = 5;

const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const pad = (seq: number) => String(seq).padStart(12, "0");

/** Where a segment lives in the bucket: by day, then by seq range, so keys sort in chain order. */
export function segmentKey(day: string, firstSeq: number, lastSeq: number): string {
	return `audit/${day}/${pad(firstSeq)}-${pad(lastSeq)}.jsonl`;
}

/**
 * The segment's bytes: one line per entry exactly as stored (ascending seq), then one line
 * `{"checkpoint": {...}}` per checkpoint inside the segment. JSON Lines, UTF-8, "\n" after each.
 */
export function segmentBody(entries: readonly AuditEntry[], checkpoints: readonly { seq: number; hash: string; at: number; signature: string }[]): string {
	const lines = entries.map((entry) => JSON.stringify(entry));
	for (const { seq, hash, at, signature } of checkpoints) lines.push(JSON.stringify({ checkpoint: { seq, hash, at, signature } }));
	return `${lines.join("\n")}\n`;
}

export interface ArchiveRun {
	written: ArchivedSegment[];
	/** Why the run stopped before archiving everything of the past days, if it did. */
	stopped: string | null;
}

/**
 * Writes the sealed entries of past UTC days to R2 as signed segments, continuing after the last
 * segment the witness recorded (the witness, not D1, says where the archive ends). A segment ends
 * at a checkpoint signed before the day ended (the hourly checkpoint makes one each hour), so
 * its last hash is vouched for twice. Only a chain that verifies is archived. An object is never
 * overwritten: in production the bucket's lock refuses that anyway (README "Audit archive").
 */
export async function archivePastDays(
	log: AuditLog,
	checkpoints: CheckpointStore,
	witness: ArchiveWitness,
	bucket: R2Bucket,
	key: SigningKey,
	now: number,
): Promise<ArchiveRun> {
	const written: ArchivedSegment[] = [];
	const last = await witness.lastSegment();
	let from = (last?.last_seq ?? 0) + 1;
	let prevHash = last?.last_hash ?? GENESIS_HASH;
	const today = Math.floor(now / DAY_MS) * DAY_MS;
	for (let run = 0; run < SEGMENTS_PER_RUN; run++) {
		const candidates = (await checkpoints.list(from, from + MAX_SEGMENT_ENTRIES - 1)).filter((checkpoint) => checkpoint.at < today);
		const first = candidates[0];
		if (!first) break;
		const day = utcDay(first.at);
		const otherDay = candidates.findIndex((checkpoint) => utcDay(checkpoint.at) !== day);
		const inSegment = otherDay === -1 ? candidates : candidates.slice(0, otherDay);
		const end = inSegment.at(-1) ?? first;
		const entries: AuditEntry[] = [];
		for (let seq = from; seq <= end.seq; seq += VERIFY_PAGE) entries.push(...(await log.range(seq, VERIFY_PAGE, end.seq)));
		const verdict = await verifyEntries(entries, { nextSeq: from, prevHash });
		if ("broken" in verdict) return { written, stopped: `entry ${verdict.broken.seq}: ${verdict.broken.reason}` };
		if (verdict.cursor.nextSeq !== end.seq + 1 || verdict.cursor.prevHash !== end.hash)
			return { written, stopped: `checkpoint ${end.seq} does not match the chain` };

		const body = segmentBody(entries, inSegment);
		const statement: SegmentStatement = {
			first_seq: from,
			last_seq: end.seq,
			prev_hash: prevHash,
			last_hash: end.hash,
			entries: entries.length,
			checkpoints: inSegment.length,
			day,
			sha256: await sha256(body),
			at: now,
		};
		const objectKey = segmentKey(day, from, end.seq);
		const existing = await bucket.head(objectKey);
		if (existing && existing.customMetadata?.sha256 !== statement.sha256) return { written, stopped: `${objectKey} exists with other content` };
		if (!existing) {
			await bucket.put(objectKey, body, { httpMetadata: { contentType: "application/x-ndjson" }, customMetadata: { sha256: statement.sha256 } });
		}
		// After a crash between the two writes, a retry signs the same statement again (only `at`
		// differs); a signature already written stays.
		const signatureKey = objectKey.replace(/\.jsonl$/, ".jws");
		if (!(await bucket.head(signatureKey))) {
			await bucket.put(signatureKey, await signSegment(key, statement), { httpMetadata: { contentType: "application/jose" } });
		}
		const segment: ArchivedSegment = {
			first_seq: from,
			last_seq: end.seq,
			prev_hash: prevHash,
			last_hash: end.hash,
			day,
			key: objectKey,
			sha256: statement.sha256,
			at: now,
		};
		if (!(await witness.archived(segment))) return { written, stopped: "another run archived this segment first" };
		written.push(segment);
		from = end.seq + 1;
		prevHash = end.hash;
	}
	return { written, stopped: null };
}
