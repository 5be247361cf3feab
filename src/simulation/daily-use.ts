/** How much of a limit honest work used: the distribution of in-scope asks per employee and day. */
export interface DailyUse {
	/** Employee-days with any in-scope ask. */
	days: number;
	p50: number;
	p90: number;
	p99: number;
	max: number;
	/** The same over employees detection never flagged in the window (no honeytoken, no out-of-scope ask, no suspension). */
	honest: { days: number; p50: number; p90: number; p99: number; max: number };
	/**
	 * A daily limit above honest use: the larger of 1.25 × the honest p99 and the honest maximum,
	 * rounded up to a multiple of 10, so no honest day of the window would have been refused by it.
	 * Null without an honest day to judge by.
	 */
	suggestedDailyLimit: number | null;
}

/** The nearest-rank percentile (the smallest value with at least p% of values at or below it); 0 of nothing. */
export function percentile(sorted: readonly number[], p: number): number {
	if (sorted.length === 0) return 0;
	return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function summary(values: readonly number[]) {
	const sorted = [...values].sort((a, b) => a - b);
	return { days: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 };
}

/** Pure. */
export function dailyUse(all: readonly number[], honest: readonly number[]): DailyUse {
	const fair = summary(honest);
	const suggested = fair.days === 0 ? null : Math.ceil(Math.max(fair.p99 * 1.25, fair.max) / 10) * 10;
	return { ...summary(all), honest: fair, suggestedDailyLimit: suggested };
}
