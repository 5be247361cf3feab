import { actorOf } from "../audit/actor";
import type { AuditEvent } from "../audit/entry";
import type { Principal } from "../auth/principal";
import type { Env } from "../env";
import type { Services } from "../http/services";
import { IdempotencyStore } from "../idempotency/store";
import { courierIssuerOf } from "./courier-issuer";
import { createOnce } from "./create";
import { prepareRecord } from "./prepare";
import { expiryFor } from "./retention";
import { retentionPolicy } from "./retention-policy";
import type { RecordInput } from "./schemas";

/** Who creates which records (BatchInput's, validated), under which Idempotency-Key (checked by idempotencyKeyFrom). */
export interface BatchCall {
	principal: Principal;
	records: RecordInput[];
	idempotencyKey: string | undefined;
}

/**
 * Creates up to 1000 records in one D1 transaction, all or nothing, at most once per
 * Idempotency-Key, audited as one `record.batch_created`: the one path for
 * `POST /v1/records/batch` and the Workers RPC entrypoint. The ids are in input order.
 */
export async function createBatch(services: Services, env: Env, call: BatchCall, now: number): Promise<{ ids: string[]; replayed: boolean }> {
	const { principal, records: inputs } = call;
	const retention = retentionPolicy(
		env,
		inputs.map((input) => input.retention_days),
		(index) => `/records/${index}/retention_days`,
	);
	const courierIssuers = inputs.map((input, index) => courierIssuerOf(services.issuers, input.courier_issuer, `/records/${index}/courier_issuer`));
	const keyring = await services.keyring;
	return createOnce(
		{ records: services.records, idempotency: new IdempotencyStore(env.DB), keyring },
		{ principal: `${principal.issuer} ${principal.subject}`, idempotencyKey: call.idempotencyKey, body: inputs },
		async () => {
			const records = await Promise.all(
				inputs.map((input, index) =>
					prepareRecord(
						keyring,
						input,
						{ courierIssuer: courierIssuers[index] ?? null },
						principal.subject,
						now,
						expiryFor(input.retention_days, retention, now),
					),
				),
			);
			// One entry for the batch, its ids indexed, so each record's history (GET /v1/audit?record_id=)
			// still starts at its creation: a thousand entries per batch cost half the ingest rate.
			const ids = records.map((record) => record.id);
			const event: AuditEvent = {
				kind: "record.batch_created",
				at: now,
				actor: actorOf(principal),
				recordId: null,
				details: { count: ids.length, ids },
				recordIds: ids,
			};
			return { records, events: [event] };
		},
		now,
	);
}
