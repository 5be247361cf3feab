/**
 * Crypto failures are typed so callers can tell a missing key (an operator error to alert on) from
 * a ciphertext that does not authenticate (tampering). Messages carry key ids, never key material.
 */
export class UnknownKeyIdError extends Error {
	constructor(readonly keyId: string) {
		super(`key id ${keyId} is not in the keyring`);
		this.name = "UnknownKeyIdError";
	}
}

export class DecryptionFailedError extends Error {
	constructor(
		readonly recordId: string,
		readonly field: string,
		options?: ErrorOptions,
	) {
		super(`ciphertext of ${field} in record ${recordId} does not authenticate`, options);
		this.name = "DecryptionFailedError";
	}
}
