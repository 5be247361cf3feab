import type { Keyring } from "../crypto/keyring";

export interface KeyUsage {
	key_id: string;
	configured: boolean;
	primary: boolean;
	records: number;
	removable: boolean;
}

export interface KeyReport {
	primary: string;
	keys: KeyUsage[];
	rewrap_pending: number;
}

/**
 * Which keys hold which records: every configured key and every key id still in use, configured or
 * not. Pure over the counts, so what "removable" means is decided in one place.
 */
export function keyReport(keyring: Keyring, recordsByKeyId: Record<string, number>): KeyReport {
	const keyIds = [...new Set([...keyring.keyIds(), ...Object.keys(recordsByKeyId)])].sort();
	const keys = keyIds.map((keyId) => {
		const records = recordsByKeyId[keyId] ?? 0;
		const configured = keyring.hasKey(keyId);
		const primary = keyId === keyring.primaryKeyId;
		return { key_id: keyId, configured, primary, records, removable: configured && !primary && records === 0 };
	});
	const rewrap_pending = keys.filter((key) => key.configured && !key.primary).reduce((sum, key) => sum + key.records, 0);
	return { primary: keyring.primaryKeyId, keys, rewrap_pending };
}
