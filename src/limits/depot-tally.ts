/**
 * A depot's reveals of the last 24 hours in one-minute buckets: a fixed-size tally however busy
 * the depot, for the depot-level budget. Pure, like the per-principal decision.
 */
export interface DepotTally {
	/** [minute start in ms, reveals in that minute], ascending. */
	minutes: [number, number][];
}

export const EMPTY_TALLY: DepotTally = { minutes: [] };
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Counts one more reveal; `crossed` is true only for the reveal that takes the depot over budget. */
export function tallyReveal(tally: DepotTally, now: number, budget: number): { next: DepotTally; count: number; crossed: boolean } {
	const minute = now - (now % MINUTE_MS);
	const minutes = tally.minutes.filter(([start]) => start > now - DAY_MS).map(([start, n]) => [start, n] as [number, number]);
	const before = minutes.reduce((sum, [, n]) => sum + n, 0);
	const last = minutes.at(-1);
	if (last && last[0] === minute) last[1] += 1;
	else minutes.push([minute, 1]);
	return { next: { minutes }, count: before + 1, crossed: before <= budget && before + 1 > budget };
}
