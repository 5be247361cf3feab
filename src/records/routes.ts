import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { actorOf } from "../audit/actor";
import type { AuditEvent } from "../audit/entry";
import type { Principal } from "../auth/principal";
import { phoneIndexCandidates } from "../crypto/blind-index";
import type { AppEnv } from "../http/app-env";
import { authorize } from "../http/auth";
import { jsonBody } from "../http/json-body";
import { idempotencyKeyRequest, idempotentReplayedHeader } from "../http/openapi-headers";
import { authenticatedErrors, bodyErrors, conflict, gone, jsonBodyOf, jsonResponse, notFound, problem, unprocessable } from "../http/openapi-responses";
import { ProblemError } from "../http/problem";
import { createRouter } from "../http/router";
import { IdempotencyStore } from "../idempotency/store";
import { reachLimiter } from "../limits/limiter-client";
import { rateLimitHeaders } from "../limits/rate-limit-headers";
import { isAssignedTo } from "./assignment";
import { courierIssuerOf } from "./courier-issuer";
import { createOnce, idempotencyKeyFrom } from "./create";
import { eraseOnRequest } from "./erasure";
import { normalizePhone } from "./phone";
import { prepareRecord } from "./prepare";
import { expiryFor } from "./retention";
import { retentionPolicy } from "./retention-policy";
import {
	BatchCreated,
	BatchInput,
	ErasureReceipt,
	ErasureRequest,
	LookupQuery,
	PhoneLookupInput,
	ReassignInput,
	RecordIdParam,
	RecordInput,
	RecordList,
	RecordView,
} from "./schemas";
import type { NewRecord, StoredRecord } from "./store";
import { recordView } from "./view";

const PHONE_LOOKUP_LIMIT = 100;

const writer = authorize({ service: ["records:write"] });
const reader = authorize({ service: ["records:read"] });

function live(record: StoredRecord | null): StoredRecord {
	if (!record)
		throw new ProblemError("not-found", { detail: "No record with this id: check the id, or find records by shipment with GET /v1/records?shipment_id=." });
	if (record.erasedAt !== null)
		throw new ProblemError("record-erased", {
			detail: "The record was erased (retention or erasure request); its contact data is gone. Create a new record if the shipment needs one.",
		});
	return record;
}

function createdEvent(record: NewRecord, principal: Principal, now: number, batchSize?: number): AuditEvent {
	const details: AuditEvent["details"] = {
		shipment_id: record.shipmentId,
		party: record.party,
		depot: record.depot,
		courier: record.courier,
		key_id: record.sealed.keyId,
	};
	if (batchSize !== undefined) details.batch_size = batchSize;
	return { kind: "record.created", at: now, actor: actorOf(principal), recordId: record.id, details };
}

export const recordRoutes = createRouter();

recordRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		summary: "Create one record",
		tags: ["records"],
		middleware: [writer, jsonBody()] as const,
		request: { headers: idempotencyKeyRequest, body: jsonBodyOf(RecordInput) },
		responses: {
			201: { ...jsonResponse("Created; the body shows the masked view only.", RecordView), headers: idempotentReplayedHeader },
			...bodyErrors,
			...authenticatedErrors,
			...conflict("A live record exists for this shipment and party."),
			...unprocessable("Validation failed, or the Idempotency-Key was used with another body."),
		},
	}),
	async (c) => {
		const input = c.req.valid("json");
		const principal = c.get("principal");
		const services = c.var.services;
		const retention = retentionPolicy(c.env, [input.retention_days], () => "/retention_days");
		const courierIssuer = courierIssuerOf(services.issuers, input.courier_issuer, "/courier_issuer");
		const keyring = await services.keyring;
		const store = services.records;
		const now = Date.now();
		let created: NewRecord | undefined;
		const result = await createOnce(
			{ records: store, idempotency: new IdempotencyStore(c.env.DB), keyring },
			{ principal: `${principal.issuer} ${principal.subject}`, idempotencyKey: idempotencyKeyFrom(c.req.header("Idempotency-Key")), body: input },
			async () => {
				created = await prepareRecord(keyring, input, { courierIssuer }, principal.subject, now, expiryFor(input.retention_days, retention, now));
				return { records: [created], events: [createdEvent(created, principal, now)] };
			},
			now,
		);
		if (result.replayed) c.header("Idempotent-Replayed", "true");
		// A replay answers with the record as it is now: if it was erased since, the retry learns that.
		// The request that lost a race under one key built a record too; the answer is the winner's.
		const view =
			created && !result.replayed ? recordView({ ...created, updatedAt: now, erasedAt: null }) : recordView(live(await store.get(result.ids[0] as string)));
		return c.json(view, 201);
	},
);

recordRoutes.openapi(
	createRoute({
		method: "post",
		path: "/batch",
		summary: "Create up to 1000 records, all or nothing",
		tags: ["records"],
		middleware: [writer, jsonBody()] as const,
		request: { headers: idempotencyKeyRequest, body: jsonBodyOf(BatchInput) },
		responses: {
			201: { ...jsonResponse("All records created, ids in input order.", BatchCreated), headers: idempotentReplayedHeader },
			...bodyErrors,
			...authenticatedErrors,
			...conflict("A live record exists for a shipment and party of the batch; nothing was written."),
		},
	}),
	async (c) => {
		const { records: inputs } = c.req.valid("json");
		const retention = retentionPolicy(
			c.env,
			inputs.map((input) => input.retention_days),
			(index) => `/records/${index}/retention_days`,
		);
		const principal = c.get("principal");
		const services = c.var.services;
		const courierIssuers = inputs.map((input, index) => courierIssuerOf(services.issuers, input.courier_issuer, `/records/${index}/courier_issuer`));
		const keyring = await services.keyring;
		const now = Date.now();
		const result = await createOnce(
			{ records: services.records, idempotency: new IdempotencyStore(c.env.DB), keyring },
			{ principal: `${principal.issuer} ${principal.subject}`, idempotencyKey: idempotencyKeyFrom(c.req.header("Idempotency-Key")), body: inputs },
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
		if (result.replayed) c.header("Idempotent-Replayed", "true");
		return c.json({ ids: result.ids }, 201);
	},
);

recordRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		summary: "The records of a shipment (services, and employees within their scope), masked; counted and audited like every lookup",
		description:
			"What a terminal shows after scanning a parcel. Every lookup counts against the caller's lookup limits and is audited (one entry per caller per minute, with the records found). For an employee, a lookup that finds nothing in their scope is a miss; misses have a limit of their own (60 an hour by default), then every lookup is 429 until it frees, and ops are alerted. A phone, name or address in the query is refused (400): use POST /v1/records/lookup.",
		tags: ["records"],
		middleware: [authorize({ service: ["records:read"], employee: ["reveal"] })] as const,
		request: { query: LookupQuery },
		responses: {
			200: jsonResponse("Matching live records, masked. `RateLimit-Policy` and `RateLimit` headers say where the lookup limits stand.", RecordList),
			400: problem("Contact data in the URL; nothing was read or written."),
			...authenticatedErrors,
			...unprocessable("Not a shipment id."),
			429: problem("A lookup limit is reached (`limit` says which); `Retry-After` says when."),
		},
	}),
	async (c) => {
		const { shipment_id } = c.req.valid("query");
		const principal = c.get("principal");
		const records = await c.var.services.records.findByShipment(shipment_id);
		const visible = principal.kind === "employee" ? records.filter((record) => isAssignedTo(principal, record)) : records;
		await countLookup(c, "shipment", visible, principal.kind === "employee" && visible.length === 0);
		return c.json({ records: visible.map(recordView) }, 200);
	},
);

/**
 * Counts a lookup in the caller's limiter, after it was read: whether it found anything is part of
 * the decision (a miss), and the records it found go into the caller's per-minute audit entry. A
 * refused lookup answers 429 and shows nothing of what was read.
 */
async function countLookup(c: Context<AppEnv>, kind: "phone" | "shipment", found: readonly StoredRecord[], miss: boolean): Promise<void> {
	const principal = c.get("principal");
	const services = c.var.services;
	const policy = await services.policyOf(principal, Date.now());
	const ask = { miss, recordIds: found.map((record) => record.id) };
	const decision = await reachLimiter(() => services.limiter(principal).lookup(kind, ask, policy, actorOf(principal)));
	const headers = rateLimitHeaders(decision.usage);
	if (!decision.granted) {
		const retry = String(decision.retryAfterSeconds ?? 60);
		throw new ProblemError("quota-exceeded", {
			detail:
				decision.refusal === "misses"
					? `Too many of your lookups found nothing of yours; lookups resume in ${retry} s. Check the parcel's waybill number.`
					: `Your lookup limit is reached; try again in ${retry} s.`,
			extensions: { limit: decision.refusal },
			headers: { ...headers, "Retry-After": retry },
		});
	}
	for (const [name, value] of Object.entries(headers)) c.header(name, value);
}

recordRoutes.openapi(
	createRoute({
		method: "post",
		path: "/lookup",
		summary: "Look records up by exact phone, through the keyed blind index; the phone travels in the body, never in a URL",
		description:
			"Counts against the caller's lookup limits (120 a minute and 20,000 a day for services by default) and is audited as one entry per caller per minute with the records found, never the phone.",
		tags: ["records"],
		middleware: [reader, jsonBody()] as const,
		request: { body: jsonBodyOf(PhoneLookupInput) },
		responses: {
			200: jsonResponse("Matching live records, masked. `RateLimit-Policy` and `RateLimit` headers say where the lookup limits stand.", RecordList),
			...bodyErrors,
			...authenticatedErrors,
			429: problem("A lookup limit is reached (`limit` says which); `Retry-After` says when."),
		},
	}),
	async (c) => {
		const phone = normalizePhone(c.req.valid("json").phone);
		// The schema refused unnormalizable phones; reaching this is a bug, not bad input.
		if (phone === null) throw new Error("phone passed validation but does not normalize");
		const services = c.var.services;
		const found = await services.records.findByPhoneIndex(await phoneIndexCandidates(await services.keyring, phone), PHONE_LOOKUP_LIMIT);
		await countLookup(c, "phone", found, false);
		return c.json({ records: found.map(recordView) }, 200);
	},
);

recordRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{id}",
		summary: "Masked view and metadata of one record",
		tags: ["records"],
		middleware: [reader] as const,
		request: { params: RecordIdParam },
		responses: { 200: jsonResponse("The record, masked.", RecordView), ...authenticatedErrors, ...notFound, ...gone, ...unprocessable("Not a record id.") },
	}),
	async (c) => {
		const record = live(await c.var.services.records.get(c.req.valid("param").id));
		return c.json(recordView(record), 200);
	},
);

recordRoutes.openapi(
	createRoute({
		method: "patch",
		path: "/{id}",
		summary: "Reassign a record to another depot or courier as the parcel moves",
		tags: ["records"],
		middleware: [writer, jsonBody()] as const,
		request: { params: RecordIdParam, body: jsonBodyOf(ReassignInput) },
		responses: { 200: jsonResponse("The record after reassignment.", RecordView), ...bodyErrors, ...authenticatedErrors, ...notFound, ...gone },
	}),
	async (c) => {
		const { id } = c.req.valid("param");
		const change = c.req.valid("json");
		const services = c.var.services;
		const store = services.records;
		const courier =
			typeof change.courier === "string"
				? { subject: change.courier, issuer: courierIssuerOf(services.issuers, change.courier_issuer, "/courier_issuer") }
				: change.courier;
		const details = {
			...(change.depot !== undefined ? { depot: change.depot } : {}),
			...(courier !== undefined ? { courier: courier?.subject ?? null, courier_issuer: courier?.issuer ?? null } : {}),
		};
		const event = { kind: "record.reassigned", at: Date.now(), actor: actorOf(c.get("principal")), recordId: id, details } as const;
		const updated = await store.reassign(
			id,
			{ ...(change.depot !== undefined ? { depot: change.depot } : {}), ...(courier !== undefined ? { courier } : {}) },
			event,
		);
		return c.json(recordView(updated ?? live(await store.get(id))), 200);
	},
);

recordRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{id}",
		summary: "Erase a record: its data key and ciphertext are destroyed",
		tags: ["records"],
		middleware: [authorize({ service: ["records:delete"] })] as const,
		request: { params: RecordIdParam },
		responses: { 204: { description: "Erased (or already erased); the data can never be decrypted again." }, ...authenticatedErrors, ...notFound },
	}),
	async (c) => {
		const { id } = c.req.valid("param");
		const event = { kind: "record.erased", at: Date.now(), actor: actorOf(c.get("principal")), recordId: id, details: {} } as const;
		const outcome = await c.var.services.records.erase(id, event);
		if (outcome === "not_found")
			throw new ProblemError("not-found", { detail: "No record with this id: check the id, or find records by shipment with GET /v1/records?shipment_id=." });
		return c.body(null, 204);
	},
);

recordRoutes.openapi(
	createRoute({
		method: "post",
		path: "/erasures",
		summary: "Erase every record of a customer (by phone) or of a shipment, for a deletion request; answers with a receipt",
		description:
			"Records are crypto-shredded in batches of up to 500, each batch one audit entry naming its record ids (never the phone). The receipt lists every id erased and the audit entries; an empty list means nothing matched that was not already erased.",
		tags: ["records"],
		middleware: [authorize({ service: ["records:delete"] }), jsonBody()] as const,
		request: { body: jsonBodyOf(ErasureRequest) },
		responses: { 200: jsonResponse("The receipt.", ErasureReceipt), ...bodyErrors, ...authenticatedErrors },
	}),
	async (c) => {
		const principal = c.get("principal");
		const receipt = await eraseOnRequest(c.var.services.records, await c.var.services.keyring, c.req.valid("json"), actorOf(principal), Date.now());
		return c.json(
			{
				matched_by: receipt.matchedBy,
				reference: receipt.reference,
				erased: receipt.erased,
				count: receipt.erased.length,
				erased_at: new Date(receipt.erasedAt).toISOString(),
				audit_seqs: receipt.auditSeqs,
				complete: receipt.complete,
			},
			200,
		);
	},
);
