import type { AuditEvent } from "../audit/entry";
import type { RecordStore } from "./store";

export interface ExpiryRun {
	erased: number;
	batches: number;
	/** False when the run stopped at its batch budget with expired records left for the next run. */
	drained: boolean;
}

/**
 * The retention job: erases records whose expiry has passed, oldest first, `batchSize` per
 * transaction, each batch one audit entry naming its ids. Honeytokens are not among them: the
 * honeytoken renewal (detection/renew-honeytokens) erases and replants each at its expiry.
 * Stopping anywhere loses nothing: what is left is still expired and the next run takes it.
 */
export async function eraseExpired(
	store: RecordStore,
	options: { now: number; batchSize: number; maxBatches: number; defaultRetentionMs: number },
): Promise<ExpiryRun> {
	const { now, batchSize, maxBatches } = options;
	// Rows written by a version without retention (during a deploy) get the default from their creation.
	await store.assignMissingExpiry(options.defaultRetentionMs);
	let erased = 0;
	for (let batch = 0; batch < maxBatches; batch++) {
		const ids = await store.expiredIds(now, batchSize);
		if (ids.length === 0) return { erased, batches: batch, drained: true };
		const event = (pending: string[]): AuditEvent => ({
			kind: "record.expired",
			at: now,
			actor: null,
			recordId: null,
			details: { reason: "retention", count: pending.length, ids: pending },
			recordIds: pending,
		});
		erased += (await store.eraseMany(ids, event)).ids.length;
		if (ids.length < batchSize) return { erased, batches: batch + 1, drained: true };
	}
	return { erased, batches: maxBatches, drained: (await store.expiredIds(now, 1)).length === 0 };
}
