import { z } from "@hono/zod-openapi";

/**
 * The careful-insider detectors and what ops can tune in each. `enforce` raises alerts that are
 * delivered; `report-only` stores them marked as a trial and delivers nothing (to tune a threshold
 * on real traffic before anyone is paged); `off` runs nothing. No detector refuses anything.
 */
export const DETECTOR_MODES = ["enforce", "report-only", "off"] as const;
export type DetectorMode = (typeof DETECTOR_MODES)[number];

const share = z.number().min(0.1).max(1);

export const DETECTOR_SETTINGS = {
	near_quota_streak: z.strictObject({
		share: share.openapi({ description: "A day counts at this share of the tightest daily limit or more (default 0.8)." }),
		days: z.number().int().min(1).max(14).openapi({ description: "Consecutive 24-hour windows, ending now, that make a streak (default 2)." }),
	}),
	near_quota_ring: z.strictObject({
		share: share.openapi({ description: "A member counts at this share of their tightest daily limit in the last 24 hours (default 0.8)." }),
		members: z.number().int().min(2).max(100).openapi({ description: "Members of one depot near quota together (default 3)." }),
	}),
	work_ratio: z.strictObject({
		percentile: z
			.number()
			.min(50)
			.max(100)
			.openapi({ description: "Peers' percentile of reveals per leg (and, apart, of calls per leg) to exceed (default 99)." }),
		median_multiple: z.number().min(1).max(100).openapi({ description: "And at least this multiple of the peers' median (default 2)." }),
		history_days: z.number().int().min(2).max(14).openapi({ description: "Days of peers' history (default 14)." }),
		min_samples: z.number().int().min(1).max(1000).openapi({ description: "Peer-days needed before judging (default 10)." }),
		min_reveals: z
			.number()
			.int()
			.min(1)
			.max(10000)
			.openapi({ description: "Reveals (or calls, for the calls rate) in the last 24 hours needed before judging (default 20)." }),
	}),
	after_close: z.strictObject({
		min_after_close: z.number().int().min(1).max(10000).openapi({ description: "Reveals after the leg closed, at least (default 10)…" }),
		share: share.openapi({ description: "…and at least this share of the principal's reveals (default 0.3). Any reveal a day after close counts at once." }),
	}),
} as const;

export type DetectorName = keyof typeof DETECTOR_SETTINGS;
export const DETECTOR_NAMES = Object.keys(DETECTOR_SETTINGS) as DetectorName[];

export type DetectorSettings = { [K in DetectorName]: z.infer<(typeof DETECTOR_SETTINGS)[K]> };

/** The settings a fresh vault runs with (migration 0016 stores the same). */
export const DEFAULT_DETECTORS: { [K in DetectorName]: { mode: DetectorMode; settings: DetectorSettings[K] } } = {
	near_quota_streak: { mode: "enforce", settings: { share: 0.8, days: 2 } },
	near_quota_ring: { mode: "enforce", settings: { share: 0.8, members: 3 } },
	work_ratio: { mode: "enforce", settings: { percentile: 99, median_multiple: 2, history_days: 14, min_samples: 10, min_reveals: 20 } },
	after_close: { mode: "enforce", settings: { min_after_close: 10, share: 0.3 } },
};
