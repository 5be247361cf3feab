import { decodeBase64url, encodeBase64url } from "./base64url";
import { DecryptionFailedError } from "./errors";
import type { Keyring } from "./keyring";

export const CONTACT_FIELDS = ["name", "phone", "address"] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];
export type Contact = Record<ContactField, string>;

/** What D1 holds for one record's contact data: no plaintext, no unwrapped key. */
export interface SealedContact {
	keyId: string;
	wrappedKey: string;
	ciphertext: Record<ContactField, string>;
}

const IV_BYTES = 12; // 96-bit IV: the size GCM is specified for (NIST SP 800-38D §8.2).
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Additional authenticated data binding a ciphertext to its record, field and key id: a ciphertext
 * copied into another row or another column fails to authenticate instead of decrypting.
 */
function additionalData(recordId: string, field: ContactField, keyId: string): BufferSource {
	return encoder.encode(`contact-vault/v1\u0000${recordId}\u0000${field}\u0000${keyId}`);
}

/**
 * Envelope encryption: a fresh AES-256 data key per record encrypts each field with AES-GCM and a
 * random IV; the data key is wrapped (AES-KW, RFC 3394) under the keyring's primary key.
 */
export async function sealContact(keyring: Keyring, recordId: string, contact: Contact): Promise<SealedContact> {
	const keyId = keyring.primaryKeyId;
	const dataKey = (await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"])) as CryptoKey;
	const wrapped = await crypto.subtle.wrapKey("raw", dataKey, keyring.wrappingKey(keyId), "AES-KW");
	const ciphertext = {} as Record<ContactField, string>;
	for (const field of CONTACT_FIELDS) {
		const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
		const sealed = await crypto.subtle.encrypt(
			{ name: "AES-GCM", iv, additionalData: additionalData(recordId, field, keyId) },
			dataKey,
			encoder.encode(contact[field]),
		);
		const joined = new Uint8Array(IV_BYTES + sealed.byteLength);
		joined.set(iv);
		joined.set(new Uint8Array(sealed), IV_BYTES);
		ciphertext[field] = encodeBase64url(joined);
	}
	return { keyId, wrappedKey: encodeBase64url(new Uint8Array(wrapped)), ciphertext };
}

/** Decrypts only the fields asked for; any tampering surfaces as DecryptionFailedError, never garbage. */
export async function openContact(keyring: Keyring, recordId: string, sealed: SealedContact, fields: readonly ContactField[]): Promise<Partial<Contact>> {
	const kek = keyring.wrappingKey(sealed.keyId);
	let dataKey: CryptoKey;
	try {
		dataKey = await crypto.subtle.unwrapKey("raw", decodeBase64url(sealed.wrappedKey), kek, "AES-KW", "AES-GCM", false, ["decrypt"]);
	} catch (cause) {
		throw new DecryptionFailedError(recordId, "data key", { cause });
	}
	const opened: Partial<Contact> = {};
	for (const field of fields) {
		try {
			const bytes = decodeBase64url(sealed.ciphertext[field]);
			const plaintext = await crypto.subtle.decrypt(
				{ name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES), additionalData: additionalData(recordId, field, sealed.keyId) },
				dataKey,
				bytes.subarray(IV_BYTES),
			);
			opened[field] = decoder.decode(plaintext);
		} catch (cause) {
			throw new DecryptionFailedError(recordId, field, { cause });
		}
	}
	return opened;
}
