import { canonicalJson, type JsonValue } from "../audit/canonical-json";
import { decodeCanonicalBase64url, encodeBase64url } from "./base64url";
import { UnknownKeyIdError } from "./errors";
import type { Keyring } from "./keyring";
import { verifiedRowMacsOf } from "./verified-row-macs";

/** The tables whose rows grant or withhold access, each MACed under its own name. */
export const MACED_TABLES = ["policies", "records", "principal_status", "honeytokens", "legs", "alerts", "shipment_events"] as const;
export type MacedTable = (typeof MACED_TABLES)[number];
/** What a MAC may be over: those tables' rows, and audit entries (src/audit/entry-macs.ts), each under its own name. */
export type MacDomain = MacedTable | "audit_log";

/** What a row's grant-or-withhold columns hold; a null column is left out of the MAC (see canonicalRow). */
export type RowContent = Readonly<Record<string, string | number | boolean | null>>;

/** The MAC a row carries and the keyring key it was made under. */
export interface RowSeal {
	mac: string;
	mac_key: string;
}

/**
 * `valid`: the MAC verifies under the key it names. `unsigned`: the row carries no MAC (written
 * before migration 0014). `forged`: a MAC that does not verify. A MAC naming a key the ring does
 * not hold cannot be judged either way: checkRow throws UnknownKeyIdError, which fails the request
 * closed with a 500 naming the key id and a `key_missing` alert, as for a record's data key (a key
 * leaves the ring only once the re-MAC job has moved every row off it).
 */
export type RowVerdict = "valid" | "unsigned" | "forged";

const encoder = new TextEncoder();

/**
 * The bytes a row's MAC is over: RFC 8785 canonical JSON of the table name and the row's columns,
 * null columns left out. The table name keeps a row copied into another table from verifying
 * there; leaving nulls out means a migration that adds a nullable column does not invalidate the
 * MACs of the rows it leaves NULL.
 */
export function canonicalRow(table: MacDomain, content: RowContent): string {
	const columns: Record<string, JsonValue> = {};
	for (const [column, value] of Object.entries(content)) if (value !== null && value !== undefined) columns[column] = value;
	return canonicalJson({ table, columns });
}

/** The MAC of a row under the primary key's row-MAC key (HMAC-SHA-256, HKDF label contact-vault/row-mac/v1). */
export async function sealRow(keyring: Keyring, table: MacDomain, content: RowContent): Promise<RowSeal> {
	const key = keyring.rowMacKey(keyring.primaryKeyId);
	if (!key) throw new Error("primary row-MAC key missing");
	const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(canonicalRow(table, content))));
	return { mac: encodeBase64url(mac), mac_key: keyring.primaryKeyId };
}

/**
 * Checks a row's MAC against its content, in constant time (crypto.subtle.verify). `remembered`:
 * whether the isolate's memo of verified MACs (verified-row-macs.ts) is consulted and fed; rows read
 * again and again (records, legs) are, rows judged once (audit entries, as they are sealed) are
 * not, so they never push out the records' verdicts the reveal path reads.
 */
export async function checkRow(
	keyring: Keyring,
	table: MacDomain,
	content: RowContent,
	seal: { mac: string | null; mac_key: string | null },
	remembered = true,
): Promise<RowVerdict> {
	if (seal.mac === null && seal.mac_key === null) return "unsigned";
	if (seal.mac === null || seal.mac_key === null) return "forged";
	const key = keyring.rowMacKey(seal.mac_key);
	if (!key) throw new UnknownKeyIdError(seal.mac_key);
	const memo = remembered ? verifiedRowMacsOf(keyring) : null;
	// The row exactly as read (columns in the reader's order, nulls kept): a cheaper key than the canonical form, and as strict.
	const asRead = memo ? `${table}\u0000${JSON.stringify(content)}` : "";
	if (memo?.holds(seal.mac_key, seal.mac, asRead)) return "valid";
	let mac: Uint8Array;
	try {
		// A 32-byte MAC's last character has two unused bits: of its four spellings the vault writes
		// one, and a row whose stored text changed is judged changed.
		mac = decodeCanonicalBase64url(seal.mac);
	} catch {
		return "forged";
	}
	if (!(await crypto.subtle.verify("HMAC", key, mac, encoder.encode(canonicalRow(table, content))))) return "forged";
	memo?.remember(seal.mac_key, seal.mac, asRead);
	return "valid";
}
