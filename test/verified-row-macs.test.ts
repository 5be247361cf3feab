import { describe, expect, it } from "vitest";
import { entryMacsOf } from "../src/audit/entry-macs";
import type { KeyringConfig } from "../src/config";
import { Keyring } from "../src/crypto/keyring";
import { checkRow, sealRow } from "../src/crypto/row-mac";
import { REMEMBERED_ROW_MACS, VerifiedRowMacs, verifiedRowMacsOf } from "../src/crypto/verified-row-macs";

const rootKey = () =>
	btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
		.replace(/\+/g, "-")
		.replace(/\//g, "_")
		.replace(/=+$/, "");

const ring = (config: KeyringConfig) => Keyring.import(config);
const assignment = {
	id: "rec-1",
	shipment_id: "SF1",
	party: "recipient",
	depot: "D1",
	courier: "c-1",
	courier_issuer: "https://issuer.test",
	honeytoken: false,
};

describe("row MACs remembered once verified", () => {
	it("audit entries, judged once as they are sealed, are kept out of the memo: a seal's thousands never push out the records' verdicts", async () => {
		const keyring = await ring({ primary: "k1", keys: { k1: rootKey() } });
		const record = await sealRow(keyring, "records", assignment);
		expect(await checkRow(keyring, "records", assignment, record)).toBe("valid");
		const memo = verifiedRowMacsOf(keyring);
		const asRead = (table: string, content: object) => `${table}\u0000${JSON.stringify(content)}`;
		const entries = entryMacsOf(async () => keyring);
		for (let i = 0; i <= REMEMBERED_ROW_MACS; i++) {
			const entry = {
				at: i,
				kind: "reveal.redeemed",
				actor: null,
				actor_issuer: null,
				actor_role: null,
				actor_depot: null,
				record_id: null,
				details: "{}",
				entry_id: `e-${i}`,
			};
			expect(await entries.verdict({ ...entry, ...(await entries.seal(entry)) })).toBe("valid");
		}
		expect(memo.holds(record.mac_key, record.mac, asRead("records", assignment))).toBe(true);
	});

	it("a row read again after its MAC verified is still judged by its content: an edit under the old MAC is forged", async () => {
		const keyring = await ring({ primary: "k1", keys: { k1: rootKey() } });
		const seal = await sealRow(keyring, "records", assignment);
		expect(await checkRow(keyring, "records", assignment, seal)).toBe("valid");
		// Remembered now: the same row again is valid, and every variation a DBA could write is not.
		expect(await checkRow(keyring, "records", assignment, seal)).toBe("valid");
		expect(await checkRow(keyring, "records", { ...assignment, courier: "c-2" }, seal)).toBe("forged");
		expect(await checkRow(keyring, "records", { ...assignment, honeytoken: true }, seal)).toBe("forged");
		expect(await checkRow(keyring, "records", { ...assignment, depot: "D1 " }, seal)).toBe("forged");
		// The same content under another table's name, and the MAC moved to another record.
		expect(await checkRow(keyring, "honeytokens", assignment, seal)).toBe("forged");
		expect(await checkRow(keyring, "records", { ...assignment, id: "rec-2" }, seal)).toBe("forged");
		// The MAC relabelled with another key id the ring holds: judged under that key, and fails.
		const two = await ring({ primary: "k1", keys: { k1: rootKey(), k2: rootKey() } });
		const sealedInTwo = await sealRow(two, "records", assignment);
		expect(await checkRow(two, "records", assignment, sealedInTwo)).toBe("valid");
		expect(await checkRow(two, "records", assignment, { ...sealedInTwo, mac_key: "k2" })).toBe("forged");
	});

	it("a forged MAC is never remembered, and a verdict does not outlive the keyring it was made under", async () => {
		const keyring = await ring({ primary: "k1", keys: { k1: rootKey() } });
		const seal = await sealRow(keyring, "legs", assignment);
		// The first character: all six of its bits are the MAC's. The last one of a 32-byte MAC in
		// base64url carries two unused bits (RFC 4648 §3.5), and A→B changes only those one time in 16.
		const forged = { mac: `${seal.mac.startsWith("A") ? "B" : "A"}${seal.mac.slice(1)}`, mac_key: "k1" };
		expect(await checkRow(keyring, "legs", assignment, forged)).toBe("forged");
		expect(await checkRow(keyring, "legs", assignment, forged)).toBe("forged");
		expect(await checkRow(keyring, "legs", assignment, seal)).toBe("valid");
		// The other three spellings of the last character decode to the same bytes; the vault writes none of them.
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		const last = alphabet.indexOf(seal.mac.slice(-1));
		expect(last % 4).toBe(0);
		for (const unused of [1, 2, 3]) {
			const respelled = { mac: `${seal.mac.slice(0, -1)}${alphabet[last + unused]}`, mac_key: "k1" };
			expect(await checkRow(keyring, "legs", assignment, respelled)).toBe("forged");
		}
		expect(await checkRow(keyring, "legs", assignment, seal)).toBe("valid");
		// A ring without the key (it was removed): the row cannot be judged, whatever another ring verified.
		const without = await ring({ primary: "k9", keys: { k9: rootKey() } });
		await expect(checkRow(without, "legs", assignment, seal)).rejects.toThrow(/k1/);
		// A ring with a different secret under the same key id: verified afresh, and fails.
		const other = await ring({ primary: "k1", keys: { k1: rootKey() } });
		expect(await checkRow(other, "legs", assignment, seal)).toBe("forged");
	});

	it("holds at most REMEMBERED_ROW_MACS verdicts, the least recently used leaving first", () => {
		const memo = new VerifiedRowMacs();
		memo.remember("k1", "mac-0", "row-0");
		for (let i = 1; i < REMEMBERED_ROW_MACS; i++) memo.remember("k1", `mac-${i}`, `row-${i}`);
		// Used again, so it is now the most recent; mac-1 is the oldest.
		expect(memo.holds("k1", "mac-0", "row-0")).toBe(true);
		memo.remember("k1", "mac-new", "row-new");
		expect(memo.holds("k1", "mac-1", "row-1")).toBe(false);
		expect(memo.holds("k1", "mac-0", "row-0")).toBe(true);
		expect(memo.holds("k1", "mac-new", "row-new")).toBe(true);
		expect(memo.holds("k1", "mac-new", "row-other")).toBe(false);
		expect(memo.holds("k2", "mac-new", "row-new")).toBe(false);
	});
});
