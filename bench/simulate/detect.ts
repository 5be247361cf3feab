/**
 * The hourly careful-insider scan (src/detection/insiders/scan.ts) over the simulated day: the
 * same pure detectors with the default settings, fed what WorkStatsStore would read from the audit
 * log and the legs table at the scan's instant (only grants and events at or before it).
 */
import type { AfterCloseCount } from "../../src/detection/insiders/after-close";
import { afterCloseClusters } from "../../src/detection/insiders/after-close";
import { DEFAULT_DETECTORS } from "../../src/detection/insiders/detector-settings";
import { nearQuotaRings } from "../../src/detection/insiders/near-quota-ring";
import { nearQuotaStreaks } from "../../src/detection/insiders/near-quota-streak";
import type { DailyLimits, WorkDay } from "../../src/detection/insiders/work-day";
import { workRatioOutliers } from "../../src/detection/insiders/work-ratio";
import { type PolicyRow, resolvePolicy } from "../../src/limits/policy";
import type { Leg } from "../../src/shipments/legs";
import type { GrantEntry } from "./model";

const DAY_MS = 86_400_000;

export interface Staff {
	subject: string;
	issuer: string;
	role: string;
	depot: string;
}

export interface InsiderFlag {
	at: number;
	kind: "near_quota_streak" | "depot_ring_near_quota" | "work_ratio_outlier" | "reveals_after_close";
	/** The employee named, or null for a depot-level alert. */
	subject: string | null;
	depot: string | null;
	/** For a ring: the members it names. */
	members?: string[];
}

export interface ScanInput {
	now: number;
	staff: ReadonlyMap<string, Staff>;
	grants: readonly GrantEntry[];
	/** Every shipment's legs as known at `now`, and the shipment of each record. */
	legs: ReadonlyMap<string, readonly Leg[]>;
	shipmentOf: (recordId: string) => string | undefined;
	/** Days 1… (the summarized earlier days) for every employee: WorkDay rows with `day` ≥ 1. */
	history: readonly WorkDay[];
	policies: readonly PolicyRow[];
}

/** Day 0 (the last 24 hours) of every employee with a reveal in it, as WorkStatsStore.workDays counts it. */
export function workDaysAt(input: Pick<ScanInput, "now" | "staff" | "grants" | "legs">): WorkDay[] {
	const { now } = input;
	const byCourier = new Map<string, number>();
	const byDepot = new Map<string, number>();
	for (const legs of input.legs.values())
		for (const leg of legs) {
			if (leg.openedAt <= now - DAY_MS || leg.openedAt > now) continue;
			if (leg.courier) byCourier.set(leg.courier.subject, (byCourier.get(leg.courier.subject) ?? 0) + 1);
			if (leg.depot) byDepot.set(leg.depot, (byDepot.get(leg.depot) ?? 0) + 1);
		}
	const counts = new Map<string, { reveals: number; records: Set<string> }>();
	for (const grant of input.grants) {
		if (grant.at <= now - DAY_MS || grant.at > now) continue;
		const entry = counts.get(grant.subject) ?? { reveals: 0, records: new Set<string>() };
		entry.reveals++;
		entry.records.add(grant.recordId);
		counts.set(grant.subject, entry);
	}
	return [...counts].map(([subject, { reveals, records }]) => {
		const who = input.staff.get(subject) as Staff;
		return {
			issuer: who.issuer,
			subject,
			role: who.role,
			depot: who.depot,
			day: 0,
			// The model keeps no log of calls: the calls-per-leg rate is not judged here (the reveals rate is).
			calls: 0,
			reveals,
			records: records.size,
			legs: who.role === "courier" ? (byCourier.get(subject) ?? 0) : (byDepot.get(who.depot) ?? 0),
		};
	});
}

/** Couriers' reveals of the last 24 hours against their legs of the same parcels (WorkStatsStore.afterClose). */
export function afterCloseAt(input: Pick<ScanInput, "now" | "staff" | "grants" | "legs" | "shipmentOf">): AfterCloseCount[] {
	const { now } = input;
	const counts = new Map<string, AfterCloseCount>();
	for (const grant of input.grants) {
		if (grant.at <= now - DAY_MS || grant.at > now) continue;
		const who = input.staff.get(grant.subject) as Staff;
		if (who.role !== "courier") continue;
		const count = counts.get(grant.subject) ?? {
			issuer: who.issuer,
			subject: grant.subject,
			role: who.role,
			depot: who.depot,
			reveals: 0,
			afterClose: 0,
			daysLater: 0,
		};
		count.reveals++;
		const shipment = input.shipmentOf(grant.recordId);
		const held = (shipment ? (input.legs.get(shipment) ?? []) : []).filter((leg) => leg.courier?.subject === grant.subject);
		const closedAt = Math.max(...held.filter((leg) => leg.closedAt !== null && leg.closedAt <= grant.at).map((leg) => leg.closedAt as number), -1);
		const openThen = held.some((leg) => leg.openedAt <= grant.at && (leg.closedAt === null || leg.closedAt > grant.at));
		if (closedAt >= 0 && !openThen) {
			count.afterClose++;
			if (grant.at - closedAt >= DAY_MS) count.daysLater++;
		}
		counts.set(grant.subject, count);
	}
	return [...counts.values()];
}

/** One scan: every detector at its default setting (all four enforce by default). */
export function scanAt(input: ScanInput): InsiderFlag[] {
	const work = [...workDaysAt(input), ...input.history];
	const resolved = new Map<string, DailyLimits>();
	const limitsOf = (day: WorkDay): DailyLimits => {
		let limits = resolved.get(day.subject);
		if (!limits) {
			const policy = resolvePolicy(input.policies, {
				kind: "employee",
				issuer: day.issuer,
				subject: day.subject,
				role: day.role,
				depot: day.depot ?? undefined,
			});
			const limitOf = (kind: "daily" | "distinct") => policy.enforced.find((rule) => rule.kind === kind)?.limit ?? 0;
			limits = { daily: limitOf("daily"), distinct: limitOf("distinct") };
			resolved.set(day.subject, limits);
		}
		return limits;
	};
	const { near_quota_streak: streak, near_quota_ring: ring, work_ratio: ratio, after_close: afterClose } = DEFAULT_DETECTORS;
	const at = input.now;
	return [
		...nearQuotaStreaks(work, limitsOf, streak.settings).map((found) => ({
			at,
			kind: "near_quota_streak" as const,
			subject: found.subject,
			depot: found.depot,
		})),
		...nearQuotaRings(work, limitsOf, ring.settings).map((found) => ({
			at,
			kind: "depot_ring_near_quota" as const,
			subject: null,
			depot: found.depot,
			members: found.members.map((member) => member.subject),
		})),
		...workRatioOutliers(work, {
			percentile: ratio.settings.percentile,
			medianMultiple: ratio.settings.median_multiple,
			historyDays: ratio.settings.history_days,
			minSamples: ratio.settings.min_samples,
			minReveals: ratio.settings.min_reveals,
		}).map((found) => ({ at, kind: "work_ratio_outlier" as const, subject: found.subject, depot: found.depot })),
		...afterCloseClusters(afterCloseAt(input), { minAfterClose: afterClose.settings.min_after_close, share: afterClose.settings.share }).map((found) => ({
			at,
			kind: "reveals_after_close" as const,
			subject: found.subject,
			depot: found.depot,
		})),
	];
}
