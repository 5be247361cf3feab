import type { RecordView } from "./schemas";
import type { StoredRecord } from "./store";

/** The masked view of a live record: metadata and masks, never ciphertext or plaintext. */
export function recordView(record: StoredRecord): RecordView {
	if (!record.masked || !record.sealed) throw new Error(`record ${record.id} is erased and has no view`);
	return {
		id: record.id,
		shipment_id: record.shipmentId,
		party: record.party,
		depot: record.depot,
		courier: record.courier,
		courier_issuer: record.courierIssuer,
		masked: record.masked,
		key_id: record.sealed.keyId,
		created_at: new Date(record.createdAt).toISOString(),
		updated_at: new Date(record.updatedAt).toISOString(),
		expires_at: record.expiresAt === null ? null : new Date(record.expiresAt).toISOString(),
	};
}
