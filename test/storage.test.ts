import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { demoRecords } from "../scripts/lib/demo-data.ts";
import { keyringConfig } from "../src/config";
import { type ContactField, openContact, type SealedContact } from "../src/crypto/envelope";
import { keyringFor } from "../src/crypto/keyring";
import { normalizePhone } from "../src/records/phone";
import { call, json } from "./support/api";
import { rawDump, recordRow, sealedOf } from "./support/db";
import { serviceToken } from "./support/tokens";

const seeded = demoRecords(150); // 300 records: the demo seed's own data
let ids: string[];

beforeAll(async () => {
	const response = await call("POST", "/v1/records/batch", { token: await serviceToken(), body: { records: seeded } });
	expect(response.status).toBe(201);
	ids = (await json<{ ids: string[] }>(response)).ids;
});

describe("what D1 holds", () => {
	it("a raw dump of every table after seeding contains no plaintext name, phone or address", async () => {
		const dump = await rawDump();
		expect(dump).toContain(ids[0]); // the dump does cover the records table
		for (const { contact } of seeded) {
			const e164 = normalizePhone(contact.phone) as string;
			for (const plaintext of [contact.name, contact.phone, e164, e164.slice(3), contact.address]) {
				expect(dump.includes(JSON.stringify(plaintext).slice(1, -1)), `plaintext found: ${plaintext.slice(0, 2)}…`).toBe(false);
			}
		}
	});

	it("the sealed fields open to the normalized plaintext (the dump test is not vacuous)", async () => {
		const keyring = await keyringFor(keyringConfig(env));
		const index = 7;
		const opened = await openContact(keyring, ids[index] as string, sealedOf(await recordRow(ids[index] as string)), ["name", "phone", "address"]);
		const { contact } = seeded[index] as (typeof seeded)[number];
		expect(opened).toEqual({ name: contact.name, phone: normalizePhone(contact.phone), address: contact.address });
	});
});

describe("tampering fails with an error, never garbage", () => {
	const open = async (recordId: string, sealed: SealedContact, fields: ContactField[]) =>
		openContact(await keyringFor(keyringConfig(env)), recordId, sealed, fields);

	it("a ciphertext swapped between two records does not open", async () => {
		const [a, b] = [ids[0] as string, ids[1] as string];
		const sealedA = sealedOf(await recordRow(a));
		const sealedB = sealedOf(await recordRow(b));
		await expect(open(a, { ...sealedA, ciphertext: { ...sealedA.ciphertext, phone: sealedB.ciphertext.phone } }, ["phone"])).rejects.toThrow(
			/phone in record .* does not authenticate/,
		);
		// Even with B's wrapped key moved along, the record id in the AAD does not match.
		await expect(open(a, sealedB, ["name"])).rejects.toThrow(/does not authenticate/);
	});

	it("a ciphertext swapped between two fields of one record does not open", async () => {
		const id = ids[2] as string;
		const sealed = sealedOf(await recordRow(id));
		await expect(open(id, { ...sealed, ciphertext: { ...sealed.ciphertext, name: sealed.ciphertext.address } }, ["name"])).rejects.toThrow(/name in record/);
	});

	it("a flipped byte in a ciphertext, an IV or a wrapped key does not open", async () => {
		const id = ids[3] as string;
		const sealed = sealedOf(await recordRow(id));
		const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
		await expect(open(id, { ...sealed, ciphertext: { ...sealed.ciphertext, address: flip(sealed.ciphertext.address, 30) } }, ["address"])).rejects.toThrow(
			/address/,
		);
		await expect(open(id, { ...sealed, ciphertext: { ...sealed.ciphertext, address: flip(sealed.ciphertext.address, 2) } }, ["address"])).rejects.toThrow(
			/address/,
		);
		await expect(open(id, { ...sealed, wrappedKey: flip(sealed.wrappedKey, 10) }, ["name"])).rejects.toThrow(/data key/);
	});

	it("a record claiming another key id does not open", async () => {
		const id = ids[4] as string;
		const sealed = sealedOf(await recordRow(id));
		await expect(open(id, { ...sealed, keyId: "k1" }, ["name"])).rejects.toThrow(/does not authenticate/);
		await expect(open(id, { ...sealed, keyId: "k9" }, ["name"])).rejects.toThrow(/key id k9 is not in the keyring/);
	});

	it("tampering a row in D1 never changes what the masked API shows into plaintext", async () => {
		const id = ids[5] as string;
		await env.DB.prepare("UPDATE records SET name_ct = (SELECT name_ct FROM records WHERE id = ?2) WHERE id = ?1").bind(id, ids[6]).run();
		const response = await call("GET", `/v1/records/${id}`, { token: await serviceToken() });
		expect(response.status).toBe(200);
		expect(JSON.stringify(await response.json())).not.toContain((seeded[6] as (typeof seeded)[number]).contact.name);
	});
});
