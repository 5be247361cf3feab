import { createRoute } from "@hono/zod-openapi";
import { type Admits, authorize } from "../http/auth";
import { jsonBody } from "../http/json-body";
import { idempotencyKeyRequest, idempotentReplayedHeader } from "../http/openapi-headers";
import { authenticatedErrors, bodyErrors, conflict, gone, jsonBodyOf, jsonResponse, notFound, problem, unprocessable } from "../http/openapi-responses";
import { createRouter } from "../http/router";
import { idempotencyKeyFrom } from "./create";
import { createBatch } from "./create-batch";
import { createRecord } from "./create-record";
import { eraseRecord } from "./erase-record";
import { live } from "./live";
import { lookupByPhone, lookupByShipment } from "./lookups";
import { reassignRecord } from "./reassign-record";
import { requestErasure } from "./request-erasure";
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
	ShipmentRecordList,
} from "./schemas";
import { recordView } from "./view";

/**
 * Who may call what, shared with the Workers RPC entrypoint (src/rpc/) so that both check the same
 * scopes: services write, read and erase records; employees reach a shipment's records with `reveal`.
 */
export const RECORD_ADMITS: Record<"write" | "read" | "shipmentLookup" | "delete", Admits> = {
	write: { service: ["records:write"] },
	read: { service: ["records:read"] },
	shipmentLookup: { service: ["records:read"], employee: ["reveal"] },
	delete: { service: ["records:delete"] },
};

const writer = authorize(RECORD_ADMITS.write);
const reader = authorize(RECORD_ADMITS.read);
const eraser = authorize(RECORD_ADMITS.delete);

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
		const call = { principal: c.get("principal"), input: c.req.valid("json"), idempotencyKey: idempotencyKeyFrom(c.req.header("Idempotency-Key")) };
		const { view, replayed } = await createRecord(c.var.services, c.env, call, Date.now());
		if (replayed) c.header("Idempotent-Replayed", "true");
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
		const call = { principal: c.get("principal"), records: c.req.valid("json").records, idempotencyKey: idempotencyKeyFrom(c.req.header("Idempotency-Key")) };
		const result = await createBatch(c.var.services, c.env, call, Date.now());
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
		middleware: [authorize(RECORD_ADMITS.shipmentLookup)] as const,
		request: { query: LookupQuery },
		responses: {
			200: jsonResponse(
				"The shipment's live records in your scope, masked, each with your work on it (`leg`); for an employee, `shipment_known` tells a parcel of your depot that is not yours from a number your depot does not hold. `RateLimit-Policy` and `RateLimit` headers say where the lookup limits stand.",
				ShipmentRecordList,
			),
			400: problem("Contact data in the URL; nothing was read or written."),
			...authenticatedErrors,
			...unprocessable("Not a shipment id."),
			429: problem("A lookup limit is reached (`limit` says which); `Retry-After` says when."),
		},
	}),
	async (c) => {
		const { records, shipmentKnown, rateLimit } = await lookupByShipment(c.var.services, c.get("principal"), c.req.valid("query").shipment_id);
		for (const [name, value] of Object.entries(rateLimit)) c.header(name, value);
		return c.json({ records, ...(shipmentKnown === undefined ? {} : { shipment_known: shipmentKnown }) }, 200);
	},
);

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
		const { records, rateLimit } = await lookupByPhone(c.var.services, c.get("principal"), c.req.valid("json").phone);
		for (const [name, value] of Object.entries(rateLimit)) c.header(name, value);
		return c.json({ records }, 200);
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
		const call = { principal: c.get("principal"), id: c.req.valid("param").id, change: c.req.valid("json") };
		return c.json(await reassignRecord(c.var.services, call, Date.now()), 200);
	},
);

recordRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{id}",
		summary: "Erase a record: its data key and ciphertext are destroyed",
		tags: ["records"],
		middleware: [eraser] as const,
		request: { params: RecordIdParam },
		responses: { 204: { description: "Erased (or already erased); the data can never be decrypted again." }, ...authenticatedErrors, ...notFound },
	}),
	async (c) => {
		await eraseRecord(c.var.services, c.get("principal"), c.req.valid("param").id, Date.now());
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
		middleware: [eraser, jsonBody()] as const,
		request: { body: jsonBodyOf(ErasureRequest) },
		responses: { 200: jsonResponse("The receipt.", ErasureReceipt), ...bodyErrors, ...authenticatedErrors },
	}),
	async (c) => {
		return c.json(await requestErasure(c.var.services, c.get("principal"), c.req.valid("json"), Date.now()), 200);
	},
);
