/**
 * Alibaba Cloud Phone Number Privacy Protection (号码隐私保护, product Dyplsapi, API version
 * 2017-05-25), AXB bindings: `BindAxb` and `UnbindSubscription`, signed RPC-style
 * (aliyun-rpc-signature.ts). Sources, Alibaba Cloud documentation: "BindAxb - AXB中间号-号码绑定"
 * (help.aliyun.com/document_detail/400482.html), "UnbindSubscription - 解除已绑定的号码"
 * (help.aliyun.com/zh/pnp/api-bfd56c), the product's "API错误码" (document_detail/109196.htm), and the
 * OpenAPI common client error codes (SignatureDoesNotMatch, InvalidAccessKeyId.NotFound,
 * InvalidTimeStamp.Expired, SignatureNonceUsed, Throttling.*).
 *
 * Requests are POSTs with every parameter in an application/x-www-form-urlencoded body, so no phone
 * number ever sits in a URL (where proxies and access logs keep it); the signature then starts
 * with "POST". Nothing this adapter logs or throws carries a phone number or the provider's
 * free-text message.
 */
import type { AliyunTelephonyConfig } from "../config";
import { percentEncode, rpcSignature } from "./aliyun-rpc-signature";
import {
	type Binding,
	type BindingRef,
	type BindRequest,
	TelephonyConfigurationError,
	type TelephonyError,
	TelephonyNoNumberError,
	type TelephonyProvider,
	TelephonyRefusedError,
	TelephonyUnavailableError,
	type UnbindOutcome,
} from "./telephony-provider";

const PROVIDER = "aliyun";
const API_VERSION = "2017-05-25";

/**
 * `Expiration` is a wall-clock time without a zone (`yyyy-MM-dd HH:mm:ss`). The service runs in
 * mainland China and its documentation's examples and console show China Standard Time, so the
 * vault writes UTC+8 (no daylight saving time since 1991). The instant is rounded down to the
 * second, so a binding never outlives what the vault asked for.
 */
const CHINA_STANDARD_TIME_OFFSET_MS = 8 * 60 * 60 * 1000;

export function expirationInChinaStandardTime(expiresAt: number): string {
	const local = new Date(Math.floor(expiresAt / 1000) * 1000 + CHINA_STANDARD_TIME_OFFSET_MS);
	const pad = (n: number) => String(n).padStart(2, "0");
	return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
}

/** ISO 8601 in UTC to the second, as the `Timestamp` common parameter wants (`yyyy-MM-ddTHH:mm:ssZ`). */
export function rpcTimestamp(now: number): string {
	return `${new Date(Math.floor(now / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

const CN_MOBILE = /^1[3-9]\d{9}$/;
const CN_LANDLINE = /^(10|2\d|[3-9]\d{2})\d{7,8}$/;

/**
 * Dyplsapi takes mainland numbers in national form: a mobile as its 11 digits, a landline with its
 * area code and trunk 0, no separators. Anything else cannot be bound by this product.
 */
export function nationalNumber(e164: string): string | null {
	if (!e164.startsWith("+86")) return null;
	const national = e164.slice(3);
	if (CN_MOBILE.test(national)) return national;
	if (CN_LANDLINE.test(national)) return `0${national}`;
	return null;
}

const OUT_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const PROVIDER_CODE = /^[A-Za-z0-9._-]{1,80}$/;
const SUBS_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SECRET_NO = /^\d{5,20}$/;

/** Codes that say the vault's credentials, signature, account or pool are wrong: TELEPHONY needs fixing. */
const CONFIGURATION_CODES = new Set([
	"SignatureDoesNotMatch",
	"IncompleteSignature",
	"InvalidSignatureMethod",
	"SignatureNonceUsed",
	"InvalidTimeStamp.Expired",
	"InvalidTimeStamp.Format",
	"IllegalTimestamp",
	"InvalidAccessKeyId",
	"InvalidAccessKeyId.NotFound",
	"InvalidAccessKeyId.Inactive",
	"InvalidApi.NotFound",
	"InvalidProduct.NotFound",
	"InvalidAction",
	"InvalidVersion",
	"NoSuchVersion",
	"Forbidden",
	"Forbidden.RAM",
	"ActionUnauthorized",
	"isp.RAM_PERMISSION_DENY",
	"isv.PRODUCT_UN_SUBSCRIPT",
	"isv.PRODUCT_UNSUBSCRIBE",
	"isv.ACCOUNT_NOT_EXISTS",
	"isv.PARTNER_NOT_EXIST",
	"isv.POOLKEY_NOT_EXISTS",
	"POOLKEY_NOT_EXIST",
]);

/** Codes that say "not now": the provider's own failures and flow control. */
function isUnavailableCode(code: string): boolean {
	return (
		code.startsWith("Throttling") ||
		code === "isv.FLOW_LIMIT" ||
		code === "ServiceUnavailable" ||
		code === "InternalError" ||
		(code.startsWith("isp.") && code !== "isp.RAM_PERMISSION_DENY")
	);
}

interface RpcAnswer {
	status: number;
	code: string | undefined;
	requestId: string | undefined;
	body: Record<string, unknown>;
}

export interface AliyunDyplsOptions extends Omit<AliyunTelephonyConfig, "provider"> {
	/** Whether the provider records calls on bindings: off, since a recording is contact data the vault has no use for. */
	recording?: boolean;
	/** The clock, ms since the epoch (tests pin it). */
	now?: () => number;
}

export class AliyunDypls implements TelephonyProvider {
	readonly provider = PROVIDER;

	constructor(private readonly options: AliyunDyplsOptions) {}

	async bind(request: BindRequest): Promise<Binding> {
		const action = "BindAxb";
		const phoneA = nationalNumber(request.phoneA);
		const phoneB = nationalNumber(request.phoneB);
		if (phoneA === null) throw new TelephonyRefusedError(PROVIDER, action, undefined, "phone A is not a mainland China number this product can bind");
		if (phoneB === null) throw new TelephonyRefusedError(PROVIDER, action, undefined, "phone B is not a mainland China number this product can bind");
		if (!OUT_ID.test(request.outId)) throw new TypeError("outId must be 1–64 characters of [A-Za-z0-9_.:-]");
		const expiresAt = Math.floor(request.expiresAt / 1000) * 1000;
		const parameters: Record<string, string> = {
			PoolKey: this.options.poolKey,
			PhoneNoA: phoneA,
			PhoneNoB: phoneB,
			Expiration: expirationInChinaStandardTime(expiresAt),
			IsRecordingEnabled: this.options.recording ? "true" : "false",
			OutId: request.outId,
		};
		if (request.expectCity) parameters.ExpectCity = request.expectCity;

		const answer = await this.call(action, parameters);
		const dto = answer.body.SecretBindDTO as Record<string, unknown> | undefined;
		const bindingId = dto && (typeof dto.SubsId === "string" || typeof dto.SubsId === "number") ? String(dto.SubsId) : "";
		const virtualNumber = dto && typeof dto.SecretNo === "string" ? dto.SecretNo : "";
		if (!SUBS_ID.test(bindingId) || !SECRET_NO.test(virtualNumber)) {
			throw rejected(new TelephonyUnavailableError(PROVIDER, action, undefined, "answered OK without a readable SecretBindDTO"), answer);
		}
		if (virtualNumber === phoneA || virtualNumber === phoneB) {
			// A provider fault that would hand one party the other's real number: undo it and refuse.
			await this.unbind({ bindingId, virtualNumber }).catch(() => undefined);
			throw rejected(new TelephonyUnavailableError(PROVIDER, action, undefined, "answered with a party's own number as X"), answer);
		}
		const extension = dto && typeof dto.Extension === "string" && /^\d{1,8}$/.test(dto.Extension) ? dto.Extension : undefined;
		return { bindingId, virtualNumber, ...(extension ? { extension } : {}), expiresAt };
	}

	async unbind(binding: BindingRef): Promise<UnbindOutcome> {
		const action = "UnbindSubscription";
		if (!SUBS_ID.test(binding.bindingId) || !SECRET_NO.test(binding.virtualNumber)) throw new TypeError("not a binding of this provider");
		// isv.SUBS_NOT_EXIST: already expired or unbound, so what the caller wanted is true.
		const answer = await this.call(action, { PoolKey: this.options.poolKey, SubsId: binding.bindingId, SecretNo: binding.virtualNumber }, [
			"isv.SUBS_NOT_EXIST",
		]);
		return answer.code === "OK" ? "unbound" : "gone";
	}

	/**
	 * One signed RPC request, logged once. Returns the answer when its Code is OK (or one of
	 * `accepted`); throws the typed error for anything else.
	 */
	private async call(action: string, actionParameters: Record<string, string>, accepted: readonly string[] = []): Promise<RpcAnswer> {
		const now = this.options.now?.() ?? Date.now();
		const parameters: Record<string, string> = {
			...actionParameters,
			AccessKeyId: this.options.accessKeyId,
			Action: action,
			Format: "JSON",
			SignatureMethod: "HMAC-SHA1",
			SignatureNonce: crypto.randomUUID(),
			SignatureVersion: "1.0",
			Timestamp: rpcTimestamp(now),
			Version: API_VERSION,
		};
		parameters.Signature = await rpcSignature("POST", parameters, this.options.accessKeySecret);
		const body = Object.entries(parameters)
			.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`)
			.join("&");

		const started = Date.now();
		const report = (outcome: string, fields: { status: number | null; code: string | null; requestId: string | null }) =>
			log({ action, outcome, status: fields.status, code: fields.code, request_id: fields.requestId, ms: Date.now() - started });
		let status: number;
		let text: string;
		try {
			const response = await fetch(`${this.options.endpoint}/`, {
				method: "POST",
				headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
				body,
				signal: AbortSignal.timeout(this.options.timeoutMs),
			});
			status = response.status;
			text = await response.text();
		} catch (error) {
			const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
			const description = timedOut ? `no answer within ${this.options.timeoutMs} ms` : "unreachable";
			const failure = new TelephonyUnavailableError(PROVIDER, action, undefined, description, { cause: error });
			report(failure.failure, { status: null, code: null, requestId: null });
			throw failure;
		}

		let parsed: unknown;
		try {
			parsed = JSON.parse(text);
		} catch {
			parsed = undefined;
		}
		const answerBody = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
		const rawCode = answerBody.Code;
		const code = typeof rawCode === "string" ? (PROVIDER_CODE.test(rawCode) ? rawCode : "unrecognised") : undefined;
		const requestId = typeof answerBody.RequestId === "string" && /^[A-Za-z0-9-]{1,64}$/.test(answerBody.RequestId) ? answerBody.RequestId : null;
		const answer: RpcAnswer = { status, code, requestId: requestId ?? undefined, body: answerBody };

		const success = (code === "OK" && status >= 200 && status < 300) || (code !== undefined && accepted.includes(code) && status < 500);
		if (success) {
			report("ok", { status, code: code ?? null, requestId });
			return answer;
		}
		const failure = classify(action, status, code);
		report(failure.failure, { status, code: code ?? null, requestId });
		throw failure;
	}
}

/** The typed error for an answer that is not a success. */
function classify(action: string, status: number, code: string | undefined): TelephonyError {
	// No code (a proxy's error page, a truncated body) or "OK" on an error status: nothing to trust.
	if (code === undefined || code === "OK")
		return new TelephonyUnavailableError(PROVIDER, action, undefined, `answered HTTP ${status} without a readable result`);
	if (CONFIGURATION_CODES.has(code)) return new TelephonyConfigurationError(PROVIDER, action, code, "refused the vault's credentials, signature or pool");
	if (code === "isv.NO_AVAILABLE_NUMBER") return new TelephonyNoNumberError(PROVIDER, action, code, "no number free in the pool");
	if (status >= 500 || isUnavailableCode(code)) return new TelephonyUnavailableError(PROVIDER, action, code, `failed (HTTP ${status})`);
	return new TelephonyRefusedError(PROVIDER, action, code, "refused the request");
}

/** An answer that said OK but cannot be used: logged as its own line, since the request's line said ok. */
function rejected<E extends TelephonyError>(error: E, answer: RpcAnswer): E {
	log({ action: error.action, outcome: error.failure, status: answer.status, code: "answer_rejected", request_id: answer.requestId ?? null });
	return error;
}

/** One line per provider request, for operations: ids and codes, never a number. */
function log(fields: Record<string, unknown>): void {
	const line = JSON.stringify({ event: "telephony_request", provider: PROVIDER, ...fields });
	if (fields.outcome === "ok") console.log(line);
	else console.warn(line);
}
