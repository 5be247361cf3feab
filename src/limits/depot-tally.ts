/**
 * A depot's reveals of the last 24 hours in one-minute buckets: a fixed-size tally however busy
 * the depot, for the depot-level budget. Pure, like the per-principal decision.
 */
export interface DepotTally {
	/** [minute start in ms, reveals in that minute], ascending. */
	minutes: [number, number][];
	/** When the over-budget alert was last raised. */
	alertedAt?: number | null;
}

export const EMPTY_TALLY: DepotTally = { minutes: [], alertedAt: null };
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Counts `reveals` more reveals (one, or a few an isolate gathered). `crossed` is true when the depot is over budget and no alert was raised
 * in the last 24 hours: once per day however the budget moves (lowered below the count, or read
 * from a policy cache a few seconds old).
 */
export function tallyReveal(tally: DepotTally, now: number, budget: number, reveals = 1): { next: DepotTally; count: number; crossed: boolean } {
	const minute = now - (now % MINUTE_MS);
	const minutes = tally.minutes.filter(([start]) => start > now - DAY_MS).map(([start, n]) => [start, n] as [number, number]);
	const last = minutes.at(-1);
	if (last && last[0] === minute) last[1] += reveals;
	else minutes.push([minute, reveals]);
	const count = minutes.reduce((sum, [, n]) => sum + n, 0);
	const alertedAt = tally.alertedAt ?? null;
	const crossed = count > budget && (alertedAt === null || alertedAt <= now - DAY_MS);
	return { next: { minutes, alertedAt: crossed ? now : alertedAt }, count, crossed };
}
