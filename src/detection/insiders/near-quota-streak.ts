import { type DailyLimits, principalKey, shareOfTightestLimit, type WorkDay } from "./work-day";

export interface NearQuotaStreakSettings {
	/** A day counts when the tightest daily limit was used at least this much (0–1). */
	share: number;
	/** Consecutive days, ending with the last 24 hours, that make a streak. */
	days: number;
}

export interface NearQuotaStreak {
	issuer: string;
	subject: string;
	role: string;
	depot: string | null;
	/** The share of the tightest limit used on each day of the streak, newest first. */
	shares: number[];
}

/**
 * The careful insider who stops one short of every limit never trips one: at 299 of 300 a day no
 * rule refuses and no "quota reached" alert fires. Staying near quota day after day is what
 * honest work rarely does (a heavy day happens; a heavy week is a pattern). Pure.
 */
export function nearQuotaStreaks(days: readonly WorkDay[], limitsOf: (day: WorkDay) => DailyLimits, settings: NearQuotaStreakSettings): NearQuotaStreak[] {
	const byPrincipal = new Map<string, WorkDay[]>();
	for (const day of days) byPrincipal.set(principalKey(day), [...(byPrincipal.get(principalKey(day)) ?? []), day]);
	const streaks: NearQuotaStreak[] = [];
	for (const worked of byPrincipal.values()) {
		const byDay = new Map(worked.map((day) => [day.day, day]));
		const shares: number[] = [];
		for (let day = 0; day < settings.days; day++) {
			const work = byDay.get(day);
			const share = work ? shareOfTightestLimit(work, limitsOf(work)) : 0;
			if (share < settings.share) break;
			shares.push(share);
		}
		const today = byDay.get(0);
		if (today && shares.length >= settings.days) {
			streaks.push({ issuer: today.issuer, subject: today.subject, role: today.role, depot: today.depot, shares });
		}
	}
	return streaks;
}
