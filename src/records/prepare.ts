import { phoneIndex } from "../crypto/blind-index";
import { sealContact } from "../crypto/envelope";
import type { Keyring } from "../crypto/keyring";
import { maskContact } from "./masking";
import { normalizePhone } from "./phone";
import { newRecordId } from "./record-id";
import type { RecordInput } from "./schemas";
import type { NewRecord } from "./store";

/**
 * Turns validated input into what the store writes: the phone normalized, every field sealed
 * under a fresh data key, the blind index and masked view computed, the courier named by the
 * issuer the caller resolved (see `courierIssuerOf`). Plaintext goes no further.
 */
export async function prepareRecord(
	keyring: Keyring,
	input: RecordInput,
	assignment: { courierIssuer: string | null },
	createdBy: string,
	now: number,
	expiresAt: number,
): Promise<NewRecord> {
	const phone = normalizePhone(input.contact.phone);
	// The schema refused unnormalizable phones; reaching this is a bug, not bad input.
	if (phone === null) throw new Error("phone passed validation but does not normalize");
	const contact = { name: input.contact.name.trim(), phone, address: input.contact.address.trim() };
	const id = newRecordId(now);
	return {
		id,
		shipmentId: input.shipment_id,
		party: input.party,
		depot: input.depot,
		courier: input.courier ?? null,
		courierIssuer: input.courier === undefined ? null : assignment.courierIssuer,
		sealed: await sealContact(keyring, id, contact),
		phoneIndex: await phoneIndex(keyring, phone),
		masked: maskContact(contact),
		createdBy,
		createdAt: now,
		expiresAt,
	};
}
