import type { KeyringConfig } from "../config";
import { decodeBase64url } from "./base64url";
import { UnknownKeyIdError } from "./errors";

const encoder = new TextEncoder();

/**
 * The key-encryption keys, imported once per isolate. Each configured root key is never used
 * directly: HKDF (RFC 5869) derives a wrapping key and a blind-index key from it under distinct
 * labels, so the two uses stay cryptographically separate.
 */
export class Keyring {
	private constructor(
		readonly primaryKeyId: string,
		private readonly wrappingKeys: ReadonlyMap<string, CryptoKey>,
		private readonly indexKeys: ReadonlyMap<string, CryptoKey>,
		/** Key request fingerprints (idempotency), primary first: a retry across a rotation still matches. */
		readonly fingerprintKeys: readonly CryptoKey[],
		/** Keys of the MACs on access-state rows (src/crypto/row-mac.ts), by key id. */
		private readonly rowMacKeys: ReadonlyMap<string, CryptoKey>,
	) {}

	static async import(config: KeyringConfig): Promise<Keyring> {
		const wrapping = new Map<string, CryptoKey>();
		const phoneIndex = new Map<string, CryptoKey>();
		const fingerprint = new Map<string, CryptoKey>();
		const rowMac = new Map<string, CryptoKey>();
		for (const [keyId, encoded] of Object.entries(config.keys)) {
			const root = await crypto.subtle.importKey("raw", decodeBase64url(encoded), "HKDF", false, ["deriveKey"]);
			fingerprint.set(
				keyId,
				await crypto.subtle.deriveKey(hkdf("contact-vault/request-fingerprint/v1"), root, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]),
			);
			wrapping.set(keyId, await crypto.subtle.deriveKey(hkdf("contact-vault/kek/v1"), root, { name: "AES-KW", length: 256 }, false, ["wrapKey", "unwrapKey"]));
			phoneIndex.set(
				keyId,
				await crypto.subtle.deriveKey(hkdf("contact-vault/blind-index/phone/v1"), root, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]),
			);
			rowMac.set(
				keyId,
				await crypto.subtle.deriveKey(hkdf("contact-vault/row-mac/v1"), root, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign", "verify"]),
			);
		}
		const fingerprints = [config.primary, ...Object.keys(config.keys).filter((id) => id !== config.primary)].map((id) => fingerprint.get(id) as CryptoKey);
		return new Keyring(config.primary, wrapping, phoneIndex, fingerprints, rowMac);
	}

	/** Every configured key id, primary first. */
	keyIds(): string[] {
		return [this.primaryKeyId, ...[...this.wrappingKeys.keys()].filter((id) => id !== this.primaryKeyId)];
	}

	hasKey(keyId: string): boolean {
		return this.wrappingKeys.has(keyId);
	}

	wrappingKey(keyId: string): CryptoKey {
		const key = this.wrappingKeys.get(keyId);
		if (!key) throw new UnknownKeyIdError(keyId);
		return key;
	}

	/** Every phone blind-index key, primary first: lookups search under all of them during rotation. */
	phoneIndexKeys(): CryptoKey[] {
		const others = [...this.indexKeys.entries()].filter(([id]) => id !== this.primaryKeyId).map(([, key]) => key);
		return [this.primaryPhoneIndexKey(), ...others];
	}

	/** The row-MAC key of `keyId`, or null when the ring no longer (or never) held it. */
	rowMacKey(keyId: string): CryptoKey | null {
		return this.rowMacKeys.get(keyId) ?? null;
	}

	primaryPhoneIndexKey(): CryptoKey {
		const key = this.indexKeys.get(this.primaryKeyId);
		if (!key) throw new UnknownKeyIdError(this.primaryKeyId);
		return key;
	}
}

function hkdf(label: string) {
	return { name: "HKDF", hash: "SHA-256", salt: encoder.encode("contact-vault"), info: encoder.encode(label) };
}

const imported = new WeakMap<KeyringConfig, Promise<Keyring>>();

/** The imported keyring for a parsed configuration; config.ts hands out one object per raw value. */
export function keyringFor(config: KeyringConfig): Promise<Keyring> {
	let keyring = imported.get(config);
	if (!keyring) {
		keyring = Keyring.import(config);
		imported.set(config, keyring);
	}
	return keyring;
}
