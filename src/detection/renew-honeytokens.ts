import { openContact } from "../crypto/envelope";
import type { Keyring } from "../crypto/keyring";
import { prepareRecord } from "../records/prepare";
import type { RecordStore } from "../records/store";
import type { HoneytokenStore } from "./honeytoken-store";

/**
 * Keeps every trap planted while looking like the records around it (DESIGN: honeytokens must be
 * indistinguishable to anyone but ops). A real record lives from its creation to its expiry and is
 * then erased; a trap that simply had its expiry moved on would be the one record older than any
 * retention allows, and its `expires_at − created_at` would not be whole days. So at its expiry a
 * honeytoken is erased like any record and planted again under a new id, created now, with the
 * same contact data and assignment and the default retention; the old id stays in the honeytoken
 * list, so a leaked list naming it still springs the trap. Bounded per run, resumed by the next.
 */
export async function renewHoneytokens(
	records: RecordStore,
	honeytokens: HoneytokenStore,
	keyring: Keyring,
	options: { now: number; limit: number; defaultRetentionMs: number },
): Promise<number> {
	const { now } = options;
	let renewed = 0;
	for (const trap of await records.expiredHoneytokens(now, options.limit)) {
		const contact = await openContact(keyring, trap.id, trap.sealed, ["name", "phone", "address"]);
		const replacement = await prepareRecord(
			keyring,
			{
				shipment_id: trap.shipmentId,
				party: trap.party,
				depot: trap.depot,
				contact: { name: contact.name ?? "", phone: contact.phone ?? "", address: contact.address ?? "" },
				...(trap.courier === null ? {} : { courier: trap.courier }),
			},
			{ courierIssuer: trap.courierIssuer },
			trap.createdBy,
			now,
			now + options.defaultRetentionMs,
		);
		const event = {
			kind: "honeytoken.renewed" as const,
			at: now,
			actor: null,
			recordId: replacement.id,
			details: { previous_record_id: trap.id },
			recordIds: [trap.id],
		};
		if (await records.replace(trap.id, { ...replacement, honeytoken: true }, [honeytokens.renew(trap.id, replacement.id)], event)) renewed++;
	}
	return renewed;
}
