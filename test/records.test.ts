import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { keyringConfig } from "../src/config";
import { openContact } from "../src/crypto/envelope";
import { keyringFor } from "../src/crypto/keyring";
import { call, json, recordBody } from "./support/api";
import { countRecords, rawDump, recordRow } from "./support/db";
import { employeeToken, serviceToken } from "./support/tokens";

type View = { id: string; shipment_id: string; party: string; depot: string; courier: string | null; masked: Record<string, string>; key_id: string };

let service: string;
beforeAll(async () => {
	service = await serviceToken();
});

async function create(body: Record<string, unknown>): Promise<View> {
	const response = await call("POST", "/v1/records", { token: service, body });
	expect(response.status).toBe(201);
	return json<View>(response);
}

describe("records round trip", () => {
	it("creates, reads masked, reassigns and erases; after erase nothing decrypts", async () => {
		const body = recordBody({ contact: { name: "欧阳娜娜", phone: "+86 139-8765-4321", address: "北京市朝阳区建国路88号SOHO现代城5号楼" } });
		const created = await create(body);
		expect(created).toMatchObject({
			shipment_id: body.shipment_id,
			party: "recipient",
			depot: "SZ-NS-01",
			courier: "courier-0042",
			masked: { name: "欧阳**", phone: "1******4321", address: "北京市朝阳区****" },
			key_id: "k2",
		});
		expect(created.id).toMatch(/^rec_[0-9a-z]{26}$/);

		const read = await call("GET", `/v1/records/${created.id}`, { token: service });
		expect(read.status).toBe(200);
		expect(read.headers.get("Cache-Control")).toBe("no-store");
		const readText = await read.text();
		expect(JSON.parse(readText)).toEqual(created);
		for (const secret of ["欧阳娜娜", "13987654321", "建国路88号"]) expect(readText).not.toContain(secret);

		// The stored ciphertext opens to the normalized plaintext before erase.
		const keyring = await keyringFor(keyringConfig(env));
		const before = await recordRow(created.id);
		expect(before?.key_id).toBe("k2");
		const sealed = {
			keyId: before?.key_id as string,
			wrappedKey: before?.wrapped_key as string,
			ciphertext: { name: before?.name_ct as string, phone: before?.phone_ct as string, address: before?.address_ct as string },
		};
		expect(await openContact(keyring, created.id, sealed, ["name", "phone", "address"])).toEqual({
			name: "欧阳娜娜",
			phone: "+8613987654321",
			address: "北京市朝阳区建国路88号SOHO现代城5号楼",
		});

		const moved = await call("PATCH", `/v1/records/${created.id}`, { token: service, body: { depot: "SZ-FT-02", courier: "courier-0077" } });
		expect(moved.status).toBe(200);
		expect(await json(moved)).toMatchObject({ id: created.id, depot: "SZ-FT-02", courier: "courier-0077", masked: created.masked });
		const unassigned = await call("PATCH", `/v1/records/${created.id}`, { token: service, body: { courier: null } });
		expect(await json(unassigned)).toMatchObject({ depot: "SZ-FT-02", courier: null });

		const erased = await call("DELETE", `/v1/records/${created.id}`, { token: service });
		expect(erased.status).toBe(204);
		const after = await recordRow(created.id);
		expect(after).toMatchObject({ key_id: null, wrapped_key: null, name_ct: null, phone_ct: null, address_ct: null, phone_index: null, masked_name: null });
		expect(after?.erased_at).toBeTypeOf("number");
		// Neither the wrapped data key nor any ciphertext survives anywhere in D1.
		const dump = await rawDump();
		for (const sealedValue of [sealed.wrappedKey, ...Object.values(sealed.ciphertext)]) expect(dump).not.toContain(sealedValue);

		const gone = await call("GET", `/v1/records/${created.id}`, { token: service });
		expect(gone.status).toBe(410);
		expect((await json(gone)).type).toBe("/problems/record-erased");
		expect((await call("PATCH", `/v1/records/${created.id}`, { token: service, body: { depot: "X" } })).status).toBe(410);
		expect((await call("DELETE", `/v1/records/${created.id}`, { token: service })).status).toBe(204);
		const byPhone = await call("POST", "/v1/records/lookup", { token: service, body: { phone: "13987654321" } });
		expect(await json(byPhone)).toEqual({ records: [] });
	});

	it("finds records by exact phone in any accepted format, and only those", async () => {
		const a = await create(recordBody({ contact: { name: "李雷", phone: "13700001111", address: "浙江省杭州市西湖区文一西路1号" } }));
		const b = await create(recordBody({ party: "sender", contact: { name: "李雷", phone: "+86 137 0000 1111", address: "浙江省杭州市西湖区文一西路2号" } }));
		await create(recordBody({ contact: { name: "韩梅梅", phone: "13700001112", address: "浙江省杭州市西湖区文一西路3号" } }));
		for (const phone of ["13700001111", "+8613700001111", "0086 137-0000-1111"]) {
			// The phone travels in the body, kept out of URLs and access logs.
			const posted = await call("POST", "/v1/records/lookup", { token: service, body: { phone } });
			expect(posted.status).toBe(200);
			expect((await json<{ records: View[] }>(posted)).records.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
		}
		expect((await call("POST", "/v1/records/lookup", { token: service, body: { phone: "not a phone" } })).status).toBe(422);
		expect(
			(await call("POST", "/v1/records/lookup", { token: await employeeToken("clerk", "k", "D1", "reveal records:read"), body: { phone: "13700001111" } }))
				.status,
		).toBe(403);
	});

	it("the phone index is keyed: it is not a plain hash of the number", async () => {
		const created = await create(recordBody({ contact: { name: "王五", phone: "13600002222", address: "四川省成都市武侯区学府路9号" } }));
		const row = await recordRow(created.id);
		const plainHash = async (text: string) =>
			btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))))
				.replace(/\+/g, "-")
				.replace(/\//g, "_")
				.replace(/=+$/, "");
		expect(row?.phone_index).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(row?.phone_index).not.toBe(await plainHash("+8613600002222"));
		expect(row?.phone_index).not.toBe(await plainHash("13600002222"));
	});

	it("lists a shipment's records: all of them for services, only assigned ones for employees", async () => {
		const shipment = `SHIP${Date.now()}`;
		const sender = await create(recordBody({ shipment_id: shipment, party: "sender", depot: "GZ-TH-01", courier: undefined }));
		const recipient = await create(recordBody({ shipment_id: shipment, party: "recipient", depot: "SZ-NS-01", courier: "courier-7" }));
		const list = async (token: string) => {
			const response = await call("GET", `/v1/records?shipment_id=${shipment}`, { token });
			expect(response.status).toBe(200);
			return (await json<{ records: View[] }>(response)).records.map((r) => r.id).sort();
		};
		expect(await list(service)).toEqual([sender.id, recipient.id].sort());
		expect(await list(await employeeToken("courier", "courier-7", "SZ-NS-01"))).toEqual([recipient.id]);
		expect(await list(await employeeToken("courier", "courier-8", "SZ-NS-01"))).toEqual([]);
		expect(await list(await employeeToken("clerk", "clerk-1", "GZ-TH-01"))).toEqual([sender.id]);
		expect(await list(await employeeToken("supervisor", "sup-1", "SZ-NS-01"))).toEqual([recipient.id]);
	});

	it("employees never search by phone or read by id, whatever scopes their token claims", async () => {
		const created = await create(recordBody());
		const overScoped = await employeeToken("supervisor", "sup-2", "SZ-NS-01", "reveal records:read records:write records:delete");
		expect((await call("POST", "/v1/records/lookup", { token: overScoped, body: { phone: "13812345678" } })).status).toBe(403);
		expect((await call("GET", `/v1/records/${created.id}`, { token: overScoped })).status).toBe(403);
		expect((await call("DELETE", `/v1/records/${created.id}`, { token: overScoped })).status).toBe(403);
		expect((await call("POST", "/v1/records", { token: overScoped, body: recordBody() })).status).toBe(403);
		expect((await recordRow(created.id))?.erased_at).toBeNull();
	});

	it("creates a batch in one transaction and returns ids in input order", async () => {
		const inputs = Array.from({ length: 250 }, () => recordBody());
		const before = await countRecords();
		const response = await call("POST", "/v1/records/batch", { token: service, body: { records: inputs } });
		expect(response.status).toBe(201);
		const { ids } = await json<{ ids: string[] }>(response);
		expect(ids).toHaveLength(250);
		expect(await countRecords()).toBe(before + 250);
		const last = await json<View>(await call("GET", `/v1/records/${ids[249]}`, { token: service }));
		expect(last.shipment_id).toBe(inputs[249]?.shipment_id);
	});

	it("a batch that collides with an existing record writes nothing (all or nothing)", async () => {
		const existing = await create(recordBody());
		const inputs = [recordBody(), recordBody(), recordBody({ shipment_id: existing.shipment_id, party: existing.party }), recordBody()];
		const before = await countRecords();
		const response = await call("POST", "/v1/records/batch", { token: service, body: { records: inputs } });
		expect(response.status).toBe(409);
		expect((await json(response)).type).toBe("/problems/conflict");
		expect(await countRecords()).toBe(before);
	});

	it("one live record per shipment and party; erasing frees the slot", async () => {
		const body = recordBody();
		const first = await create(body);
		const again = await call("POST", "/v1/records", { token: service, body });
		expect(again.status).toBe(409);
		expect((await call("DELETE", `/v1/records/${first.id}`, { token: service })).status).toBe(204);
		const replacement = await create(body);
		expect(replacement.id).not.toBe(first.id);
	});

	it("unknown ids are 404, not 500", async () => {
		const missing = "rec_00000000000000000000000000";
		expect((await call("GET", `/v1/records/${missing}`, { token: service })).status).toBe(404);
		expect((await call("PATCH", `/v1/records/${missing}`, { token: service, body: { depot: "X" } })).status).toBe(404);
		expect((await call("DELETE", `/v1/records/${missing}`, { token: service })).status).toBe(404);
	});
});
