import { principalKey, type WorkDay } from "./work-day";

export interface WorkRatioSettings {
	/** The percentile of peers' daily ratios (same role, same depot, the window's earlier days) to exceed. */
	percentile: number;
	/** And at least this multiple of their median. */
	medianMultiple: number;
	/** Days of history the peers' ratios come from. */
	historyDays: number;
	/** Fewer peer-days than this, or fewer reveals than `minReveals` in the last 24 hours: no judgement. */
	minSamples: number;
	minReveals: number;
}

export interface WorkRatioOutlier {
	issuer: string;
	subject: string;
	role: string;
	depot: string | null;
	/** Which rate stands out: reveals per leg, or calls per leg. */
	metric: WorkMetric;
	/** That rate in the last 24 hours. */
	ratio: number;
	reveals: number;
	calls: number;
	legs: number;
	peerPercentile: number;
	peerMedian: number;
	peerSamples: number;
}

/** What is set against the legs held: reveals and calls are judged apart, as their normal rates differ a hundredfold. */
export const WORK_METRICS = ["reveals", "calls"] as const;
export type WorkMetric = (typeof WORK_METRICS)[number];

/** Reveals (or calls) per leg held; a day with some and no leg counts as that many per (one) leg. */
export const workRatio = (day: WorkDay, metric: WorkMetric = "reveals") => day[metric] / Math.max(1, day.legs);

/** The p-th percentile (0–100) by nearest rank (the smallest value at or above p% of the samples). */
export function percentile(sorted: readonly number[], p: number): number {
	if (sorted.length === 0) return Number.NaN;
	const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
	return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/**
 * Reveals should follow the work: a courier with 40 parcels reveals about as much as colleagues
 * with 40 parcels. Someone revealing far more per leg held than their peers (same role at the same
 * depot over the last two weeks) is taking more than the work needs, however far under every
 * limit. Peers' earlier days form the yardstick; the principal's own last 24 hours are judged
 * against it. Pure.
 */
export function workRatioOutliers(days: readonly WorkDay[], settings: WorkRatioSettings): WorkRatioOutlier[] {
	const groupOf = (day: WorkDay) => `${day.role}\n${day.depot ?? ""}`;
	const outliers: WorkRatioOutlier[] = [];
	for (const metric of WORK_METRICS) {
		const history = new Map<string, number[]>();
		for (const day of days) {
			if (day.day === 0 || day.day >= settings.historyDays || day[metric] === 0) continue;
			history.set(groupOf(day), [...(history.get(groupOf(day)) ?? []), workRatio(day, metric)]);
		}
		const seen = new Set<string>();
		for (const day of days) {
			if (day.day !== 0 || day[metric] < settings.minReveals || seen.has(principalKey(day))) continue;
			seen.add(principalKey(day));
			const peers = [...(history.get(groupOf(day)) ?? [])].sort((a, b) => a - b);
			if (peers.length < settings.minSamples) continue;
			const high = percentile(peers, settings.percentile);
			const median = percentile(peers, 50);
			const ratio = workRatio(day, metric);
			if (ratio > high && ratio >= settings.medianMultiple * median) {
				outliers.push({
					issuer: day.issuer,
					subject: day.subject,
					role: day.role,
					depot: day.depot,
					metric,
					ratio,
					reveals: day.reveals,
					calls: day.calls,
					legs: day.legs,
					peerPercentile: high,
					peerMedian: median,
					peerSamples: peers.length,
				});
			}
		}
	}
	return outliers;
}
