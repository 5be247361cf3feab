import { type DailyLimits, shareOfTightestLimit, type WorkDay } from "./work-day";

export interface NearQuotaRingSettings {
	/** A member counts when their tightest daily limit was used at least this much in the last 24 hours. */
	share: number;
	/** Members of one depot near quota together that make a ring. */
	members: number;
}

export interface NearQuotaRing {
	depot: string;
	members: { issuer: string; subject: string; role: string; share: number }[];
}

/**
 * A ring of five at one depot, each stopping one short of every limit, takes about 1,450 records
 * a day and trips nothing: the older ring rule counts members *at* quota. Several members of one
 * depot near quota in the same 24 hours is the same signal, seen before anyone reaches a limit.
 * Only the last 24 hours (day 0) count. Pure.
 */
export function nearQuotaRings(days: readonly WorkDay[], limitsOf: (day: WorkDay) => DailyLimits, settings: NearQuotaRingSettings): NearQuotaRing[] {
	const byDepot = new Map<string, NearQuotaRing["members"]>();
	for (const day of days) {
		if (day.day !== 0 || day.depot === null) continue;
		const share = shareOfTightestLimit(day, limitsOf(day));
		if (share < settings.share) continue;
		byDepot.set(day.depot, [...(byDepot.get(day.depot) ?? []), { issuer: day.issuer, subject: day.subject, role: day.role, share }]);
	}
	return [...byDepot]
		.filter(([, members]) => members.length >= settings.members)
		.map(([depot, members]) => ({ depot, members: members.sort((a, b) => b.share - a.share) }));
}
