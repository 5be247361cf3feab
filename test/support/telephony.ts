/**
 * The privacy-number provider simulator as tests see it: a real HTTP server (started by
 * vitest.config.ts, scripts/lib/telephony-simulator.ts) driven over its `/_sim/` control plane.
 *
 * `env.TELEPHONY` points at the simulator's first pool, shared by every test file. A test that
 * switches the provider down, exhausts it, moves its clock or counts its bindings takes a pool of
 * its own with `simulatorPool()`, so test files running side by side never see each other's state.
 */
import { env } from "cloudflare:workers";

export interface SimulatedBinding {
	subs_id: string;
	secret_no: string;
	phone_no_a: string;
	phone_no_b: string;
	expiration: string;
	expires_at: number;
	out_id: string | null;
	is_recording_enabled: boolean;
}

export interface SimulatedCall {
	call_id: string;
	subs_id: string | null;
	secret_no: string;
	phone_no: string;
	peer_no: string | null;
	caller_side: "A" | "B" | null;
	out_id: string | null;
	connected: boolean;
}

export interface SimulatorPool {
	/** A TELEPHONY secret for this pool. */
	telephony: string;
	accessKeyId: string;
	accessKeySecret: string;
	poolKey: string;
	numbers: string[];
	bindings: () => Promise<SimulatedBinding[]>;
	setMode: (mode: "up" | "down" | "hang" | "exhausted" | "throttled") => Promise<void>;
	/** Moves this pool's clock forward: bindings expire as if the time had passed. */
	advance: (ms: number) => Promise<void>;
	/** Someone dials X (`to`) from `from` (national digits). */
	dial: (from: string, to: string) => Promise<{ connected: boolean; record: SimulatedCall }>;
	calls: () => Promise<SimulatedCall[]>;
	requests: () => Promise<{ action: string | null; status: number; code: string }[]>;
}

async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
	const response = await fetch(`${env.TEST_TELEPHONY_CONTROL}/_sim${path}`, {
		method,
		headers: body === undefined ? {} : { "Content-Type": "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	if (!response.ok) throw new Error(`simulator control ${method} ${path}: ${response.status} ${await response.text()}`);
	return (await response.json()) as T;
}

export async function simulatorPool(options: { numbers?: string[]; capacity?: number } = {}): Promise<SimulatorPool> {
	const created = await control<{ access_key_id: string; access_key_secret: string; pool_key: string; numbers: string[]; telephony: string }>(
		"POST",
		"/pools",
		options,
	);
	const at = `/pools/${encodeURIComponent(created.pool_key)}`;
	return {
		telephony: created.telephony,
		accessKeyId: created.access_key_id,
		accessKeySecret: created.access_key_secret,
		poolKey: created.pool_key,
		numbers: created.numbers,
		bindings: async () => (await control<{ bindings: SimulatedBinding[] }>("GET", `${at}/bindings`)).bindings,
		setMode: async (mode) => void (await control("POST", `${at}/mode`, { mode })),
		advance: async (ms) => void (await control("POST", `${at}/advance`, { ms })),
		dial: (from, to) => control("POST", `${at}/calls`, { from, to }),
		calls: async () => (await control<{ calls: SimulatedCall[] }>("GET", `${at}/calls`)).calls,
		requests: async () => (await control<{ requests: { action: string | null; status: number; code: string }[] }>("GET", `${at}/requests`)).requests,
	};
}

/**
 * The live bindings of the shared pool (`env.TELEPHONY`), where the worker's own RPC entrypoint
 * and fetch handler bind when a test cannot hand them another TELEPHONY. Other test files bind
 * there too: read it by your own call ids (`out_id`), never by count, and never change its mode.
 */
export async function sharedPoolBindings(): Promise<SimulatedBinding[]> {
	const { pool_key } = JSON.parse(env.TELEPHONY ?? "{}") as { pool_key?: string };
	if (!pool_key) throw new Error("env.TELEPHONY names no pool");
	return (await control<{ bindings: SimulatedBinding[] }>("GET", `/pools/${encodeURIComponent(pool_key)}/bindings`)).bindings;
}
