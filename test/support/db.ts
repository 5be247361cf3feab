import { env } from "cloudflare:workers";
import type { ContactField, SealedContact } from "../../src/crypto/envelope";

/** Every application table in D1 (not D1's or SQLite's own). */
export async function tableNames(): Promise<string[]> {
	const { results } = await env.DB.prepare(
		"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
	).all<{ name: string }>();
	return results.map((row) => row.name);
}

/** All rows of all tables as one JSON string: what an attacker with a raw D1 export would hold. */
export async function rawDump(): Promise<string> {
	const dump: Record<string, unknown[]> = {};
	for (const table of await tableNames()) {
		dump[table] = (await env.DB.prepare(`SELECT * FROM "${table}"`).all()).results;
	}
	return JSON.stringify(dump);
}

export async function countRecords(): Promise<number> {
	return (await env.DB.prepare("SELECT count(*) AS n FROM records").first<{ n: number }>())?.n ?? 0;
}

export interface RecordRow {
	id: string;
	key_id: string | null;
	wrapped_key: string | null;
	name_ct: string | null;
	phone_ct: string | null;
	address_ct: string | null;
	phone_index: string | null;
	masked_name: string | null;
	erased_at: number | null;
	depot: string;
	courier: string | null;
}

export async function recordRow(id: string): Promise<RecordRow | null> {
	return env.DB.prepare("SELECT * FROM records WHERE id = ?1").bind(id).first<RecordRow>();
}

/** The envelope a row holds, as the crypto module reads it. */
export function sealedOf(row: RecordRow | null): SealedContact {
	if (!row?.key_id || !row.wrapped_key) throw new Error("row is erased");
	return {
		keyId: row.key_id,
		wrappedKey: row.wrapped_key,
		ciphertext: { name: row.name_ct, phone: row.phone_ct, address: row.address_ct } as Record<ContactField, string>,
	};
}
