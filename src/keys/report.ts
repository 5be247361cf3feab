import type { Keyring } from "../crypto/keyring";

export interface KeyUsage {
	key_id: string;
	configured: boolean;
	primary: boolean;
	records: number;
	/** Rows (records, policy layers, status rows) whose MAC names this key (src/integrity/). */
	macs: number;
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
export function keyReport(keyring: Keyring, recordsByKeyId: Record<string, number>, macsByKeyId: Record<string, number> = {}): KeyReport {
	const keyIds = [...new Set([...keyring.keyIds(), ...Object.keys(recordsByKeyId), ...Object.keys(macsByKeyId)])].sort();
	const keys = keyIds.map((keyId) => {
		const records = recordsByKeyId[keyId] ?? 0;
		const macs = macsByKeyId[keyId] ?? 0;
		const configured = keyring.hasKey(keyId);
		const primary = keyId === keyring.primaryKeyId;
		// A row MACed under a removed key can no longer be judged, and its readers fail closed: the re-MAC job moves them first.
		return { key_id: keyId, configured, primary, records, macs, removable: configured && !primary && records === 0 && macs === 0 };
	});
	const rewrap_pending = keys.filter((key) => key.configured && !key.primary).reduce((sum, key) => sum + key.records, 0);
	return { primary: keyring.primaryKeyId, keys, rewrap_pending };
}
