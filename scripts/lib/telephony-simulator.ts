/**
 * A local stand-in for Alibaba Cloud Phone Number Privacy Protection (Dyplsapi 2017-05-25) that
 * speaks the same HTTP API: RPC-style requests (GET query or POST form body) signed with
 * HMAC-SHA1, `BindAxb`, `UnbindSubscription` and `QuerySubscriptionDetail`, JSON answers with
 * `Code`/`Message`/`RequestId`. It runs under `npm run dev`, in the tests and in the e2e harness
 * whenever TELEPHONY is not set, so the vault's adapter is exercised over real HTTP.
 *
 * Like the real service it checks the signature (SignatureDoesNotMatch), the key id
 * (InvalidAccessKeyId.NotFound), the Timestamp's freshness (InvalidTimeStamp.Expired, 15 minutes)
 * and nonce reuse (SignatureNonceUsed); hands out X numbers from a pool, one X serving up to
 * `capacity` A–B pairs at once but never the same A or B twice at once; drops bindings when their
 * Expiration (China Standard Time) passes; and keeps call records.
 *
 * Every pool is a separate tenant with its own credentials and state, so tests can switch one
 * down or exhaust it without disturbing another. Control endpoints live under `/_sim/`, a path
 * the real API never uses:
 *
 *   POST /_sim/pools                      new pool → {access_key_id, access_key_secret, pool_key, numbers}
 *                                          body (optional): {numbers?: string[], capacity?: number}
 *   GET  /_sim/pools/{pool}/bindings      live bindings (with A and B: the provider's own view)
 *   POST /_sim/pools/{pool}/mode          {mode: "up" | "down" | "hang" | "exhausted" | "throttled"}
 *   POST /_sim/pools/{pool}/advance       {ms}: move this pool's clock forward (expiry, call times)
 *   POST /_sim/pools/{pool}/calls         {from, to}: someone dials X=to from `from`; → {connected, record}
 *   GET  /_sim/pools/{pool}/calls         call records
 *   GET  /_sim/pools/{pool}/requests      what each API request asked and how it was answered (no numbers)
 *
 * It never logs a phone number: it logs nothing at all.
 */
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

const API_VERSION = "2017-05-25";
const TIMESTAMP_TOLERANCE_MS = 15 * 60 * 1000;
const CHINA_STANDARD_TIME_OFFSET_MS = 8 * 60 * 60 * 1000;
/** About 200 A–B pairs share one X on Alibaba (REFERENCES.md, "Privacy numbers"). */
const DEFAULT_CAPACITY = 200;

export interface SimulatorPoolOptions {
	accessKeyId: string;
	accessKeySecret: string;
	poolKey: string;
	/** X numbers of the pool, national digits. Default: ten 170 numbers. */
	numbers?: string[];
	/** A–B pairs one X serves at once. */
	capacity?: number;
}

export interface TelephonySimulatorOptions extends Partial<SimulatorPoolOptions> {
	/** Port on 127.0.0.1; 0 (default) picks a free one. */
	port?: number;
}

export interface SimulatedBinding {
	subs_id: string;
	pool_key: string;
	secret_no: string;
	phone_no_a: string;
	phone_no_b: string;
	/** As the request gave it, China Standard Time. */
	expiration: string;
	expires_at: number;
	out_id: string | null;
	expect_city: string | null;
	is_recording_enabled: boolean;
	created_at: number;
}

/** Fields after Alibaba's call-record receipt (SecretCallStatusReport), trimmed to what the vault can use. */
export interface CallRecord {
	call_id: string;
	pool_key: string;
	subs_id: string | null;
	secret_no: string;
	/** The dialling party's number, and whom it reached (null when X had no live binding for it). */
	phone_no: string;
	peer_no: string | null;
	/** "A" or "B": which side of the binding dialled. */
	caller_side: "A" | "B" | null;
	out_id: string | null;
	call_time: number;
	connected: boolean;
}

export interface RequestLogEntry {
	action: string | null;
	method: string;
	status: number;
	code: string;
	at: number;
	/** The simulator's own time for the request, from its arrival to the answer, in ms (the bench reports it apart). */
	ms: number;
}

type Mode = "up" | "down" | "hang" | "exhausted" | "throttled";

interface Pool {
	accessKeyId: string;
	accessKeySecret: string;
	poolKey: string;
	numbers: string[];
	capacity: number;
	mode: Mode;
	clockOffset: number;
	bindings: Map<string, SimulatedBinding>;
	calls: CallRecord[];
	requests: RequestLogEntry[];
	/** Nonces seen, with when (real time), forgotten once their Timestamp window has passed. */
	nonces: Map<string, number>;
}

export interface TelephonySimulator {
	/** Base URL of the API (and of `/_sim/` under it). */
	url: string;
	/** The TELEPHONY secret that points the vault at this simulator's first pool. */
	telephony: string;
	/** The first pool's credentials (given, or made up when not). */
	pool: SimulatorPoolOptions;
	server: Server;
	close: () => Promise<void>;
	/** Adds a pool in-process (what `POST /_sim/pools` does). */
	addPool: (options?: Partial<SimulatorPoolOptions>) => SimulatorPoolOptions;
}

// --- Alibaba's RPC signature, written independently of src/calls so that the two check each other ---

function percentEncode(value: string): string {
	let out = "";
	for (const byte of Buffer.from(value, "utf8")) {
		const c = String.fromCharCode(byte);
		out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
	}
	return out;
}

export function simulatorSignature(method: string, parameters: Record<string, string>, secret: string): string {
	const canonical = Object.keys(parameters)
		.filter((name) => name !== "Signature")
		.sort()
		.map((name) => `${percentEncode(name)}=${percentEncode(parameters[name] as string)}`)
		.join("&");
	const toSign = `${method}&${percentEncode("/")}&${percentEncode(canonical)}`;
	return createHmac("sha1", `${secret}&`).update(toSign, "utf8").digest("base64");
}

/** The worked example of Alibaba's RPC signature documentation; the simulator refuses to start if it cannot reproduce it. */
function selfCheck(): void {
	const documented = simulatorSignature(
		"GET",
		{
			AccessKeyId: "testid",
			Action: "DescribeRegions",
			Format: "XML",
			SignatureMethod: "HMAC-SHA1",
			SignatureNonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
			SignatureVersion: "1.0",
			Timestamp: "2016-02-23T12:46:24Z",
			Version: "2014-05-26",
		},
		"testsecret",
	);
	if (documented !== "OLeaidS1JvxuMvnyHOwuJ+uX5qY=") throw new Error("telephony simulator: signature self-check failed");
}

// --- helpers -------------------------------------------------------------------------------------

function defaultNumbers(): string[] {
	const base = 17000000000 + Math.floor(Math.random() * 90_000) * 100;
	return Array.from({ length: 10 }, (_, i) => String(base + i + 1));
}

function randomId(bytes = 12): string {
	return randomBytes(bytes).toString("hex");
}

/** `yyyy-MM-dd HH:mm:ss` in China Standard Time → ms since the epoch, or null. */
function parseExpiration(value: string): number | null {
	const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
	if (!match) return null;
	const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
	const utc = Date.UTC(y, mo - 1, d, h, mi, s);
	const check = new Date(utc);
	if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
	return utc - CHINA_STANDARD_TIME_OFFSET_MS;
}

const PHONE = /^\d{5,20}$/;

async function readBody(request: IncomingMessage): Promise<string> {
	let body = "";
	for await (const chunk of request) {
		body += chunk;
		if (body.length > 64 * 1024) throw new Error("body too large");
	}
	return body;
}

function send(response: ServerResponse, status: number, body: unknown): void {
	response.writeHead(status, { "Content-Type": "application/json;charset=utf-8" }).end(JSON.stringify(body));
}

// --- the simulator -------------------------------------------------------------------------------

export async function startTelephonySimulator(options: TelephonySimulatorOptions = {}): Promise<TelephonySimulator> {
	selfCheck();
	const pools = new Map<string, Pool>();
	const byKeyId = new Map<string, Pool>();
	/** Requests a hanging pool holds, each with its pool: switching one pool out of `hang` releases only its own. */
	const hung = new Map<ServerResponse, Pool>();

	const addPool = (pool: Partial<SimulatorPoolOptions> = {}): SimulatorPoolOptions => {
		const created: Pool = {
			accessKeyId: pool.accessKeyId ?? `LTAIsim${randomId(8)}`,
			accessKeySecret: pool.accessKeySecret ?? randomId(15),
			poolKey: pool.poolKey ?? `FCsim${randomId(6)}`,
			numbers: pool.numbers ?? defaultNumbers(),
			capacity: pool.capacity ?? DEFAULT_CAPACITY,
			mode: "up",
			clockOffset: 0,
			bindings: new Map(),
			calls: [],
			requests: [],
			nonces: new Map(),
		};
		if (pools.has(created.poolKey) || byKeyId.has(created.accessKeyId)) throw new Error("pool or key id exists");
		pools.set(created.poolKey, created);
		byKeyId.set(created.accessKeyId, created);
		return {
			accessKeyId: created.accessKeyId,
			accessKeySecret: created.accessKeySecret,
			poolKey: created.poolKey,
			numbers: created.numbers,
			capacity: created.capacity,
		};
	};
	const first = addPool(options);

	const clock = (pool: Pool) => Date.now() + pool.clockOffset;

	/** Expired bindings are gone, as on the real service. */
	const live = (pool: Pool): SimulatedBinding[] => {
		const now = clock(pool);
		for (const [id, binding] of pool.bindings) if (binding.expires_at <= now) pool.bindings.delete(id);
		return [...pool.bindings.values()];
	};

	// --- the API ---------------------------------------------------------------------------------

	function apiError(status: number, code: string, message: string) {
		return { status, body: { RequestId: randomUUID().toUpperCase(), Code: code, Message: message } };
	}

	function bindAxb(pool: Pool, p: Record<string, string>) {
		const phoneA = p.PhoneNoA ?? "";
		const phoneB = p.PhoneNoB ?? "";
		if (!phoneA || !phoneB || !p.Expiration) return apiError(400, "MissingParameter", "PhoneNoA, PhoneNoB and Expiration are mandatory for this action.");
		if (!PHONE.test(phoneA) || !PHONE.test(phoneB)) return apiError(200, "isv.MOBILE_NUMBER_ILLEGAL", "号码格式非法");
		if (phoneA === phoneB) return apiError(200, "isv.ILLEGAL_ARGUMENT", "参数非法");
		const expiresAt = parseExpiration(p.Expiration);
		// "必须晚于当前时间 1 分钟以上" (BindAxb, Expiration).
		if (expiresAt === null || expiresAt <= clock(pool) + 60_000) return apiError(200, "isv.EXPIRE_DATE_ILLEGAL", "过期时间非法");
		if (pool.mode === "exhausted") return apiError(200, "isv.NO_AVAILABLE_NUMBER", "无可用号码");
		const bindings = live(pool);
		const usable = (x: string) => {
			const onX = bindings.filter((b) => b.secret_no === x);
			return onX.length < pool.capacity && !onX.some((b) => [b.phone_no_a, b.phone_no_b].some((n) => n === phoneA || n === phoneB));
		};
		let secretNo: string | undefined;
		if (p.PhoneNoX) {
			if (!pool.numbers.includes(p.PhoneNoX)) return apiError(200, "isv.FORBIDDEN_ACTION", "无权操作");
			if (!usable(p.PhoneNoX)) return apiError(200, "isv.BIND_CONFLICT", "绑定冲突");
			secretNo = p.PhoneNoX;
		} else {
			// Least-loaded X first, so bindings spread over the pool as they do on the real service.
			const load = (x: string) => bindings.filter((b) => b.secret_no === x).length;
			secretNo = pool.numbers.filter(usable).sort((a, b) => load(a) - load(b))[0];
		}
		if (secretNo === undefined) return apiError(200, "isv.NO_AVAILABLE_NUMBER", "无可用号码");
		const subsId = String(1_000_000_000_000_000n + BigInt(`0x${randomId(6)}`));
		pool.bindings.set(subsId, {
			subs_id: subsId,
			pool_key: pool.poolKey,
			secret_no: secretNo,
			phone_no_a: phoneA,
			phone_no_b: phoneB,
			expiration: p.Expiration,
			expires_at: expiresAt,
			out_id: p.OutId ?? null,
			expect_city: p.ExpectCity ?? null,
			is_recording_enabled: p.IsRecordingEnabled === "true",
			created_at: clock(pool),
		});
		return {
			status: 200,
			body: { RequestId: randomUUID().toUpperCase(), Code: "OK", Message: "OK", SecretBindDTO: { SubsId: subsId, SecretNo: secretNo, Extension: "" } },
		};
	}

	function unbindSubscription(pool: Pool, p: Record<string, string>) {
		if (!p.SubsId || !p.SecretNo) return apiError(400, "MissingParameter", "SubsId and SecretNo are mandatory for this action.");
		const binding = live(pool).find((b) => b.subs_id === p.SubsId && b.secret_no === p.SecretNo);
		if (!binding) return apiError(200, "isv.SUBS_NOT_EXIST", "绑定关系不存在");
		pool.bindings.delete(binding.subs_id);
		return { status: 200, body: { RequestId: randomUUID().toUpperCase(), Code: "OK", Message: "OK", ChargeId: "true" } };
	}

	function querySubscriptionDetail(pool: Pool, p: Record<string, string>) {
		const binding = live(pool).find((b) => b.subs_id === p.SubsId && b.secret_no === p.PhoneNoX);
		if (!binding) return apiError(200, "isv.SUBS_NOT_EXIST", "绑定关系不存在");
		return {
			status: 200,
			body: {
				RequestId: randomUUID().toUpperCase(),
				Code: "OK",
				Message: "OK",
				SecretBindDetailDTO: {
					SubsId: binding.subs_id,
					PhoneNoX: binding.secret_no,
					PhoneNoA: binding.phone_no_a,
					PhoneNoB: binding.phone_no_b,
					ExpireDate: binding.expiration,
					NeedRecord: binding.is_recording_enabled,
					Status: 1,
				},
			},
		};
	}

	/** Checks as Alibaba's gateway does, in its order, then dispatches. Returns the pool alone to hang. */
	function api(method: string, p: Record<string, string>): { status: number; body: unknown; pool?: Pool } | { hang: Pool } {
		for (const name of ["AccessKeyId", "Action", "Signature", "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp", "Version"]) {
			if (!p[name]) return apiError(400, `Missing${name}`, `${name} is mandatory for this action.`);
		}
		const pool = byKeyId.get(p.AccessKeyId as string);
		if (!pool) return apiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
		const answer = (result: { status: number; body: unknown }) => ({ ...result, pool });
		if (pool.mode === "down") return answer(apiError(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."));
		if (pool.mode === "hang") return { hang: pool };
		if (pool.mode === "throttled") return answer(apiError(400, "Throttling.User", "Request was denied due to user flow control."));
		if (p.SignatureMethod !== "HMAC-SHA1") return answer(apiError(400, "InvalidSignatureMethod", "Specified signature method is not valid."));
		if (p.SignatureVersion !== "1.0") return answer(apiError(400, "InvalidSignatureVersion", "Specified signature version is not valid."));
		const timestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(p.Timestamp as string) ? Date.parse(p.Timestamp as string) : Number.NaN;
		if (!Number.isFinite(timestamp)) return answer(apiError(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."));
		// Freshness is judged on real time: a pool's advanced clock moves bindings, not the gateway.
		if (Math.abs(Date.now() - timestamp) > TIMESTAMP_TOLERANCE_MS)
			return answer(apiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."));
		const expected = simulatorSignature(method, p, pool.accessKeySecret);
		const given = Buffer.from(p.Signature as string);
		const wanted = Buffer.from(expected);
		if (given.length !== wanted.length || !given.equals(wanted))
			return answer(apiError(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."));
		for (const [nonce, seen] of pool.nonces) if (Date.now() - seen > 2 * TIMESTAMP_TOLERANCE_MS) pool.nonces.delete(nonce);
		if (pool.nonces.has(p.SignatureNonce as string)) return answer(apiError(400, "SignatureNonceUsed", "Specified signature nonce was used already."));
		pool.nonces.set(p.SignatureNonce as string, Date.now());
		if (p.Version !== API_VERSION) return answer(apiError(400, "InvalidVersion", "Specified parameter Version is not valid."));
		if (p.Format && p.Format !== "JSON") return answer(apiError(400, "InvalidParameter.Format", "This simulator answers JSON only."));
		if (p.Action === "BindAxb" || p.Action === "UnbindSubscription") {
			if (p.PoolKey !== pool.poolKey) return answer(apiError(200, "isv.POOLKEY_NOT_EXISTS", "号池不存在"));
			return answer(p.Action === "BindAxb" ? bindAxb(pool, p) : unbindSubscription(pool, p));
		}
		if (p.Action === "QuerySubscriptionDetail") {
			if (p.PoolKey !== pool.poolKey) return answer(apiError(200, "isv.POOLKEY_NOT_EXISTS", "号池不存在"));
			return answer(querySubscriptionDetail(pool, p));
		}
		return answer(apiError(404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method."));
	}

	// --- control -------------------------------------------------------------------------------

	function control(method: string, path: string, body: Record<string, unknown>): { status: number; body: unknown } {
		if (method === "POST" && path === "/_sim/pools") {
			const numbers = Array.isArray(body.numbers) && body.numbers.every((n) => typeof n === "string" && PHONE.test(n)) ? (body.numbers as string[]) : undefined;
			const capacity = typeof body.capacity === "number" && body.capacity >= 1 ? body.capacity : undefined;
			const created = addPool({ numbers, capacity });
			return {
				status: 201,
				body: {
					access_key_id: created.accessKeyId,
					access_key_secret: created.accessKeySecret,
					pool_key: created.poolKey,
					numbers: created.numbers,
					capacity: created.capacity,
					telephony: telephonyFor(created),
				},
			};
		}
		const match = /^\/_sim\/pools\/([^/]+)\/(bindings|mode|advance|calls|requests)$/.exec(path);
		const pool = match ? pools.get(decodeURIComponent(match[1] as string)) : undefined;
		if (!match || !pool) return { status: 404, body: { error: "no such control endpoint or pool" } };
		const what = match[2];
		if (what === "bindings" && method === "GET") return { status: 200, body: { now: clock(pool), bindings: live(pool) } };
		if (what === "requests" && method === "GET") return { status: 200, body: { requests: pool.requests } };
		if (what === "calls" && method === "GET") return { status: 200, body: { calls: pool.calls } };
		if (what === "mode" && method === "POST") {
			if (!["up", "down", "hang", "exhausted", "throttled"].includes(body.mode as string)) {
				return { status: 400, body: { error: "mode is up, down, hang, exhausted or throttled" } };
			}
			pool.mode = body.mode as Mode;
			if (pool.mode !== "hang") releaseHung(pool);
			return { status: 200, body: { mode: pool.mode } };
		}
		if (what === "advance" && method === "POST") {
			if (typeof body.ms !== "number" || body.ms < 0) return { status: 400, body: { error: "ms must be a non-negative number" } };
			pool.clockOffset += body.ms;
			return { status: 200, body: { now: clock(pool) } };
		}
		if (what === "calls" && method === "POST") {
			const from = typeof body.from === "string" ? body.from : "";
			const to = typeof body.to === "string" ? body.to : "";
			if (!PHONE.test(from) || !PHONE.test(to)) return { status: 400, body: { error: "from and to are national numbers" } };
			const binding = live(pool).find((b) => b.secret_no === to && (b.phone_no_a === from || b.phone_no_b === from));
			const side = binding ? (binding.phone_no_a === from ? "A" : "B") : null;
			const record: CallRecord = {
				call_id: randomId(10),
				pool_key: pool.poolKey,
				subs_id: binding?.subs_id ?? null,
				secret_no: to,
				phone_no: from,
				peer_no: binding ? (side === "A" ? binding.phone_no_b : binding.phone_no_a) : null,
				caller_side: side,
				out_id: binding?.out_id ?? null,
				call_time: clock(pool),
				connected: Boolean(binding),
			};
			pool.calls.push(record);
			return { status: 201, body: { connected: record.connected, record } };
		}
		return { status: 405, body: { error: "method not allowed" } };
	}

	/** Answers the requests `pool` holds (every pool's when none is named, as the server closes). */
	const releaseHung = (pool?: Pool) => {
		for (const [response, holder] of hung) {
			if (pool !== undefined && holder !== pool) continue;
			send(response, 503, { Code: "ServiceUnavailable", Message: "released" });
			hung.delete(response);
		}
	};

	const server = createServer(async (request, response) => {
		const arrived = performance.now();
		try {
			const url = new URL(request.url ?? "/", "http://127.0.0.1");
			const method = request.method ?? "GET";
			const raw = await readBody(request);
			if (url.pathname.startsWith("/_sim/")) {
				let body: Record<string, unknown> = {};
				if (raw) body = JSON.parse(raw) as Record<string, unknown>;
				const result = control(method, url.pathname, body);
				send(response, result.status, result.body);
				return;
			}
			if (url.pathname !== "/" || (method !== "GET" && method !== "POST")) {
				send(response, 404, { Code: "InvalidApi.NotFound", Message: "RPC requests go to /" });
				return;
			}
			// RPC parameters may come in the query, in a form body, or both (the SDKs split them).
			const parameters: Record<string, string> = Object.fromEntries(url.searchParams);
			if (method === "POST" && raw) {
				if (!(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
					send(response, 400, { Code: "InvalidParameter", Message: "POST bodies are application/x-www-form-urlencoded" });
					return;
				}
				for (const [name, value] of new URLSearchParams(raw)) parameters[name] = value;
			}
			const result = api(method, parameters);
			if ("hang" in result) {
				hung.set(response, result.hang);
				response.on("close", () => hung.delete(response));
				return;
			}
			result.pool?.requests.push({
				action: parameters.Action ?? null,
				method,
				status: result.status,
				code: (result.body as { Code: string }).Code,
				at: Date.now(),
				ms: performance.now() - arrived,
			});
			send(response, result.status, result.body);
		} catch {
			if (!response.headersSent) send(response, 400, { Code: "InvalidParameter", Message: "unreadable request" });
		}
	});
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
	});
	server.unref();
	const address = server.address();
	if (typeof address !== "object" || !address) throw new Error("telephony simulator has no address");
	const url = `http://127.0.0.1:${address.port}`;

	function telephonyFor(pool: SimulatorPoolOptions): string {
		return JSON.stringify({
			provider: "aliyun",
			endpoint: url,
			access_key_id: pool.accessKeyId,
			access_key_secret: pool.accessKeySecret,
			pool_key: pool.poolKey,
		});
	}

	return {
		url,
		telephony: telephonyFor(first),
		pool: first,
		server,
		addPool,
		close: () =>
			new Promise<void>((resolve) => {
				releaseHung();
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
