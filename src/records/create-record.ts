import { actorOf } from "../audit/actor";
import type { AuditEvent } from "../audit/entry";
import type { Principal } from "../auth/principal";
import type { Env } from "../env";
import type { Services } from "../http/services";
import { IdempotencyStore } from "../idempotency/store";
import { courierIssuerOf } from "./courier-issuer";
import { createOnce } from "./create";
import { live } from "./live";
import { prepareRecord } from "./prepare";
import { expiryFor } from "./retention";
import { retentionPolicy } from "./retention-policy";
import type { RecordInput, RecordView } from "./schemas";
import type { NewRecord } from "./store";
import { recordView } from "./view";

/** Who creates, what, and under which Idempotency-Key (already checked by idempotencyKeyFrom). */
export interface CreateCall {
	principal: Principal;
	input: RecordInput;
	idempotencyKey: string | undefined;
}

export function createdEvent(record: NewRecord, principal: Principal, now: number): AuditEvent {
	const details: AuditEvent["details"] = {
		shipment_id: record.shipmentId,
		party: record.party,
		depot: record.depot,
		courier: record.courier,
		key_id: record.sealed.keyId,
	};
	return { kind: "record.created", at: now, actor: actorOf(principal), recordId: record.id, details };
}

/**
 * Creates one record at most once per Idempotency-Key, audited as `record.created`: the one path
 * for `POST /v1/records` and the Workers RPC entrypoint, so both apply the same rules.
 */
export async function createRecord(services: Services, env: Env, call: CreateCall, now: number): Promise<{ view: RecordView; replayed: boolean }> {
	const { principal, input } = call;
	const retention = retentionPolicy(env, [input.retention_days], () => "/retention_days");
	const courierIssuer = courierIssuerOf(services.issuers, input.courier_issuer, "/courier_issuer");
	const keyring = await services.keyring;
	const store = services.records;
	let created: NewRecord | undefined;
	const result = await createOnce(
		{ records: store, idempotency: new IdempotencyStore(env.DB), keyring },
		{ principal: `${principal.issuer} ${principal.subject}`, idempotencyKey: call.idempotencyKey, body: input },
		async () => {
			created = await prepareRecord(keyring, input, { courierIssuer }, principal.subject, now, expiryFor(input.retention_days, retention, now));
			return { records: [created], events: [createdEvent(created, principal, now)] };
		},
		now,
	);
	// A replay answers with the record as it is now: if it was erased since, the retry learns that.
	// The request that lost a race under one key built a record too; the answer is the winner's.
	const view =
		created && !result.replayed ? recordView({ ...created, updatedAt: now, erasedAt: null }) : recordView(live(await store.get(result.ids[0] as string)));
	return { view, replayed: result.replayed };
}
