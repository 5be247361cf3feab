/**
 * What the vault asks of a privacy-number (AXB) provider: bind an employee's phone A and a
 * customer's phone B behind a virtual number X until a given time, and end that binding early.
 * The customer's real number leaves the vault only towards the provider (DESIGN: "Calls instead of
 * numbers"). Each provider is one adapter file implementing this interface; the errors below are
 * the only failures an adapter throws, so the routes map every provider the same way.
 */

export interface BindRequest {
	/** The employee's own phone, E.164 (from the token's `phone_number` claim). */
	phoneA: string;
	/** The customer's phone, E.164, as the vault stores it. */
	phoneB: string;
	/** When the binding must be gone, ms since the epoch. The provider is asked for no later. */
	expiresAt: number;
	/**
	 * The vault's own reference for the binding (the call id), echoed by the provider in its call
	 * records. Never contact data: providers keep it and show it in their consoles.
	 */
	outId: string;
	/** Optional hint for choosing X near the customer (a city name, as the provider spells it). */
	expectCity?: string;
}

export interface Binding {
	/** The provider's id of the binding (Alibaba `SubsId`). */
	bindingId: string;
	/** X, the number the employee dials, as the provider gives it (Alibaba: national digits). */
	virtualNumber: string;
	/** An extension to dial after X, where the provider's product uses one (AXN); absent for AXB. */
	extension?: string;
	/** The expiry the provider was given, ms since the epoch: at most the requested one. */
	expiresAt: number;
}

/** What unbind needs: both ids, as some providers (Alibaba) key a binding by the pair. */
export interface BindingRef {
	bindingId: string;
	virtualNumber: string;
}

/** `gone`: the provider no longer knew the binding (expired or unbound before): nothing is left to end. */
export type UnbindOutcome = "unbound" | "gone";

export interface TelephonyProvider {
	/** Stable name of the provider, as in the TELEPHONY secret's `provider` (for audit and problems). */
	readonly provider: string;
	bind(request: BindRequest): Promise<Binding>;
	unbind(binding: BindingRef): Promise<UnbindOutcome>;
}

export type TelephonyFailure = "unavailable" | "no-number" | "refused" | "configuration";

/**
 * A provider call that did not succeed. Messages and fields name the provider, the action and the
 * provider's code, never a phone number and never the provider's free-text message (which may
 * echo the request's numbers).
 */
export abstract class TelephonyError extends Error {
	abstract readonly failure: TelephonyFailure;

	constructor(
		readonly provider: string,
		readonly action: string,
		/** The provider's own code (`isv.NO_AVAILABLE_NUMBER`, `SignatureDoesNotMatch`, …), when it gave one. */
		readonly providerCode: string | undefined,
		description: string,
		options?: ErrorOptions,
	) {
		super(`${provider} ${action}: ${description}${providerCode ? ` (${providerCode})` : ""}`, options);
	}
}

/** The provider did not answer, answered 5xx, timed out, throttled us, or answered something unreadable. Retrying later may work. */
export class TelephonyUnavailableError extends TelephonyError {
	readonly failure = "unavailable";
	override readonly name = "TelephonyUnavailableError";
}

/** The pool has no number free for this A–B pair (Alibaba `isv.NO_AVAILABLE_NUMBER`). */
export class TelephonyNoNumberError extends TelephonyError {
	readonly failure = "no-number";
	override readonly name = "TelephonyNoNumberError";
}

/** The provider understood the request and said no for a business reason (number format, account state, conflict). */
export class TelephonyRefusedError extends TelephonyError {
	readonly failure = "refused";
	override readonly name = "TelephonyRefusedError";
}

/** The provider refused the vault's credentials or signature, or does not know its pool: an operator must fix TELEPHONY. */
export class TelephonyConfigurationError extends TelephonyError {
	readonly failure = "configuration";
	override readonly name = "TelephonyConfigurationError";
}
