/**
 * MACs of audit entries (migration 0022): the vault's HMAC over an entry's content, under the
 * keyring's row-MAC key (src/crypto/row-mac.ts, domain `audit_log`), written with the entry and
 * judged by the sealer as it links it. Whoever can reach D1 but not the worker's secrets can insert
 * an entry (with the trigger of migration 0024 dropped), but not one whose MAC verifies, short of a
 * copy of one the vault wrote: a limiter's entries (every reveal's) carry a unique outbox id, and a
 * copy of another says again what the log already says.
 */
import { UnknownKeyIdError } from "../crypto/errors";
import type { Keyring } from "../crypto/keyring";
import { checkRow, type RowContent, type RowSeal, sealRow } from "../crypto/row-mac";
import type { EntryContent } from "./entry";

/** An entry as written: its content, and the id a limiter object gave it (null for the worker's own). */
export type MacedEntry = EntryContent & { entry_id?: string | null };

/** `unknown_key`: a MAC naming a key the ring does not hold, which the vault did not write now. */
export type EntryVerdict = "valid" | "unsigned" | "forged" | "unknown_key";

export interface EntryMacs {
	seal(entry: MacedEntry): Promise<RowSeal>;
	verdict(entry: MacedEntry & { mac: string | null; mac_key: string | null }): Promise<EntryVerdict>;
}

/** The columns a MAC is over: everything the entry says, not its position or hashes (null columns left out). */
function macContent(entry: MacedEntry): RowContent {
	return {
		at: entry.at,
		kind: entry.kind,
		actor: entry.actor,
		actor_issuer: entry.actor_issuer,
		actor_role: entry.actor_role,
		actor_depot: entry.actor_depot,
		record_id: entry.record_id,
		details: entry.details,
		entry_id: entry.entry_id ?? null,
	};
}

export function entryMacsOf(keyring: () => Promise<Keyring>): EntryMacs {
	return {
		seal: async (entry) => sealRow(await keyring(), "audit_log", macContent(entry)),
		verdict: async (entry) => {
			try {
				// Judged once, as it is sealed: kept out of the memo of the rows reads verify again and again.
				return await checkRow(await keyring(), "audit_log", macContent(entry), entry, false);
			} catch (error) {
				if (error instanceof UnknownKeyIdError) return "unknown_key";
				throw error;
			}
		},
	};
}
