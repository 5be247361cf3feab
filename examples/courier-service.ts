/**
 * A courier microservice's day with the vault, through the typed client (README "Courier services:
 * the typed client"): book a parcel's recipient with an idempotent create and show that a retry
 * makes no second record, send the parcel out for delivery, read the masked record, look it up by
 * phone, and meet a 429 the way a service should, from its headers. Prints masked values, counts
 * and limits only: never a customer's contact data.
 *
 *   VAULT_URL=http://127.0.0.1:8787 VAULT_TOKEN=<records:write records:read token> npm run -s example:courier-service
 */
import { createVaultClient, tightestLimit, VaultProblem } from "contact-vault/client";

const baseUrl = process.env.VAULT_URL ?? `http://127.0.0.1:${process.env.PORT ?? "8787"}`;
const token = process.env.VAULT_TOKEN;
if (!token) {
	console.log("Set VAULT_TOKEN to a service token with records:write records:read (npm run -s token -- --sub … --scope …).");
	process.exit(1);
}
const vault = createVaultClient({ baseUrl, token });

// A booking arrives. The key comes from the booking itself, so that if this service crashes after
// sending and books again, the vault answers with the same record instead of making a second.
const waybill = `EX${Date.now()}`;
const booking = {
	shipment_id: waybill,
	party: "recipient" as const,
	contact: { name: "李四", phone: "+86 139 0000 4321", address: "浙江省杭州市西湖区文三路90号" },
	depot: "HZ-XH-01",
};
const idempotencyKey = `booking-${waybill}-recipient`;
const created = await vault.createRecord(booking, { idempotencyKey });
const again = await vault.createRecord(booking, { idempotencyKey });
if (again.record.id !== created.record.id || !again.replayed) throw new Error("a retried create should replay the first record");
console.log(`created ${created.record.id} for ${waybill}: ${JSON.stringify(created.record.masked)}; the retry replayed it (no second record)`);

// The parcel goes out for delivery: the courier's leg opens, and the record is assigned to them.
const events = await vault.reportShipmentEvents([{ shipment_id: waybill, type: "out_for_delivery", courier: "courier-hz-xh-01-1" }], {
	idempotencyKey: `events-${waybill}-1`,
});
console.log(`shipment events accepted: ${events.accepted}`);

// The masked read: what a service may see of a record, never plaintext.
const read = await vault.getRecord(created.record.id);
console.log(`masked read: courier ${read.courier}, phone ${read.masked.phone}, expires ${read.expires_at}`);

// Lookups are limited and counted; each answer says where the limits stand (RateLimit headers).
// Keep looking up until the vault refuses, then act on the refusal's own headers.
try {
	for (let i = 0; i < 1000; i++) {
		const found = await vault.lookupByPhone("13900004321");
		const tightest = tightestLimit(found.rateLimits);
		if (i === 0) console.log(`lookup by phone: ${found.records.length} record(s); ${tightest?.name} has ${tightest?.remaining} of ${tightest?.quota} left`);
	}
	throw new Error("1000 lookups and no 429: the lookup limit is not enforced");
} catch (error) {
	if (!(error instanceof VaultProblem) || !error.is("quota-exceeded")) throw error;
	const limit = error.extensions.limit;
	console.log(`429 ${error.title}: limit ${String(limit)} reached; the vault says retry after ${error.retryAfterSeconds} s (${error.detail})`);
	// A real service would queue the work and come back after error.retryAfterSeconds.
}
