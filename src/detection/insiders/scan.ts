import { type PolicyRow, resolvePolicy } from "../../limits/policy";
import type { AlertStore, NewAlert } from "../alert-store";
import { afterCloseClusters } from "./after-close";
import type { DetectorSettings } from "./detector-settings";
import type { DetectorRow } from "./detector-store";
import { nearQuotaRings } from "./near-quota-ring";
import { nearQuotaStreaks } from "./near-quota-streak";
import type { DailyLimits, WorkDay } from "./work-day";
import { workRatioOutliers } from "./work-ratio";
import type { WorkStatsStore } from "./work-stats-store";

const DAY_MS = 86_400_000;

export interface InsiderScanDeps {
	stats: WorkStatsStore;
	alerts: AlertStore;
	detectors: DetectorRow[];
	policies: PolicyRow[];
	webhookConfigured: boolean;
}

export interface InsiderScanReport {
	near_quota_streak: number;
	near_quota_ring: number;
	work_ratio: number;
	after_close: number;
}

/**
 * The careful-insider scan (hourly): loads the last days' work, runs the pure detectors and stores
 * one alert per detector and person (or depot) per UTC day: the alert's id is derived from them,
 * so a scan an hour later raises nothing new. Alerts name the employee (issuer, subject) and say
 * why in figures; they never refuse anything. A detector in `report-only` stores its alerts marked
 * `report_only` and undelivered; `off` runs nothing.
 */
export async function scanForCarefulInsiders(deps: InsiderScanDeps, now: number): Promise<InsiderScanReport> {
	const active = new Map(deps.detectors.filter((row) => row.mode !== "off").map((row) => [row.name, row]));
	const settingsOf = <K extends keyof DetectorSettings>(name: K) => active.get(name)?.settings as DetectorSettings[K] | undefined;
	const streak = settingsOf("near_quota_streak");
	const ratio = settingsOf("work_ratio");
	const days = Math.max(streak?.days ?? 1, ratio?.history_days ?? 1, 1);
	const work = active.size === 0 ? [] : await deps.stats.workDays(now, days);
	const limitsOf = dailyLimits(deps.policies);
	const raised: { detector: keyof DetectorSettings; alert: NewAlert }[] = [];
	const day = Math.floor(now / DAY_MS);
	const idOf = (detector: string, who: string) => `insider:${detector}:${day}:${who}`;

	if (streak) {
		for (const found of nearQuotaStreaks(work, limitsOf, streak)) {
			raised.push({
				detector: "near_quota_streak",
				alert: {
					id: idOf("near_quota_streak", `${found.issuer}\n${found.subject}`),
					severity: "warning",
					kind: "near_quota_streak",
					subject: { issuer: found.issuer, subject: found.subject },
					depot: found.depot,
					details: { role: found.role, days: found.shares.length, shares: found.shares.map(rounded), share_threshold: streak.share },
				},
			});
		}
	}
	const ring = settingsOf("near_quota_ring");
	if (ring) {
		for (const found of nearQuotaRings(work, limitsOf, ring)) {
			raised.push({
				detector: "near_quota_ring",
				alert: {
					id: idOf("near_quota_ring", found.depot),
					severity: "critical",
					kind: "depot_ring_near_quota",
					subject: null,
					depot: found.depot,
					details: {
						members: found.members.map((member) => ({ issuer: member.issuer, subject: member.subject, role: member.role, share: rounded(member.share) })),
						share_threshold: ring.share,
						members_threshold: ring.members,
					},
				},
			});
		}
	}
	if (ratio) {
		const outliers = workRatioOutliers(work, {
			percentile: ratio.percentile,
			medianMultiple: ratio.median_multiple,
			historyDays: ratio.history_days,
			minSamples: ratio.min_samples,
			minReveals: ratio.min_reveals,
		});
		for (const found of outliers) {
			raised.push({
				detector: "work_ratio",
				alert: {
					id: idOf(`work_ratio_${found.metric}`, `${found.issuer}\n${found.subject}`),
					severity: "warning",
					kind: "work_ratio_outlier",
					subject: { issuer: found.issuer, subject: found.subject },
					depot: found.depot,
					details: {
						role: found.role,
						reveals: found.reveals,
						calls: found.calls,
						legs: found.legs,
						metric: `${found.metric}_per_leg`,
						per_leg: rounded(found.ratio),
						peers_percentile: ratio.percentile,
						peers_at_percentile: rounded(found.peerPercentile),
						peers_median: rounded(found.peerMedian),
						peer_days: found.peerSamples,
					},
				},
			});
		}
	}
	const afterClose = settingsOf("after_close");
	if (afterClose) {
		const counts = await deps.stats.afterClose(now);
		for (const found of afterCloseClusters(counts, { minAfterClose: afterClose.min_after_close, share: afterClose.share })) {
			raised.push({
				detector: "after_close",
				alert: {
					id: idOf("after_close", `${found.issuer}\n${found.subject}`),
					severity: "warning",
					kind: "reveals_after_close",
					subject: { issuer: found.issuer, subject: found.subject },
					depot: found.depot,
					details: { role: found.role, reveals: found.reveals, after_close: found.afterClose, a_day_or_more_after: found.daysLater },
				},
			});
		}
	}
	if (raised.length > 0) {
		await deps.alerts.insertAll(
			raised.map(({ detector, alert }) => {
				const trial = active.get(detector)?.mode === "report-only";
				return { alert: trial ? { ...alert, details: { ...alert.details, report_only: true } } : alert, deliver: deps.webhookConfigured && !trial };
			}),
			now,
		);
	}
	const count = (detector: keyof DetectorSettings) => raised.filter((entry) => entry.detector === detector).length;
	return {
		near_quota_streak: count("near_quota_streak"),
		near_quota_ring: count("near_quota_ring"),
		work_ratio: count("work_ratio"),
		after_close: count("after_close"),
	};
}

/** The daily and distinct limits each employee's effective policy enforces, resolved once per person. */
function dailyLimits(policies: PolicyRow[]): (day: WorkDay) => DailyLimits {
	const resolved = new Map<string, DailyLimits>();
	return (day) => {
		const key = `${day.issuer}\n${day.subject}\n${day.role}\n${day.depot ?? ""}`;
		let limits = resolved.get(key);
		if (!limits) {
			const policy = resolvePolicy(policies, { kind: "employee", issuer: day.issuer, subject: day.subject, role: day.role, depot: day.depot ?? undefined });
			const limitOf = (kind: "daily" | "distinct") => policy.enforced.find((rule) => rule.kind === kind)?.limit ?? 0;
			limits = { daily: limitOf("daily"), distinct: limitOf("distinct") };
			resolved.set(key, limits);
		}
		return limits;
	};
}

const rounded = (value: number) => Math.round(value * 1000) / 1000;
