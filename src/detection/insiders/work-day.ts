/**
 * One principal's work in one 24-hour window, as the careful-insider detectors read it. Windows
 * count back from the scan: day 0 is the last 24 hours, day 1 the 24 before, and so on; the daily
 * limits are sliding 24-hour windows too, so "near quota on day 0" means what the limiter meant.
 */
export interface WorkDay {
	issuer: string;
	subject: string;
	role: string;
	depot: string | null;
	day: number;
	/** Reveals granted in the window. */
	reveals: number;
	/** Distinct records among them. */
	records: number;
	/** Privacy-number calls granted in the window (work, like reveals, but counted under limits of their own). */
	calls: number;
	/** Legs the principal held that opened in the window: a courier's own; a clerk's or supervisor's depot's. */
	legs: number;
}

/** The daily limits in force for a principal, from its effective policy. */
export interface DailyLimits {
	daily: number;
	distinct: number;
}

export const principalKey = (day: Pick<WorkDay, "issuer" | "subject">) => `${day.issuer}\n${day.subject}`;

/** The highest share of a daily limit a day's work used (reveals of `daily`, records of `distinct`). */
export function shareOfTightestLimit(day: WorkDay, limits: DailyLimits): number {
	return Math.max(limits.daily > 0 ? day.reveals / limits.daily : 0, limits.distinct > 0 ? day.records / limits.distinct : 0);
}
