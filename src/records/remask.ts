import { CONTACT_FIELDS, type Contact, openContact } from "../crypto/envelope";
import { DecryptionFailedError } from "../crypto/errors";
import type { Keyring } from "../crypto/keyring";
import { maskContact } from "./masking";
import type { RecordStore, Remasked } from "./store";

/** Records per transaction and batches per run: 1,000 records a minute from the every-minute cron. */
export const REMASK_BATCH_SIZE = 100;
export const REMASK_BATCHES_PER_RUN = 10;

export interface RemaskRun {
	/** Records whose stored masks this run recomputed. */
	remasked: number;
	batches: number;
	/** Records that could not be opened (tampered ciphertext), left as they are and logged by id. */
	failed: string[];
	/** False when the run stopped at its batch budget with records left for the next run. */
	drained: boolean;
}

/**
 * Recomputes the stored masks of every live record written under older masking rules
 * (`mask_version` below MASK_VERSION), `batchSize` per transaction: each record is opened, masked
 * by the current rules and written back with the current version. The plaintext lives only for the
 * call to maskContact; nothing but record ids and counts is logged or returned.
 *
 * Resumable and idempotent like the re-wrap job: the work list is the records themselves (those
 * below the current version), each write is a compare-and-set on the envelope read, so an erasure
 * or a re-wrap in between wins. Stopped anywhere, the next run continues where the data says.
 * Records under a key missing from the ring are not read (the key report names such keys).
 */
export async function remaskStale(store: RecordStore, keyring: Keyring, options: { batchSize?: number; maxBatches?: number } = {}): Promise<RemaskRun> {
	const batchSize = options.batchSize ?? REMASK_BATCH_SIZE;
	const maxBatches = options.maxBatches ?? REMASK_BATCHES_PER_RUN;
	const keyIds = keyring.keyIds();
	const failed: string[] = [];
	let remasked = 0;
	let after = "";
	for (let batch = 0; batch < maxBatches; batch++) {
		const rows = await store.staleMasks(keyIds, after, batchSize);
		if (rows.length === 0) return { remasked, batches: batch, failed, drained: failed.length === 0 };
		after = rows.at(-1)?.id ?? after;
		const recomputed: Remasked[] = [];
		for (const row of rows) {
			try {
				const contact = (await openContact(keyring, row.id, row.sealed, CONTACT_FIELDS)) as Contact;
				recomputed.push({ id: row.id, previous: row.sealed, masked: maskContact(contact) });
			} catch (error) {
				if (!(error instanceof DecryptionFailedError)) throw error;
				// A record that does not authenticate keeps its old masks, for whoever investigates.
				console.error(JSON.stringify({ event: "remask_decryption_failed", record_id: row.id, field: error.field }));
				failed.push(row.id);
			}
		}
		remasked += (await store.replaceMasks(recomputed)).length;
	}
	const left = await store.staleMasks(keyIds, after, 1);
	return { remasked, batches: maxBatches, failed, drained: left.length === 0 && failed.length === 0 };
}
