import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { reportWork, type WorkKind, type WorkOf } from "./work";

export interface CallOptions {
	token?: string;
	body?: unknown;
	/** Sent as is, instead of JSON-encoding `body`. */
	rawBody?: BodyInit;
	headers?: Record<string, string>;
}

/** Calls the worker's own fetch handler in workerd, as a client over HTTP would. */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
	return exports.default.fetch(request(method, path, options));
}

function request(method: string, path: string, options: CallOptions): Request {
	const headers = new Headers(options.headers);
	if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
	let body: BodyInit | undefined = options.rawBody;
	if (options.body !== undefined) {
		body = JSON.stringify(options.body);
		if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
	}
	return new Request(`https://vault.test${path}`, { method, headers, body });
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
	return (await response.json()) as T;
}

let sequence = 0;

/** A valid record body; every call gets its own shipment id. */
export function recordBody(overrides: Record<string, unknown> = {}) {
	sequence += 1;
	return {
		shipment_id: `SF${String(Date.now()).slice(-6)}${String(sequence).padStart(5, "0")}`,
		party: "recipient",
		contact: { name: "张三", phone: "138 1234 5678", address: "广东省深圳市南山区科技园路1号" },
		depot: "SZ-NS-01",
		courier: "courier-0042",
		...overrides,
	};
}

/**
 * Calls the worker with some variables changed (another keyring, another batch size): the same
 * bindings otherwise, the same D1 and Durable Objects. Waits for what the request left running.
 */
export async function callWith(overrides: Partial<Env>, method: string, path: string, options: CallOptions = {}): Promise<Response> {
	const ctx = createExecutionContext();
	const response = await worker.fetch(request(method, path, options), { ...env, ...overrides }, ctx);
	await waitOnExecutionContext(ctx);
	return response;
}

/**
 * Creates `count` records in one batch as `service`, each with `fields` over a fresh body, and
 * reports work on them (test/support/work.ts: the courier's round by default) unless `work` is false; their ids.
 */
export async function createRecords(service: string, count: number, fields: Record<string, unknown>, work: WorkKind | false = "round"): Promise<string[]> {
	const bodies = Array.from({ length: count }, () => recordBody(fields));
	const response = await call("POST", "/v1/records/batch", { token: service, body: { records: bodies } });
	if (response.status !== 201) throw new Error(`batch create answered ${response.status}: ${await response.text()}`);
	if (work) await reportWork(service, bodies as WorkOf[], work);
	return (await json<{ ids: string[] }>(response)).ids;
}

/**
 * A reveal ask, as an employee's terminal sends it (a customer_service ask names a case). By
 * default the one field every purpose of the ask allows without more: the phone where the purpose
 * covers nothing else, otherwise the name (a delivery or pickup phone needs a call first, DESIGN
 * "Calls instead of numbers": test/phone-reveals.test.ts).
 */
export const askReveal = (bearer: string, recordId: string, purpose = "delivery", fields = defaultFields(purpose)) =>
	call("POST", "/v1/reveals", {
		token: bearer,
		body: { record_id: recordId, fields, purpose, ...(purpose === "customer_service" ? { case_id: "CS-TEST-1" } : {}) },
	});

export const defaultFields = (purpose: string): string[] => (purpose === "customer_service" || purpose === "notify" ? ["phone"] : ["name"]);
