import type { AuditEvent } from "../audit/entry";
import { phoneIndex } from "../crypto/blind-index";
import { CONTACT_FIELDS, type Contact, openContact, sealContact } from "../crypto/envelope";
import { DecryptionFailedError } from "../crypto/errors";
import type { Keyring } from "../crypto/keyring";
import type { RecordStore, Resealed } from "../records/store";

export interface RewrapRun {
	/** Records moved to the primary key by this run. */
	rewrapped: number;
	batches: number;
	/** Records that could not be opened (tampered ciphertext), left where they are and logged. */
	failed: string[];
	/** False when the run stopped at its batch budget with records left for the next run. */
	drained: boolean;
}

/**
 * Moves every record sealed under a non-primary key of the ring to the primary, `batchSize` per
 * transaction. Each record is opened and sealed again under a fresh data key: the ciphertexts'
 * additional data names the key id, and a fresh data key means that whoever kept an old wrapped
 * key and the retired key-encryption key still opens nothing. The phone's blind index is
 * recomputed under the primary's index key at the same time.
 *
 * Resumable and idempotent by construction: the work list is the records themselves (those still
 * under an old key), each write is a compare-and-set on the envelope read, and the batch lands
 * with its audit entry in one transaction. Stopped anywhere, it loses nothing; run again, it
 * continues where the data says it stopped.
 */
export async function rewrapToPrimary(
	store: RecordStore,
	keyring: Keyring,
	options: { now: number; batchSize: number; maxBatches: number },
): Promise<RewrapRun> {
	const from = keyring.keyIds().filter((keyId) => keyId !== keyring.primaryKeyId);
	const failed: string[] = [];
	let rewrapped = 0;
	let after = "";
	for (let batch = 0; batch < options.maxBatches; batch++) {
		const rows = await store.sealedUnder(from, after, options.batchSize);
		if (rows.length === 0) return { rewrapped, batches: batch, failed, drained: failed.length === 0 };
		after = rows.at(-1)?.id ?? after;
		const resealed: Resealed[] = [];
		for (const row of rows) {
			try {
				const contact = (await openContact(keyring, row.id, row.sealed, CONTACT_FIELDS)) as Contact;
				resealed.push({
					id: row.id,
					previous: row.sealed,
					sealed: await sealContact(keyring, row.id, contact),
					phoneIndex: await phoneIndex(keyring, contact.phone),
				});
			} catch (error) {
				if (!(error instanceof DecryptionFailedError)) throw error;
				// A record that does not authenticate stays as it is, for whoever investigates; the rest move on.
				console.error(JSON.stringify({ event: "rewrap_decryption_failed", record_id: row.id, field: error.field }));
				failed.push(row.id);
			}
		}
		const fromKeys = [...new Set(rows.map((row) => row.sealed.keyId))].sort();
		const event = (ids: string[]): AuditEvent => ({
			kind: "key.rewrapped",
			at: options.now,
			actor: null,
			recordId: null,
			details: { from_key_ids: fromKeys, to_key_id: keyring.primaryKeyId, count: ids.length, ids },
			recordIds: ids,
		});
		rewrapped += (await store.replaceSealed(resealed, event)).length;
	}
	const left = await store.sealedUnder(from, after, 1);
	return { rewrapped, batches: options.maxBatches, failed, drained: left.length === 0 && failed.length === 0 };
}
