import type { FieldError } from "../http/problem";

export interface RetentionPolicy {
	defaultDays: number;
	maxDays: number;
}

const DAY_MS = 86_400_000;

/**
 * When a record created at `now` expires: after the days its creator asked for, or the default.
 * Pure, so the rule is the same for single creates, batches and honeytokens.
 */
export function expiryFor(retentionDays: number | undefined, policy: RetentionPolicy, now: number): number {
	return now + (retentionDays ?? policy.defaultDays) * DAY_MS;
}

/** Field errors for asked retentions above the configured maximum (the schema bounds the rest). */
export function retentionErrors(asked: (number | undefined)[], policy: RetentionPolicy, pointerOf: (index: number) => string): FieldError[] {
	return asked.flatMap((days, index) =>
		days !== undefined && days > policy.maxDays
			? [{ pointer: pointerOf(index), code: "too_big", message: `must be at most ${policy.maxDays} (RETENTION_MAX_DAYS)` }]
			: [],
	);
}
