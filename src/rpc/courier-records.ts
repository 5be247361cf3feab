import { WorkerEntrypoint } from "cloudflare:workers";
import type { z } from "zod";
import type { Principal } from "../auth/principal";
import type { Env } from "../env";
import { type Admits, scopeRefusal } from "../http/auth";
import { problemOf } from "../http/error-handler";
import { problemBody } from "../http/problem";
import { type Services, services } from "../http/services";
import { validationFailed } from "../http/validation";
import { idempotencyKeyFrom } from "../records/create";
import { createBatch } from "../records/create-batch";
import { createRecord } from "../records/create-record";
import { eraseRecord } from "../records/erase-record";
import { live } from "../records/live";
import { lookupByPhone, lookupByShipment } from "../records/lookups";
import { reassignRecord } from "../records/reassign-record";
import { requestErasure } from "../records/request-erasure";
import { RECORD_ADMITS } from "../records/routes";
import {
	BatchInput,
	type ErasureReceiptView,
	ErasureRequest,
	LookupQuery,
	PhoneLookupInput,
	ReassignInput,
	RecordIdParam,
	RecordInput,
	type RecordView,
} from "../records/schemas";
import { recordView } from "../records/view";
import { reportShipmentEvents } from "../shipments/report-events";
import { SHIPMENT_EVENTS_ADMITS } from "../shipments/routes";
import { ShipmentEventsInput } from "../shipments/schemas";
import { type CourierProps, callerOf } from "./caller";
import type { RpcOutcome, RpcProblem } from "./outcome";

/** Parses what an RPC caller sent as HTTP would parse the body or query: the same schema, the same 422. */
function parsed<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
	const result = schema.safeParse(value);
	if (!result.success) throw validationFailed(result.error);
	return result.data;
}

/**
 * Records over Workers RPC, for courier microservices that run on Workers and reach the vault by
 * a service binding to this entrypoint (README "Workers RPC"). The caller is the service its
 * binding's `props` name; each method checks the same scopes as its HTTP operation and calls the
 * same code, so limits, audit entries and problems are those of HTTP.
 */
export class CourierRecords extends WorkerEntrypoint<Env, CourierProps> {
	/** `POST /v1/records`: one record, at most once per idempotency key (1–255 visible ASCII characters). */
	createRecord(input: z.input<typeof RecordInput>, options: { idempotencyKey?: string } = {}): Promise<RpcOutcome<{ record: RecordView; replayed: boolean }>> {
		return this.run("createRecord", RECORD_ADMITS.write, async (principal, services) => {
			const call = { principal, input: parsed(RecordInput, input), idempotencyKey: idempotencyKeyFrom(options.idempotencyKey) };
			const { view, replayed } = await createRecord(services, this.env, call, Date.now());
			return { value: { record: view, replayed } };
		});
	}

	/** `POST /v1/records/batch`: up to 1000 records in one transaction, all or nothing, at most once per idempotency key; ids in input order. */
	createRecords(input: z.input<typeof BatchInput>, options: { idempotencyKey?: string } = {}): Promise<RpcOutcome<{ ids: string[]; replayed: boolean }>> {
		return this.run("createRecords", RECORD_ADMITS.write, async (principal, services) => {
			const call = { principal, records: parsed(BatchInput, input).records, idempotencyKey: idempotencyKeyFrom(options.idempotencyKey) };
			return { value: await createBatch(services, this.env, call, Date.now()) };
		});
	}

	/** `GET /v1/records/{id}`: the masked view; a `not-found` or `record-erased` problem otherwise. */
	getRecord(id: string): Promise<RpcOutcome<RecordView>> {
		return this.run("getRecord", RECORD_ADMITS.read, async (_principal, services) => {
			const param = parsed(RecordIdParam, { id });
			return { value: recordView(live(await services.records.get(param.id))) };
		});
	}

	/** `PATCH /v1/records/{id}`: reassignment to another depot or courier (`courier: null` unassigns), audited as `record.reassigned`. */
	reassignRecord(id: string, change: z.input<typeof ReassignInput>): Promise<RpcOutcome<RecordView>> {
		return this.run("reassignRecord", RECORD_ADMITS.write, async (principal, services) => {
			const call = { principal, id: parsed(RecordIdParam, { id }).id, change: parsed(ReassignInput, change) };
			return { value: await reassignRecord(services, call, Date.now()) };
		});
	}

	/**
	 * `DELETE /v1/records/{id}`: crypto-shreds the record, audited as `record.erased`. Answers `null`
	 * as HTTP answers 204, for an erased record too; an unknown id is `not-found`.
	 */
	eraseRecord(id: string): Promise<RpcOutcome<null>> {
		return this.run("eraseRecord", RECORD_ADMITS.delete, async (principal, services) => {
			await eraseRecord(services, principal, parsed(RecordIdParam, { id }).id, Date.now());
			return { value: null };
		});
	}

	/**
	 * `POST /v1/records/erasures`: every record of a customer's phone or of a shipment (exactly one
	 * of them), erased in batches each audited as `record.batch_erased`; the receipt as HTTP sends it.
	 */
	requestErasure(request: z.input<typeof ErasureRequest>): Promise<RpcOutcome<ErasureReceiptView>> {
		return this.run("requestErasure", RECORD_ADMITS.delete, async (principal, services) => {
			return { value: await requestErasure(services, principal, parsed(ErasureRequest, request), Date.now()) };
		});
	}

	/** `POST /v1/records/lookup`: exact phone lookup, counted and audited as a lookup. */
	lookupByPhone(phone: string): Promise<RpcOutcome<{ records: RecordView[] }>> {
		return this.run("lookupByPhone", RECORD_ADMITS.read, async (principal, services) => {
			const { records, rateLimit } = await lookupByPhone(services, principal, parsed(PhoneLookupInput, { phone }).phone);
			return { value: { records }, headers: rateLimit };
		});
	}

	/** `GET /v1/records?shipment_id=`: a shipment's records, counted and audited as a lookup. */
	lookupByShipment(shipmentId: string): Promise<RpcOutcome<{ records: RecordView[] }>> {
		return this.run("lookupByShipment", RECORD_ADMITS.shipmentLookup, async (principal, services) => {
			const { records, rateLimit } = await lookupByShipment(services, principal, parsed(LookupQuery, { shipment_id: shipmentId }).shipment_id);
			return { value: { records }, headers: rateLimit };
		});
	}

	/** `POST /v1/shipment-events`: up to 1000 events, all or nothing, at most once per idempotency key; they open and close legs, and a closed leg's calls are unbound. */
	reportShipmentEvents(
		input: z.input<typeof ShipmentEventsInput>,
		options: { idempotencyKey?: string } = {},
	): Promise<RpcOutcome<{ accepted: number; shipments: string[]; replayed: boolean }>> {
		return this.run("reportShipmentEvents", SHIPMENT_EVENTS_ADMITS, async (principal, services) => {
			const call = { principal, input: parsed(ShipmentEventsInput, input), idempotencyKey: idempotencyKeyFrom(options.idempotencyKey) };
			const result = await reportShipmentEvents(services, this.env, call, Date.now(), this.ctx);
			return { value: { accepted: result.accepted, shipments: result.shipments, replayed: result.replayed } };
		});
	}

	/** Authenticates the binding's props, checks `admits` as the HTTP middleware does, runs `work`, and turns any failure into its problem. */
	private async run<T>(
		method: string,
		admits: Admits,
		work: (principal: Principal, services: Services) => Promise<{ value: T; headers?: Record<string, string> }>,
	): Promise<RpcOutcome<T>> {
		const where = `rpc:CourierRecords.${method}`;
		try {
			const principal = callerOf(this.env, this.ctx.props, where);
			const refused = scopeRefusal(admits, principal, where);
			if (refused) throw refused;
			const { value, headers } = await work(principal, services(this.env, this.ctx));
			return { ok: true, value, headers: headers ?? {} };
		} catch (error) {
			const problem = problemOf(error, { env: this.env, ctx: () => this.ctx, path: where });
			// Extension members are JSON by construction: they are what HTTP serializes into the problem body.
			return { ok: false, problem: problemBody(problem) as RpcProblem, headers: problem.headers };
		}
	}
}
