/** One principal's reveals of the last 24 hours, set against the legs they held. */
export interface AfterCloseCount {
	issuer: string;
	subject: string;
	role: string;
	depot: string | null;
	reveals: number;
	/** Reveals made when the principal's leg of that parcel had already closed (in its grace period, or report-only). */
	afterClose: number;
	/** Of those, reveals more than a day after the leg closed. */
	daysLater: number;
}

export interface AfterCloseSettings {
	/** Reveals after close, at least this many… */
	minAfterClose: number;
	/** …and at least this share of the principal's reveals. */
	share: number;
}

/**
 * A courier who sold same-day waybills of their own route did it hours after delivery: reveals
 * bunched after the legs closed, or of parcels held days ago, are work done, not work to do. Any
 * reveal a day or more after the leg closed is flagged; reveals in the grace period only when they
 * are many and a large share. Pure.
 */
export function afterCloseClusters(counts: readonly AfterCloseCount[], settings: AfterCloseSettings): AfterCloseCount[] {
	return counts.filter(
		(count) => count.daysLater > 0 || (count.afterClose >= settings.minAfterClose && count.afterClose >= settings.share * Math.max(1, count.reveals)),
	);
}
