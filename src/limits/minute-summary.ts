import type { AuditActor, AuditEvent } from "../audit/entry";

/**
 * Lookups, and refusals past the refusal budget, are audited as one entry per principal per minute
 * with counts and the records concerned (never a phone or a name): every lookup is in the chain,
 * and no client can make the chain grow faster than a few entries a minute. Pure.
 */
export interface MinuteSummary {
	minute: number;
	kind: "lookups.summarized" | "refusals.summarized";
	actor: AuditActor;
	counts: Record<string, number>;
	recordIds: string[];
	/** Records past MAX_RECORD_IDS, counted but not listed. */
	omitted: number;
}

const MINUTE_MS = 60_000;
/** Record ids one summary lists (and indexes for each record's history); the rest are counted. */
export const MAX_RECORD_IDS = 500;

export function minuteOf(now: number): number {
	return now - (now % MINUTE_MS);
}

/** Adds one occurrence to this minute's summary of its kind, opening one if needed. */
export function addToSummary(
	summaries: readonly MinuteSummary[],
	entry: { kind: MinuteSummary["kind"]; actor: AuditActor; counts: Record<string, number>; recordIds: readonly string[] },
	now: number,
): MinuteSummary[] {
	const minute = minuteOf(now);
	const next = summaries.map((summary) => ({ ...summary, counts: { ...summary.counts }, recordIds: [...summary.recordIds] }));
	let open = next.find((summary) => summary.minute === minute && summary.kind === entry.kind);
	if (!open) {
		open = { minute, kind: entry.kind, actor: entry.actor, counts: {}, recordIds: [], omitted: 0 };
		next.push(open);
	}
	// The latest role and depot: an employee who moved depot mid-minute is named where they are now.
	open.actor = entry.actor;
	for (const [name, count] of Object.entries(entry.counts)) open.counts[name] = (open.counts[name] ?? 0) + count;
	const listed = new Set(open.recordIds);
	for (const id of entry.recordIds) {
		if (listed.has(id)) continue;
		if (open.recordIds.length < MAX_RECORD_IDS) {
			open.recordIds.push(id);
			listed.add(id);
		} else open.omitted += 1;
	}
	return next;
}

/** Summaries of minutes that have ended (ready to audit), and those still open. */
export function closeSummaries(summaries: readonly MinuteSummary[], now: number): { closed: MinuteSummary[]; open: MinuteSummary[] } {
	const current = minuteOf(now);
	return { closed: summaries.filter((summary) => summary.minute < current), open: summaries.filter((summary) => summary.minute >= current) };
}

/** The audit event of a closed minute; dated at the minute's end. */
export function summaryEvent(summary: MinuteSummary): AuditEvent {
	return {
		kind: summary.kind,
		at: summary.minute + MINUTE_MS - 1,
		actor: summary.actor,
		recordId: null,
		details: {
			minute: new Date(summary.minute).toISOString(),
			...summary.counts,
			record_ids: summary.recordIds,
			...(summary.omitted > 0 ? { records_not_listed: summary.omitted } : {}),
		},
		...(summary.recordIds.length > 0 ? { recordIds: summary.recordIds } : {}),
	};
}

/** When the next open summary closes. */
export function nextClose(summaries: readonly MinuteSummary[]): number | null {
	if (summaries.length === 0) return null;
	return Math.min(...summaries.map((summary) => summary.minute)) + MINUTE_MS;
}
