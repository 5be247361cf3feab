import { env } from "cloudflare:workers";
import { createLocalJWKSet, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { call, callWith, json, recordBody } from "./support/api";
import { callFirst } from "./support/call-first";
import { decodePart, forge } from "./support/reveal-tokens";
import { settle } from "./support/settle";
import { base64url, employeeToken, fromBase64url, serviceToken, token } from "./support/tokens";
import { reportWork, type WorkOf } from "./support/work";

type Ticket = { reveal_token: string; expires_at: string };

let service: string;
let courier1: string;
let courier2: string;
let clerkD1: string;
let clerkD2: string;
let recipient1: string; // shipment A, depot D1, courier c1
let sender1: string; // shipment A, depot D1, no courier
let recipient2: string; // shipment B, depot D2, courier c2

const PHONE_1 = "13512345678";
const NAME_1 = "林黛玉";

beforeAll(async () => {
	service = await serviceToken("records:write records:read records:delete ops");
	courier1 = await employeeToken("courier", "c1", "D1");
	courier2 = await employeeToken("courier", "c2", "D2");
	clerkD1 = await employeeToken("clerk", "k1", "D1");
	clerkD2 = await employeeToken("clerk", "k2", "D2");
	const create = async (body: Record<string, unknown>) => {
		const id = ((await (await call("POST", "/v1/records", { token: service, body })).json()) as { id: string }).id;
		await reportWork(service, [body as unknown as WorkOf]);
		return id;
	};
	recipient1 = await create(
		recordBody({
			shipment_id: "SHIPA",
			party: "recipient",
			depot: "D1",
			courier: "c1",
			contact: { name: NAME_1, phone: PHONE_1, address: "江苏省苏州市昆山市长江路8号" },
		}),
	);
	sender1 = await create(
		recordBody({
			shipment_id: "SHIPA",
			party: "sender",
			depot: "D1",
			courier: undefined,
			contact: { name: "贾宝玉", phone: "13600000001", address: "北京市朝阳区建国路1号" },
		}),
	);
	// The sender's pickup is someone else's round, at D1: clerks of D1 may reveal for it.
	await call("POST", "/v1/shipment-events", { token: service, body: { events: [{ shipment_id: "SHIPA", type: "pickup_scheduled", courier: "c9" }] } });
	recipient2 = await create(
		recordBody({
			shipment_id: "SHIPB",
			party: "recipient",
			depot: "D2",
			courier: "c2",
			contact: { name: "薛宝钗", phone: "13700000002", address: "上海市浦东新区世纪大道2号" },
		}),
	);
	// Each courier calls their customer first: a delivery's phone is revealed only after a call on the leg.
	await callFirst({ sub: "c1", role: "courier", depot: "D1" }, recipient1);
	await callFirst({ sub: "c2", role: "courier", depot: "D2" }, recipient2);
});

async function ask(bearer: string, recordId: string, fields: string[], purpose: string) {
	const caseId = purpose === "customer_service" ? { case_id: "CS-1" } : {};
	return call("POST", "/v1/reveals", { token: bearer, body: { record_id: recordId, fields, purpose, ...caseId } });
}

async function ticket(bearer: string, recordId: string, fields: string[], purpose: string): Promise<string> {
	const response = await ask(bearer, recordId, fields, purpose);
	expect(response.status).toBe(201);
	return (await json<Ticket>(response)).reveal_token;
}

const redeem = (bearer: string, revealToken: string) => call("POST", "/v1/reveals/redeem", { token: bearer, body: { reveal_token: revealToken } });

async function auditKinds(recordId: string): Promise<{ kind: string; reason?: string }[]> {
	// The limiters commit their entries with each decision and flush them by alarm: drive that first.
	await settle(courier1, courier2, clerkD1, clerkD2);
	const { results } = await env.DB.prepare("SELECT kind, details FROM audit_log WHERE record_id = ?1 ORDER BY seq")
		.bind(recordId)
		.all<{ kind: string; details: string }>();
	return results.map((row) => ({ kind: row.kind, reason: (JSON.parse(row.details) as { reason?: string }).reason }));
}

describe("reveal: ask and redeem", () => {
	it("a courier reveals the phone of their own delivery, once", async () => {
		const response = await ask(courier1, recipient1, ["phone"], "delivery");
		expect(response.status).toBe(201);
		const { reveal_token, expires_at } = await json<Ticket>(response);
		expect(reveal_token).not.toContain(PHONE_1);

		const header = decodePart(reveal_token, 0);
		const claims = decodePart(reveal_token, 1) as {
			iat: number;
			exp: number;
			nbf: number;
			aud: string;
			sub: string;
			jti: string;
			rid: string;
			fields: string[];
			purpose: string;
		};
		expect(header).toMatchObject({ alg: "EdDSA", typ: "reveal+jwt", kid: "reveal-1" });
		expect(claims).toMatchObject({ aud: "contact-vault/reveal", iss: "contact-vault", sub: "c1", rid: recipient1, fields: ["phone"], purpose: "delivery" });
		expect(claims.exp - claims.iat).toBe(60);
		expect(new Date(expires_at).getTime()).toBe(claims.exp * 1000);
		expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);

		const revealed = await redeem(courier1, reveal_token);
		expect(revealed.status).toBe(200);
		expect(revealed.headers.get("Cache-Control")).toBe("no-store");
		expect(await revealed.json()).toEqual({ record_id: recipient1, purpose: "delivery", fields: { phone: `+86${PHONE_1}` } });

		const again = await redeem(courier1, reveal_token);
		expect(again.status).toBe(409);
		expect((await json(again)).type).toBe("/problems/reveal-token-used");
		expect(JSON.stringify(await auditKinds(recipient1))).toContain('{"kind":"reveal.refused","reason":"already_redeemed"}');
	});

	it("the JWKS verifies issued tokens and publishes no private member", async () => {
		const jwks = await json<{ keys: Record<string, unknown>[] }>(await call("GET", "/.well-known/jwks.json"));
		expect(jwks.keys).toHaveLength(1);
		expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", kid: "reveal-1", alg: "EdDSA", use: "sig" });
		expect(jwks.keys[0]).not.toHaveProperty("d");
		const issued = await ticket(courier1, recipient1, ["name"], "delivery");
		const { payload } = await jwtVerify(issued, createLocalJWKSet(jwks as never), { audience: "contact-vault/reveal", typ: "reveal+jwt" });
		expect(payload.rid).toBe(recipient1);
	});

	it("only the fields the purpose needs, refused rather than trimmed", async () => {
		const refused = await ask(clerkD1, recipient1, ["phone", "name"], "customer_service");
		expect(refused.status).toBe(403);
		expect(await json(refused)).toMatchObject({ type: "/problems/purpose-not-allowed", reason: "field_not_in_purpose" });
		const wrongParty = await ask(clerkD1, sender1, ["phone"], "delivery");
		expect(wrongParty.status).toBe(403);
		expect((await json(wrongParty)).type).toBe("/problems/purpose-not-allowed");
		// A clerk's plaintext phone limit for deliveries and pickups is 0 (test/phone-reveals.test.ts): the other fields.
		const ok = await ask(clerkD1, sender1, ["name", "address"], "pickup");
		expect(ok.status).toBe(201);
	});

	it("a courier cannot reveal another courier's record, nor a clerk another depot's", async () => {
		for (const [bearer, record] of [
			[courier2, recipient1],
			[courier1, recipient2],
			[clerkD2, recipient1],
			[clerkD1, recipient2],
		] as const) {
			const response = await ask(bearer, record, ["phone"], "delivery");
			expect(response.status).toBe(403);
			expect((await json(response)).type).toBe("/problems/out-of-scope");
		}
		expect(JSON.stringify(await auditKinds(recipient2))).toContain('{"kind":"reveal.denied","reason":"not_assigned"}');
	});

	it("even holding a valid token for a different record, an employee cannot reach another's record", async () => {
		const own = await ticket(courier2, recipient2, ["phone"], "delivery");
		const retargeted = `${base64url(JSON.stringify(decodePart(own, 0)))}.${base64url(JSON.stringify({ ...decodePart(own, 1), rid: recipient1 }))}.${own.split(".")[2]}`;
		const response = await redeem(courier2, retargeted);
		expect(response.status).toBe(403);
		expect(await response.text()).not.toContain(PHONE_1);
		// And the token itself still speaks only for its own record.
		const honest = await redeem(courier2, own);
		expect(await json(honest)).toMatchObject({ record_id: recipient2 });
	});

	it("a service reveals a phone for notify only", async () => {
		const notifier = await token({ sub: "notify-svc", scope: "reveal" });
		const issued = await ticket(notifier, recipient2, ["phone"], "notify");
		expect(await json(await redeem(notifier, issued))).toEqual({ record_id: recipient2, purpose: "notify", fields: { phone: "+8613700000002" } });
		expect((await ask(notifier, recipient2, ["name"], "notify")).status).toBe(403);
		expect((await ask(notifier, recipient2, ["phone"], "delivery")).status).toBe(403);
		expect((await ask(courier2, recipient2, ["phone"], "notify")).status).toBe(403);
	});

	it("asks need the reveal scope, and unknown records are 404", async () => {
		expect((await ask(await employeeToken("courier", "c1", "D1", "records:read"), recipient1, ["phone"], "delivery")).status).toBe(403);
		expect((await ask(courier1, "rec_00000000000000000000000000", ["phone"], "delivery")).status).toBe(404);
	});

	it("a record reassigned between ask and redeem is no longer revealed to the old courier", async () => {
		const issued = await ticket(courier1, recipient1, ["address"], "delivery");
		await call("PATCH", `/v1/records/${recipient1}`, { token: service, body: { courier: "c9" } });
		const response = await redeem(courier1, issued);
		expect(response.status).toBe(403);
		expect((await json(response)).type).toBe("/problems/out-of-scope");
		await call("PATCH", `/v1/records/${recipient1}`, { token: service, body: { courier: "c1" } });
	});

	it("a record erased between ask and redeem reveals nothing", async () => {
		const body = recordBody({ depot: "D1", courier: "c1" });
		const doomed = ((await (await call("POST", "/v1/records", { token: service, body })).json()) as { id: string }).id;
		await reportWork(service, [body]);
		const issued = await ticket(courier1, doomed, ["name"], "delivery");
		expect((await call("DELETE", `/v1/records/${doomed}`, { token: service })).status).toBe(204);
		expect((await redeem(courier1, issued)).status).toBe(410);
	});
});

describe("reveal tokens under attack at redeem", () => {
	let genuine: string;
	beforeAll(async () => {
		genuine = await ticket(courier1, recipient1, ["phone"], "delivery");
	});

	const attacks: [string, () => Promise<string>, string?][] = [
		["alg none", async () => `${base64url(JSON.stringify({ alg: "none", typ: "reveal+jwt" }))}.${genuine.split(".")[1]}.`],
		[
			"HS256 signed with the vault's public key",
			async () => {
				const jwks = await json<{ keys: { x: string }[] }>(await call("GET", "/.well-known/jwks.json"));
				const input = `${base64url(JSON.stringify({ alg: "HS256", typ: "reveal+jwt", kid: "reveal-1" }))}.${genuine.split(".")[1]}`;
				const key = await crypto.subtle.importKey("raw", fromBase64url(jwks.keys[0]?.x as string), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
				return `${input}.${base64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input))))}`;
			},
		],
		["wrong kid", () => forge(genuine, { header: { kid: "reveal-0" } })],
		[
			"expired by one second",
			() =>
				forge(genuine, {
					claims: { iat: Math.floor(Date.now() / 1000) - 61, nbf: Math.floor(Date.now() / 1000) - 61, exp: Math.floor(Date.now() / 1000) - 1 },
				}),
		],
		["not yet valid", () => forge(genuine, { claims: { nbf: Math.floor(Date.now() / 1000) + 30 } })],
		["wrong aud", () => forge(genuine, { claims: { aud: "contact-vault" } })],
		["wrong typ (a plain JWT)", () => forge(genuine, { header: { typ: "JWT" } })],
		[
			"older than the maximum token age",
			() => forge(genuine, { claims: { iat: Math.floor(Date.now() / 1000) - 400, exp: Math.floor(Date.now() / 1000) + 60 } }),
		],
		[
			"fields edited in the payload",
			async () =>
				`${genuine.split(".")[0]}.${base64url(JSON.stringify({ ...decodePart(genuine, 1), fields: ["phone", "name", "address"] }))}.${genuine.split(".")[2]}`,
		],
		[
			"record edited in the payload",
			async () => `${genuine.split(".")[0]}.${base64url(JSON.stringify({ ...decodePart(genuine, 1), rid: recipient2 }))}.${genuine.split(".")[2]}`,
		],
		["signed by another vault's key with the same kid", () => forge(genuine, { foreignKey: true })],
		["a bearer token from the identity provider", () => token({ sub: "c1", role: "courier", depot: "D1", scope: "reveal" })],
		["issued to employee A, redeemed by B", async () => genuine, "courier-d1-b"],
		["garbage", async () => "x.y.z"],
	];

	for (const [name, make, redeemer] of attacks) {
		it(`refuses: ${name}`, async () => {
			const bearer = redeemer ? await employeeToken("courier", redeemer, "D1") : courier1;
			const response = await redeem(bearer, await make());
			expect(response.status).toBe(403);
			const text = await response.text();
			expect(JSON.parse(text).type).toBe("/problems/reveal-token-invalid");
			expect(text).not.toContain(PHONE_1);
		});
	}

	it("after all that, the genuine token still redeems for its holder (attacks consumed nothing)", async () => {
		const response = await redeem(courier1, genuine);
		expect(response.status).toBe(200);
	});
});

describe("single use under concurrency and failure", () => {
	it("20 concurrent redeems of one token: exactly one 200, the rest 409", async () => {
		// Other tests refused this courier often this hour: room for 19 more refusals, each answered on its own.
		const ops = await token({ sub: "ops-reveals", scope: "ops" });
		expect((await call("PUT", "/v1/policies/employee/c1", { token: ops, body: { mode: "enforce", refusal_limit: 1000 } })).status).toBeLessThan(300);
		const issued = await ticket(courier1, recipient1, ["phone"], "delivery");
		const responses = await Promise.all(Array.from({ length: 20 }, () => redeem(courier1, issued)));
		const statuses = responses.map((r) => r.status).sort();
		expect(statuses.filter((s) => s === 200)).toHaveLength(1);
		expect(statuses.filter((s) => s === 409)).toHaveLength(19);
		const bodies = await Promise.all(responses.map((r) => r.text()));
		expect(bodies.filter((b) => b.includes(PHONE_1))).toHaveLength(1);
	});

	it("D1 failing beside the redeem answers 503 and no plaintext; the token is not consumed", async () => {
		const issued = await ticket(courier1, recipient1, ["phone", "name"], "delivery");
		// An outage of the database, as a broken binding gives it: every statement fails.
		const down = new Proxy(env.DB, {
			get: (target, property) =>
				property === "prepare"
					? () => {
							throw new Error("D1_ERROR: database unavailable");
						}
					: Reflect.get(target, property),
		});
		const response = await callWith({ DB: down }, "POST", "/v1/reveals/redeem", { token: courier1, body: { reveal_token: issued } });
		expect(response.status).toBe(503);
		const text = await response.text();
		expect(JSON.parse(text).type).toBe("/problems/dependency-unavailable");
		for (const secret of [PHONE_1, NAME_1]) expect(text).not.toContain(secret);
		const retry = await redeem(courier1, issued);
		expect(retry.status).toBe(200);
		expect(await json(retry)).toMatchObject({ fields: { phone: `+86${PHONE_1}`, name: NAME_1 } });
		await settle(courier1);
		const jti = decodePart(issued, 1).jti as string;
		const { results } = await env.DB.prepare("SELECT kind, details FROM audit_log WHERE details LIKE ?1 ORDER BY seq")
			.bind(`%${jti}%`)
			.all<{ kind: string; details: string }>();
		// The first mark was lifted and says why; the second revealed.
		expect(results.map((row) => [row.kind, (JSON.parse(row.details) as { reason?: string }).reason ?? null])).toEqual([
			["reveal.granted", null],
			["reveal.redeemed", null],
			["reveal.voided", "storage_unavailable"],
			["reveal.redeemed", null],
		]);
	});

	it("a limiter that cannot be reached reveals nothing (503), and nothing is marked", async () => {
		const issued = await ticket(courier1, recipient1, ["phone"], "delivery");
		// The limiter object overloaded or resetting: every call to it fails.
		const unreachable = {
			idFromName: (name: string) => env.LIMITER.idFromName(name),
			get: () =>
				new Proxy(
					{},
					{
						get: () => () => Promise.reject(new Error("Durable Object is overloaded")),
					},
				),
		};
		const response = await callWith({ LIMITER: unreachable as unknown as typeof env.LIMITER }, "POST", "/v1/reveals/redeem", {
			token: courier1,
			body: { reveal_token: issued },
		});
		expect(response.status).toBe(503);
		expect(await response.text()).not.toContain(PHONE_1);
		const retry = await redeem(courier1, issued);
		expect(retry.status).toBe(200);
	});
});
