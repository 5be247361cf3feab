/**
 * The privacy-number provider adapter (src/calls/) against the provider simulator as a real HTTP
 * server: Alibaba's RPC signature (the documented worked examples), BindAxb and
 * UnbindSubscription, expiry, and every failure mapped to its typed error, with no phone number
 * in anything the adapter logs or throws.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AliyunDypls, expirationInChinaStandardTime, nationalNumber, rpcTimestamp } from "../src/calls/aliyun-dypls";
import { canonicalizedQuery, percentEncode, rpcSignature, stringToSign } from "../src/calls/aliyun-rpc-signature";
import { telephonyProvider, telephonyProviderFor } from "../src/calls/telephony-for-env";
import { telephonyProblem } from "../src/calls/telephony-problem";
import {
	TelephonyConfigurationError,
	type TelephonyError,
	TelephonyNoNumberError,
	TelephonyRefusedError,
	TelephonyUnavailableError,
} from "../src/calls/telephony-provider";
import { telephonyConfig } from "../src/config";
import type { Env } from "../src/env";
import { ProblemError } from "../src/http/problem";
import { type SimulatorPool, simulatorPool } from "./support/telephony";

/** Courier (A) and customers (B), E.164 as the vault holds them, and national as the provider sees them. */
const COURIER = "+8613900001111";
const COURIER_NATIONAL = "13900001111";
const CUSTOMER = "+8613800002222";
const CUSTOMER_NATIONAL = "13800002222";
const OTHER_CUSTOMERS = ["+8613700003333", "+8613600004444", "+8613500005555"];
const HOUR = 3600_000;

function adapterFor(
	pool: SimulatorPool,
	overrides: { accessKeyId?: string; accessKeySecret?: string; poolKey?: string; timeoutMs?: number; now?: () => number } = {},
) {
	const config = telephonyConfig({ ...env, TELEPHONY: pool.telephony } as Env);
	return new AliyunDypls({ ...config, ...overrides });
}

/** Everything written to the console while `run` runs, one string per call. */
async function consoleDuring<T>(run: () => Promise<T>): Promise<{ lines: string[]; result: T | undefined; error: unknown }> {
	const lines: string[] = [];
	const spies = (["log", "info", "warn", "error", "debug"] as const).map((method) =>
		vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
			lines.push(args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "));
		}),
	);
	try {
		return { lines, result: await run(), error: undefined };
	} catch (error) {
		return { lines, result: undefined, error };
	} finally {
		for (const spy of spies) spy.mockRestore();
	}
}

/** No form of a phone number in a text: E.164, national, or the national digits inside something longer. */
function expectNoPhones(text: string, phones: string[]): void {
	for (const phone of phones) {
		expect(text).not.toContain(phone);
		expect(text).not.toContain(phone.replace(/^\+86/, ""));
	}
}

async function failure(promise: Promise<unknown>): Promise<TelephonyError> {
	try {
		await promise;
	} catch (error) {
		return error as TelephonyError;
	}
	throw new Error("expected the provider call to fail");
}

afterEach(() => {
	vi.restoreAllMocks();
});

describe("Alibaba Cloud RPC signature", () => {
	it("reproduces the worked example of the RPC signature documentation (ECS DescribeRegions)", async () => {
		// "Request syntax and signature method V2 for RPC APIs": AccessKeySecret "testsecret".
		const parameters = {
			Timestamp: "2016-02-23T12:46:24Z",
			Format: "XML",
			AccessKeyId: "testid",
			Action: "DescribeRegions",
			SignatureMethod: "HMAC-SHA1",
			SignatureNonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
			Version: "2014-05-26",
			SignatureVersion: "1.0",
		};
		expect(stringToSign("GET", parameters)).toBe(
			"GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1" +
				"%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0" +
				"%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26",
		);
		expect(await rpcSignature("GET", parameters, "testsecret")).toBe("OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
	});

	it("reproduces the SMS documentation's example (same API version, UTF-8 and JSON in values)", async () => {
		// Dysmsapi 2017-05-25 "HTTP协议及签名" example: AccessKeySecret "testSecret"; Chinese SignName, JSON TemplateParam.
		const parameters = {
			AccessKeyId: "testId",
			Action: "SendSms",
			Format: "XML",
			OutId: "123",
			PhoneNumbers: "15300000001",
			RegionId: "cn-hangzhou",
			SignName: "阿里云短信测试专用",
			SignatureMethod: "HMAC-SHA1",
			SignatureNonce: "45e25e9b-0a6f-4070-8c85-2956eda1b466",
			SignatureVersion: "1.0",
			TemplateCode: "SMS_71390007",
			TemplateParam: '{"customer":"test"}',
			Timestamp: "2017-07-12T02:42:19Z",
			Version: "2017-05-25",
		};
		expect(canonicalizedQuery(parameters)).toContain("SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8");
		expect(canonicalizedQuery(parameters)).toContain("TemplateParam=%7B%22customer%22%3A%22test%22%7D");
		expect(await rpcSignature("GET", parameters, "testSecret")).toBe("zJDF+Lrzhj/ThnlvIToysFRq6t4=");
	});

	it("percent-encodes as RFC 3986 with only the unreserved set left alone", () => {
		expect(percentEncode("A-Z_a.z~09")).toBe("A-Z_a.z~09");
		expect(percentEncode("a b")).toBe("a%20b");
		expect(percentEncode("*!'()")).toBe("%2A%21%27%28%29");
		expect(percentEncode("+/=&:")).toBe("%2B%2F%3D%26%3A");
		expect(percentEncode("号")).toBe("%E5%8F%B7");
	});

	it("a signature is over the method and every parameter but Signature", async () => {
		const parameters = { A: "1", B: "2" };
		const base = await rpcSignature("POST", parameters, "s");
		expect(await rpcSignature("GET", parameters, "s")).not.toBe(base);
		expect(await rpcSignature("POST", { ...parameters, B: "3" }, "s")).not.toBe(base);
		expect(await rpcSignature("POST", { ...parameters, Signature: "ignored" }, "s")).toBe(base);
		expect(await rpcSignature("POST", parameters, "t")).not.toBe(base);
	});
});

describe("request formats", () => {
	it("Expiration is China Standard Time, rounded down to the second", () => {
		expect(expirationInChinaStandardTime(Date.parse("2024-01-01T16:30:00.999Z"))).toBe("2024-01-02 00:30:00");
		expect(expirationInChinaStandardTime(Date.parse("2024-02-28T23:59:59.000Z"))).toBe("2024-02-29 07:59:59");
	});

	it("Timestamp is ISO 8601 UTC to the second", () => {
		expect(rpcTimestamp(Date.parse("2024-05-06T07:08:09.876Z"))).toBe("2024-05-06T07:08:09Z");
	});

	it("numbers go national: mobiles as 11 digits, landlines with their trunk 0, nothing outside the mainland", () => {
		expect(nationalNumber("+8613812345678")).toBe("13812345678");
		expect(nationalNumber("+861012345678")).toBe("01012345678");
		expect(nationalNumber("+8675512345678")).toBe("075512345678");
		expect(nationalNumber("+442079460000")).toBeNull();
		expect(nationalNumber("13812345678")).toBeNull();
	});
});

describe("BindAxb and UnbindSubscription against the simulator", () => {
	it("binds A and B behind an X from the pool that is neither of them, and logs no number", async () => {
		const pool = await simulatorPool();
		const provider = adapterFor(pool);
		const expiresAt = Date.now() + 2 * HOUR + 500;
		const { lines, result: binding, error } = await consoleDuring(() => provider.bind({ phoneA: COURIER, phoneB: CUSTOMER, expiresAt, outId: "call_test_1" }));
		expect(error).toBeUndefined();
		if (!binding) throw new Error("no binding");
		expect(pool.numbers).toContain(binding.virtualNumber);
		expect(binding.virtualNumber).not.toBe(CUSTOMER_NATIONAL);
		expect(binding.virtualNumber).not.toBe(COURIER_NATIONAL);
		expect(binding.expiresAt).toBe(Math.floor(expiresAt / 1000) * 1000);
		expect(binding.extension).toBeUndefined();

		// The simulator saw the right parties, in national form, with the vault's expiry and reference.
		const [seen, ...others] = await pool.bindings();
		expect(others).toHaveLength(0);
		expect(seen).toMatchObject({
			subs_id: binding.bindingId,
			secret_no: binding.virtualNumber,
			phone_no_a: COURIER_NATIONAL,
			phone_no_b: CUSTOMER_NATIONAL,
			expiration: expirationInChinaStandardTime(expiresAt),
			expires_at: binding.expiresAt,
			out_id: "call_test_1",
			is_recording_enabled: false,
		});

		// One line for the request, which says what happened and holds no number.
		expect(lines.length).toBeGreaterThan(0);
		expect(JSON.parse(lines[0] as string)).toMatchObject({ event: "telephony_request", provider: "aliyun", action: "BindAxb", outcome: "ok", code: "OK" });
		expectNoPhones(lines.join("\n"), [COURIER, CUSTOMER]);
	});

	it("the configured provider (env.TELEPHONY) is this adapter, bound to the shared pool", async () => {
		const provider = telephonyProvider(env);
		expect(provider.provider).toBe("aliyun");
		const binding = await provider.bind({ phoneA: "+8613911112222", phoneB: "+8613811113333", expiresAt: Date.now() + HOUR, outId: "call_shared" });
		expect(await provider.unbind(binding)).toBe("unbound");
	});

	it("unbind removes the binding at the provider; unbinding it again finds it gone", async () => {
		const pool = await simulatorPool();
		const provider = adapterFor(pool);
		const binding = await provider.bind({ phoneA: COURIER, phoneB: CUSTOMER, expiresAt: Date.now() + HOUR, outId: "call_unbind" });
		expect(await pool.bindings()).toHaveLength(1);

		const { lines, result } = await consoleDuring(() => provider.unbind(binding));
		expect(result).toBe("unbound");
		expect(await pool.bindings()).toHaveLength(0);
		expect(await provider.unbind(binding)).toBe("gone");
		expect((await pool.requests()).map((r) => [r.action, r.code])).toEqual([
			["BindAxb", "OK"],
			["UnbindSubscription", "OK"],
			["UnbindSubscription", "isv.SUBS_NOT_EXIST"],
		]);
		expectNoPhones(lines.join("\n"), [COURIER, CUSTOMER]);
	});

	it("calls go through while the binding lives, and nowhere once it has expired", async () => {
		const pool = await simulatorPool();
		const provider = adapterFor(pool);
		const binding = await provider.bind({ phoneA: COURIER, phoneB: CUSTOMER, expiresAt: Date.now() + 10 * 60_000, outId: "call_expiry" });

		await pool.advance(9 * 60_000);
		const during = await pool.dial(COURIER_NATIONAL, binding.virtualNumber);
		expect(during).toMatchObject({
			connected: true,
			record: { caller_side: "A", peer_no: CUSTOMER_NATIONAL, out_id: "call_expiry", subs_id: binding.bindingId },
		});
		// The customer can call back through X too.
		expect((await pool.dial(CUSTOMER_NATIONAL, binding.virtualNumber)).record).toMatchObject({ caller_side: "B", peer_no: COURIER_NATIONAL });

		await pool.advance(2 * 60_000);
		expect(await pool.bindings()).toHaveLength(0);
		expect(await pool.dial(COURIER_NATIONAL, binding.virtualNumber)).toMatchObject({ connected: false, record: { peer_no: null } });
		expect(await provider.unbind(binding)).toBe("gone");
		expect(await pool.calls()).toHaveLength(3);
	});

	it("an expiry less than a minute ahead is refused by the provider", async () => {
		const pool = await simulatorPool();
		const error = await failure(adapterFor(pool).bind({ phoneA: COURIER, phoneB: CUSTOMER, expiresAt: Date.now() + 30_000, outId: "call_short" }));
		expect(error).toBeInstanceOf(TelephonyRefusedError);
		expect(error.providerCode).toBe("isv.EXPIRE_DATE_ILLEGAL");
		expect(await pool.bindings()).toHaveLength(0);
	});

	it("one X serves many pairs but never the same A twice at once; when every X has A, there is no number", async () => {
		const pool = await simulatorPool({ numbers: ["17000000001", "17000000002"] });
		const provider = adapterFor(pool);
		const bind = (phoneB: string) => provider.bind({ phoneA: COURIER, phoneB, expiresAt: Date.now() + HOUR, outId: "call_pool" });
		const first = await bind(OTHER_CUSTOMERS[0] as string);
		const second = await bind(OTHER_CUSTOMERS[1] as string);
		expect(second.virtualNumber).not.toBe(first.virtualNumber);

		const { lines, error } = await consoleDuring(() => bind(OTHER_CUSTOMERS[2] as string));
		expect(error).toBeInstanceOf(TelephonyNoNumberError);
		expect((error as TelephonyError).providerCode).toBe("isv.NO_AVAILABLE_NUMBER");
		expectNoPhones(`${lines.join("\n")}\n${(error as Error).message}`, [COURIER, ...OTHER_CUSTOMERS]);

		// Another courier and customer still find an X: a number serves many pairs.
		const other = await provider.bind({ phoneA: "+8613988887777", phoneB: "+8613400006666", expiresAt: Date.now() + HOUR, outId: "call_pool" });
		expect(pool.numbers).toContain(other.virtualNumber);

		// Freeing one X for this courier makes a number available again.
		await provider.unbind(first);
		expect((await bind(OTHER_CUSTOMERS[2] as string)).virtualNumber).toBe(first.virtualNumber);
	});

	it("an exhausted pool is TelephonyNoNumberError", async () => {
		const pool = await simulatorPool();
		await pool.setMode("exhausted");
		const error = await failure(adapterFor(pool).bind({ phoneA: COURIER, phoneB: CUSTOMER, expiresAt: Date.now() + HOUR, outId: "call_exhausted" }));
		expect(error).toBeInstanceOf(TelephonyNoNumberError);
		expect(error.failure).toBe("no-number");
	});

	it("a provider that answers with a party's own number as X is undone and refused", async () => {
		// A pool whose only "virtual" number is the customer's real one: the adapter must never hand it out.
		const pool = await simulatorPool({ numbers: [CUSTOMER_NATIONAL] });
		const { lines, error } = await consoleDuring(() =>
			adapterFor(pool).bind({ phoneA: COURIER, phoneB: CUSTOMER, expiresAt: Date.now() + HOUR, outId: "call_faulty" }),
		);
		expect(error).toBeInstanceOf(TelephonyUnavailableError);
		expect(await pool.bindings()).toHaveLength(0);
		expect((await pool.requests()).map((r) => r.action)).toEqual(["BindAxb", "UnbindSubscription"]);
		expectNoPhones(`${lines.join("\n")}\n${(error as Error).message}`, [COURIER, CUSTOMER]);
	});

	it("a number outside the mainland is refused before anything is sent", async () => {
		const pool = await simulatorPool();
		const error = await failure(adapterFor(pool).bind({ phoneA: COURIER, phoneB: "+442079460000", expiresAt: Date.now() + HOUR, outId: "call_abroad" }));
		expect(error).toBeInstanceOf(TelephonyRefusedError);
		expect(error.message).not.toContain("2079460000");
		expect(await pool.requests()).toHaveLength(0);
	});
});

describe("failures are typed, and name no number", () => {
	const bindOnce = (provider: AliyunDypls) => provider.bind({ phoneA: COURIER, phoneB: CUSTOMER, expiresAt: Date.now() + HOUR, outId: "call_failing" });

	it("a wrong secret: the simulator refuses the signature → TelephonyConfigurationError", async () => {
		const pool = await simulatorPool();
		const { lines, error } = await consoleDuring(() => bindOnce(adapterFor(pool, { accessKeySecret: `${pool.accessKeySecret}x` })));
		expect(error).toBeInstanceOf(TelephonyConfigurationError);
		expect((error as TelephonyError).providerCode).toBe("SignatureDoesNotMatch");
		expect(await pool.bindings()).toHaveLength(0);
		expect(JSON.parse(lines[0] as string)).toMatchObject({ action: "BindAxb", outcome: "configuration", status: 400, code: "SignatureDoesNotMatch" });
		const everything = `${lines.join("\n")}\n${(error as Error).message}`;
		expectNoPhones(everything, [COURIER, CUSTOMER]);
		expect(everything).not.toContain(pool.accessKeySecret);
	});

	it("an unknown key id → TelephonyConfigurationError (InvalidAccessKeyId.NotFound)", async () => {
		const pool = await simulatorPool();
		const error = await failure(bindOnce(adapterFor(pool, { accessKeyId: "LTAIunknown" })));
		expect(error).toBeInstanceOf(TelephonyConfigurationError);
		expect(error.providerCode).toBe("InvalidAccessKeyId.NotFound");
	});

	it("a pool key the account does not have → TelephonyConfigurationError", async () => {
		const pool = await simulatorPool();
		const error = await failure(bindOnce(adapterFor(pool, { poolKey: "FCnosuchpool" })));
		expect(error).toBeInstanceOf(TelephonyConfigurationError);
		expect(error.providerCode).toBe("isv.POOLKEY_NOT_EXISTS");
	});

	it("a clock more than 15 minutes off: the Timestamp is stale → TelephonyConfigurationError", async () => {
		const pool = await simulatorPool();
		const error = await failure(bindOnce(adapterFor(pool, { now: () => Date.now() - 20 * 60_000 })));
		expect(error).toBeInstanceOf(TelephonyConfigurationError);
		expect(error.providerCode).toBe("InvalidTimeStamp.Expired");
	});

	it("the provider down (503) → TelephonyUnavailableError", async () => {
		const pool = await simulatorPool();
		await pool.setMode("down");
		const { lines, error } = await consoleDuring(() => bindOnce(adapterFor(pool)));
		expect(error).toBeInstanceOf(TelephonyUnavailableError);
		expect((error as TelephonyError).providerCode).toBe("ServiceUnavailable");
		expectNoPhones(lines.join("\n"), [COURIER, CUSTOMER]);
		await pool.setMode("up");
		expect((await bindOnce(adapterFor(pool))).virtualNumber).toMatch(/^\d+$/);
	});

	it("flow control (Throttling.User) → TelephonyUnavailableError, to try later", async () => {
		const pool = await simulatorPool();
		await pool.setMode("throttled");
		const error = await failure(bindOnce(adapterFor(pool)));
		expect(error).toBeInstanceOf(TelephonyUnavailableError);
		expect(error.providerCode).toBe("Throttling.User");
	});

	it("no answer within the timeout → TelephonyUnavailableError", async () => {
		const pool = await simulatorPool();
		await pool.setMode("hang");
		const error = await failure(bindOnce(adapterFor(pool, { timeoutMs: 200 })));
		expect(error).toBeInstanceOf(TelephonyUnavailableError);
		expect(error.message).toContain("no answer within 200 ms");
		await pool.setMode("up");
	});

	it("a pool leaving `hang` answers only its own held requests: another pool's stay held until their timeout", async () => {
		const hanging = await simulatorPool();
		const other = await simulatorPool();
		await hanging.setMode("hang");
		const held = failure(bindOnce(adapterFor(hanging, { timeoutMs: 1500 })));
		// Switching another pool down and up again must not release it: it ends by its own timeout.
		await other.setMode("down");
		await other.setMode("up");
		const error = await held;
		expect(error).toBeInstanceOf(TelephonyUnavailableError);
		expect(error.message).toContain("no answer within 1500 ms");
		await hanging.setMode("up");
	});

	it("nothing listening → TelephonyUnavailableError", async () => {
		const pool = await simulatorPool();
		const error = await failure(
			bindOnce(new AliyunDypls({ ...telephonyConfig({ ...env, TELEPHONY: pool.telephony } as Env), endpoint: "http://127.0.0.1:1" })),
		);
		expect(error).toBeInstanceOf(TelephonyUnavailableError);
	});

	it("each failure becomes the problem the calls routes answer: 503 to try later, 502 when refused", () => {
		const problem = (error: TelephonyError) => {
			const mapped = telephonyProblem(error);
			expect(mapped).toBeInstanceOf(ProblemError);
			return { slug: mapped.slug, status: mapped.status, extensions: mapped.extensions };
		};
		expect(problem(new TelephonyUnavailableError("aliyun", "BindAxb", "ServiceUnavailable", "failed"))).toEqual({
			slug: "telephony-unavailable",
			status: 503,
			extensions: { provider: "aliyun", provider_code: "ServiceUnavailable" },
		});
		expect(problem(new TelephonyNoNumberError("aliyun", "BindAxb", "isv.NO_AVAILABLE_NUMBER", "none"))).toMatchObject({
			slug: "telephony-no-number",
			status: 503,
		});
		expect(problem(new TelephonyRefusedError("aliyun", "BindAxb", "isv.MOBILE_NUMBER_ILLEGAL", "no"))).toMatchObject({
			slug: "telephony-refused",
			status: 502,
		});
		expect(problem(new TelephonyConfigurationError("aliyun", "BindAxb", "SignatureDoesNotMatch", "no"))).toEqual({
			slug: "telephony-misconfigured",
			status: 502,
			extensions: { provider: "aliyun", provider_code: "SignatureDoesNotMatch", variable: "TELEPHONY" },
		});
	});
});

describe("the simulator checks requests as Alibaba's gateway does", () => {
	/** A signed GET with every parameter in the query, as the documentation's examples send them. */
	async function signedGet(pool: SimulatorPool, parameters: Record<string, string>, secret = pool.accessKeySecret): Promise<Response> {
		const all = {
			AccessKeyId: pool.accessKeyId,
			Format: "JSON",
			SignatureMethod: "HMAC-SHA1",
			SignatureNonce: crypto.randomUUID(),
			SignatureVersion: "1.0",
			Timestamp: rpcTimestamp(Date.now()),
			Version: "2017-05-25",
			...parameters,
		};
		const signature = await rpcSignature("GET", all, secret);
		const query = new URLSearchParams({ ...all, Signature: signature });
		return fetch(`${env.TEST_TELEPHONY_CONTROL}/?${query}`);
	}

	it("a replayed SignatureNonce is refused", async () => {
		const pool = await simulatorPool();
		const nonce = crypto.randomUUID();
		const first = await signedGet(pool, { Action: "UnbindSubscription", PoolKey: pool.poolKey, SubsId: "1", SecretNo: "17000000001", SignatureNonce: nonce });
		expect(await first.json()).toMatchObject({ Code: "isv.SUBS_NOT_EXIST" });
		const replay = await signedGet(pool, { Action: "UnbindSubscription", PoolKey: pool.poolKey, SubsId: "1", SecretNo: "17000000001", SignatureNonce: nonce });
		expect(replay.status).toBe(400);
		expect(await replay.json()).toMatchObject({ Code: "SignatureNonceUsed" });
	});

	it("a parameter changed after signing is refused", async () => {
		const pool = await simulatorPool();
		const all = {
			AccessKeyId: pool.accessKeyId,
			Action: "UnbindSubscription",
			Format: "JSON",
			PoolKey: pool.poolKey,
			SecretNo: "17000000001",
			SignatureMethod: "HMAC-SHA1",
			SignatureNonce: crypto.randomUUID(),
			SignatureVersion: "1.0",
			SubsId: "1",
			Timestamp: rpcTimestamp(Date.now()),
			Version: "2017-05-25",
		};
		const signature = await rpcSignature("GET", all, pool.accessKeySecret);
		const tampered = new URLSearchParams({ ...all, SubsId: "2", Signature: signature });
		const response = await fetch(`${env.TEST_TELEPHONY_CONTROL}/?${tampered}`);
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ Code: "SignatureDoesNotMatch" });
	});
});

describe("TELEPHONY configuration", () => {
	const withTelephony = (value: string | undefined) => ({ ...env, TELEPHONY: value }) as Env;

	const broken: [string, string | undefined][] = [
		["missing", undefined],
		["not JSON", "{provider"],
		["an unknown provider", JSON.stringify({ provider: "acme", endpoint: "https://x.example" })],
		[
			"plain http to a non-loopback host",
			JSON.stringify({ provider: "aliyun", endpoint: "http://dyplsapi.aliyuncs.com", access_key_id: "k", access_key_secret: "s3cr3t-value", pool_key: "p" }),
		],
		[
			"an endpoint with a path",
			JSON.stringify({
				provider: "aliyun",
				endpoint: "https://dyplsapi.aliyuncs.com/v1",
				access_key_id: "k",
				access_key_secret: "s3cr3t-value",
				pool_key: "p",
			}),
		],
		[
			"a missing pool key",
			JSON.stringify({ provider: "aliyun", endpoint: "https://dyplsapi.aliyuncs.com", access_key_id: "k", access_key_secret: "s3cr3t-value" }),
		],
		[
			"an unknown field",
			JSON.stringify({
				provider: "aliyun",
				endpoint: "https://dyplsapi.aliyuncs.com",
				access_key_id: "k",
				access_key_secret: "s3cr3t-value",
				pool_key: "p",
				x: 1,
			}),
		],
	];
	for (const [what, value] of broken) {
		it(`${what} → configuration-unavailable naming TELEPHONY, never its value`, () => {
			let thrown: unknown;
			try {
				telephonyProvider(withTelephony(value));
			} catch (error) {
				thrown = error;
			}
			expect(thrown).toBeInstanceOf(ProblemError);
			const problem = thrown as ProblemError;
			expect(problem.slug).toBe("configuration-unavailable");
			expect(problem.status).toBe(503);
			expect(problem.extensions).toEqual({ variable: "TELEPHONY" });
			expect(`${problem.message} ${problem.detail}`).not.toContain("s3cr3t-value");
		});
	}

	it("a well-formed secret for Alibaba's endpoint parses, with the default timeout", () => {
		const config = telephonyConfig(
			withTelephony(
				JSON.stringify({
					provider: "aliyun",
					endpoint: "https://dyplsapi.aliyuncs.com/",
					access_key_id: "LTAI5t",
					access_key_secret: "s",
					pool_key: "FC100000",
				}),
			),
		);
		expect(config).toEqual({
			provider: "aliyun",
			endpoint: "https://dyplsapi.aliyuncs.com",
			accessKeyId: "LTAI5t",
			accessKeySecret: "s",
			poolKey: "FC100000",
			timeoutMs: 5000,
		});
		expect(telephonyProviderFor(config).provider).toBe("aliyun");
	});
});
