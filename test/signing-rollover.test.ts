import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "../src/audit/entry";
import { CHAIN_START, verifyEntries } from "../src/audit/verify-chain";
import { inServiceAt, publishedKeys } from "../src/crypto/verification-keys";
import type { Env } from "../src/env";
import worker from "../src/index";
import { call, json, recordBody } from "./support/api";
import { callFirst } from "./support/call-first";
import { decodePart, forge, vaultSigningJwk } from "./support/reveal-tokens";
import { settle } from "./support/settle";
import { employeeToken, serviceToken, token } from "./support/tokens";
import { reportWork } from "./support/work";

type Jwk = JWK & { kid: string };
type Config = Partial<Record<keyof Env, string | undefined>>;
type Report = { ok: boolean; checkpoint_problems: { seq: number; reason: string }[] };
type Exported = {
	entries: AuditEntry[];
	checkpoints: { seq: number; hash: string; at: string; signature: string }[];
	jwks: { keys: (Jwk & { alg: string; retired_at?: string })[] };
};

const PHONE = "13912345678";

/** Key A: the vault's configured key (`reveal-1`, Ed25519), the one every other test file signs with. */
const keyA = (): Jwk => vaultSigningJwk();
let keyB: Jwk; // P-256, takes over from A
let keyC: Jwk; // Ed25519, announced as the next key
let service: string;
let ops: string;
let courier: string;
let recordId: string;

async function privateJwk(alg: "EdDSA" | "ES256", kid: string): Promise<Jwk> {
	const { privateKey } = await generateKeyPair(alg, { extractable: true });
	return { ...(await exportJWK(privateKey)), kid };
}

function publicOf(jwk: JWK): JWK {
	const { d: _d, ...rest } = jwk;
	return rest;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** B signs; A is a previous key retired at `retiredAt`. */
const rotated = (retiredAt: number, extra: Config = {}): Config => ({
	REVEAL_SIGNING_JWK: JSON.stringify(keyB),
	REVEAL_SIGNING_PREVIOUS: JSON.stringify([{ jwk: publicOf(keyA()), retired_at: iso(retiredAt) }]),
	...extra,
});

/** B signs and A is forgotten altogether. */
const bOnly = (): Config => ({ REVEAL_SIGNING_JWK: JSON.stringify(keyB) });

/** One request through the worker's own fetch handler with some configuration replaced. */
async function send(config: Config, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Response> {
	const headers = new Headers();
	if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
	if (options.body !== undefined) headers.set("Content-Type", "application/json");
	const ctx = createExecutionContext();
	const request = new Request(`https://vault.test${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
	const response = await worker.fetch(request, { ...env, ...config } as Env, ctx);
	await waitOnExecutionContext(ctx);
	return response;
}

const ask = (config: Config) => send(config, "POST", "/v1/reveals", { token: courier, body: { record_id: recordId, fields: ["phone"], purpose: "delivery" } });
const redeem = (config: Config, revealToken: string) => send(config, "POST", "/v1/reveals/redeem", { token: courier, body: { reveal_token: revealToken } });

async function revealToken(config: Config): Promise<string> {
	const response = await ask(config);
	expect(response.status).toBe(201);
	// The grant's entry is in D1 before the test reads the log.
	await settle(courier);
	return (await json<{ reveal_token: string }>(response)).reveal_token;
}

/** How many times this token was spent: its `reveal.redeemed` entries, once the courier's limiter has flushed them. */
async function redemptions(jti: string): Promise<number> {
	await settle(courier);
	const { results } = await env.DB.prepare("SELECT kind FROM audit_log WHERE kind IN ('reveal.redeemed', 'reveal.voided') AND details LIKE ?1")
		.bind(`%${jti}%`)
		.all<{ kind: string }>();
	return results.filter((row) => row.kind === "reveal.redeemed").length - results.filter((row) => row.kind === "reveal.voided").length;
}

async function maxSeq(): Promise<number> {
	return (await env.DB.prepare("SELECT COALESCE(max(seq), 0) AS m FROM audit_log").first<{ m: number }>())?.m ?? 0;
}

async function jwksKids(config: Config): Promise<string[]> {
	const response = await send(config, "GET", "/.well-known/jwks.json");
	expect(response.status).toBe(200);
	return (await json<{ keys: { kid: string }[] }>(response)).keys.map((key) => key.kid);
}

beforeAll(async () => {
	keyB = await privateJwk("ES256", "reveal-2");
	keyC = await privateJwk("EdDSA", "reveal-3");
	service = await serviceToken();
	ops = await token({ sub: "ops-rollover", scope: "ops" });
	courier = await employeeToken("courier", "c-roll", "D-ROLL");
	const body = recordBody({ depot: "D-ROLL", courier: "c-roll", contact: { name: "王熙凤", phone: PHONE, address: "浙江省杭州市西湖区文三路9号" } });
	const created = await call("POST", "/v1/records", { token: service, body });
	expect(created.status).toBe(201);
	await reportWork(service, [body]);
	recordId = (await json<{ id: string }>(created)).id;
	// A delivery's phone is revealed only after a call on the leg (DESIGN "Calls instead of numbers").
	await callFirst({ sub: "c-roll", role: "courier", depot: "D-ROLL" }, recordId);
});

describe("rollover configuration fails closed", () => {
	const at = "2026-01-01T00:00:00Z";
	const cases: [string, () => Promise<Config>, "REVEAL_SIGNING_PREVIOUS" | "REVEAL_SIGNING_NEXT"][] = [
		["not JSON", async () => ({ REVEAL_SIGNING_PREVIOUS: "[{jwk: nope" }), "REVEAL_SIGNING_PREVIOUS"],
		["an object, not an array", async () => ({ REVEAL_SIGNING_PREVIOUS: JSON.stringify({ jwk: publicOf(keyB), retired_at: at }) }), "REVEAL_SIGNING_PREVIOUS"],
		["no retired_at", async () => ({ REVEAL_SIGNING_PREVIOUS: JSON.stringify([{ jwk: publicOf(keyB) }]) }), "REVEAL_SIGNING_PREVIOUS"],
		[
			"retired_at without an offset",
			async () => ({ REVEAL_SIGNING_PREVIOUS: JSON.stringify([{ jwk: publicOf(keyB), retired_at: "2026-01-01T00:00:00" }]) }),
			"REVEAL_SIGNING_PREVIOUS",
		],
		[
			"a jwk without kid",
			async () => ({ REVEAL_SIGNING_PREVIOUS: JSON.stringify([{ jwk: publicOf({ ...keyB, kid: undefined }), retired_at: at }]) }),
			"REVEAL_SIGNING_PREVIOUS",
		],
		["a private key (d present)", async () => ({ REVEAL_SIGNING_PREVIOUS: JSON.stringify([{ jwk: keyB, retired_at: at }]) }), "REVEAL_SIGNING_PREVIOUS"],
		[
			"a symmetric key",
			async () => ({ REVEAL_SIGNING_PREVIOUS: JSON.stringify([{ jwk: { kty: "oct", k: "c2VjcmV0LXNlY3JldC1zZWNyZXQ", kid: "old" }, retired_at: at }]) }),
			"REVEAL_SIGNING_PREVIOUS",
		],
		[
			"two keys under one kid",
			async () => ({
				REVEAL_SIGNING_PREVIOUS: JSON.stringify([
					{ jwk: publicOf(keyB), retired_at: at },
					{ jwk: { ...publicOf(keyC), kid: keyB.kid }, retired_at: at },
				]),
			}),
			"REVEAL_SIGNING_PREVIOUS",
		],
		[
			"the current key's kid",
			async () => ({ REVEAL_SIGNING_PREVIOUS: JSON.stringify([{ jwk: { ...publicOf(keyB), kid: keyA().kid }, retired_at: at }]) }),
			"REVEAL_SIGNING_PREVIOUS",
		],
		["a next key with d", async () => ({ REVEAL_SIGNING_NEXT: JSON.stringify(keyC) }), "REVEAL_SIGNING_NEXT"],
		[
			"a next key under the current kid, another key",
			async () => ({ REVEAL_SIGNING_NEXT: JSON.stringify({ ...publicOf(keyC), kid: keyA().kid }) }),
			"REVEAL_SIGNING_NEXT",
		],
		[
			"a next key under a previous kid",
			async () => ({ ...rotated(Date.now()), REVEAL_SIGNING_NEXT: JSON.stringify({ ...publicOf(keyC), kid: keyA().kid }) }),
			"REVEAL_SIGNING_NEXT",
		],
	];

	/** Every string in a configuration value, long enough to be recognisable if echoed. */
	const fragments = (value: string): string[] => {
		try {
			return JSON.stringify(JSON.parse(value))
				.match(/"[^"]{8,}"/g)
				?.map((quoted) => quoted.slice(1, -1)) as string[];
		} catch {
			return [value];
		}
	};

	for (const [name, make, variable] of cases) {
		it(`${name} → 503 naming ${variable}, never its value`, async () => {
			const config = await make();
			const response = await send(config, "GET", "/.well-known/jwks.json");
			expect(response.status).toBe(503);
			const text = await response.text();
			expect(JSON.parse(text)).toMatchObject({ type: "/problems/configuration-unavailable", status: 503, variable });
			const value = config[variable] as string;
			expect(fragments(value).length).toBeGreaterThan(0);
			for (const fragment of fragments(value)) expect(text).not.toContain(fragment);
		});
	}

	it("a redeem under a broken REVEAL_SIGNING_PREVIOUS is 503 and consumes nothing; the same token redeems once it is fixed", async () => {
		const issued = await revealToken({});
		const jti = decodePart(issued, 1).jti as string;
		const before = await maxSeq();
		const response = await redeem({ REVEAL_SIGNING_PREVIOUS: JSON.stringify([{ jwk: keyB, retired_at: at }]) }, issued);
		expect(response.status).toBe(503);
		const text = await response.text();
		expect(JSON.parse(text)).toMatchObject({ variable: "REVEAL_SIGNING_PREVIOUS" });
		expect(text).not.toContain(PHONE);
		expect(text).not.toContain(keyB.d as string);
		expect(await redemptions(jti)).toBe(0);
		expect(await maxSeq()).toBe(before);
		expect((await redeem({}, issued)).status).toBe(200);
	});

	it("a well-formed configuration is accepted: an empty list, or the next key equal to the current one", async () => {
		expect(await jwksKids({ REVEAL_SIGNING_PREVIOUS: "[]" })).toEqual([keyA().kid]);
		expect(await jwksKids({ REVEAL_SIGNING_NEXT: JSON.stringify(publicOf(keyA())) })).toEqual([keyA().kid]);
	});
});

describe("reveal tokens across a rollover", () => {
	it("a token asked under A redeems once after the switch to B; new tokens are signed by B", async () => {
		const beforeSwitch = await revealToken({});
		expect(decodePart(beforeSwitch, 0)).toMatchObject({ kid: keyA().kid, alg: "EdDSA", typ: "reveal+jwt" });
		const jti = decodePart(beforeSwitch, 1).jti as string;
		const switched = rotated(Date.now());

		// Without A among the previous keys, the switch would strand it (and consume nothing).
		const stranded = await redeem(bOnly(), beforeSwitch);
		expect(stranded.status).toBe(403);
		expect(await redemptions(jti)).toBe(0);

		const redeemed = await redeem(switched, beforeSwitch);
		expect(redeemed.status).toBe(200);
		expect(await json(redeemed)).toEqual({ record_id: recordId, purpose: "delivery", fields: { phone: `+86${PHONE}` } });
		const again = await redeem(switched, beforeSwitch);
		expect(again.status).toBe(409);
		expect((await json(again)).type).toBe("/problems/reveal-token-used");
		expect(await redemptions(jti)).toBe(1);

		const afterSwitch = await revealToken(switched);
		expect(decodePart(afterSwitch, 0)).toMatchObject({ kid: keyB.kid, alg: "ES256", typ: "reveal+jwt" });
		// The published key set verifies it, as any outside verifier would.
		const jwks = await json<{ keys: JWK[] }>(await send(switched, "GET", "/.well-known/jwks.json"));
		const { payload } = await jwtVerify(afterSwitch, createLocalJWKSet(jwks as never), { audience: "contact-vault/reveal", typ: "reveal+jwt" });
		expect(payload.rid).toBe(recordId);
		// A vault that only knows A refuses it; the rotated vault redeems it.
		expect((await redeem({}, afterSwitch)).status).toBe(403);
		expect((await redeem(switched, afterSwitch)).status).toBe(200);
	});

	it("the JWKS lists A until retired_at + REVEAL_TOKEN_TTL_SECONDS, then drops it and A's tokens are refused", async () => {
		const now = Date.now();
		const listed = await send(rotated(now - 55_000), "GET", "/.well-known/jwks.json");
		expect(listed.headers.get("Cache-Control")).toBe("public, max-age=300");
		const { keys } = await json<{ keys: Record<string, unknown>[] }>(listed);
		expect(keys.map((key) => key.kid)).toEqual([keyB.kid, keyA().kid]);
		expect(keys[1]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig", retired_at: iso(now - 55_000) });
		expect(keys[0]).not.toHaveProperty("retired_at");
		for (const key of keys) expect(key).not.toHaveProperty("d");

		expect(await jwksKids(rotated(now - 61_000))).toEqual([keyB.kid]);
		// The horizon follows the configured lifetime of a reveal token.
		expect(await jwksKids(rotated(now - 61_000, { REVEAL_TOKEN_TTL_SECONDS: "300" }))).toEqual([keyB.kid, keyA().kid]);

		// An A-signed token issued before A's retirement, still unexpired (a lifetime the vault never
		// issues, so only a holder of A could make it): past the horizon A verifies nothing.
		const genuine = await revealToken({});
		const jti = decodePart(genuine, 1).jti as string;
		const seconds = Math.floor(Date.now() / 1000);
		const late = await forge(genuine, { claims: { iat: seconds - 70, nbf: seconds - 70, exp: seconds + 20 } });
		const refused = await redeem(rotated(Date.now() - 65_000), late);
		expect(refused.status).toBe(403);
		expect((await json(refused)).type).toBe("/problems/reveal-token-invalid");
		expect(await redemptions(jti)).toBe(0);
		// The same token within the horizon of a longer lifetime is otherwise valid.
		expect((await redeem(rotated(Date.now() - 65_000, { REVEAL_TOKEN_TTL_SECONDS: "300" }), late)).status).toBe(200);
		expect(await redemptions(jti)).toBe(1);
	});

	it("a new key announced in REVEAL_SIGNING_NEXT is published ahead of use and verifies nothing yet", async () => {
		const announced = { ...rotated(Date.now()), REVEAL_SIGNING_NEXT: JSON.stringify(publicOf(keyC)) };
		const { keys } = await json<{ keys: Record<string, unknown>[] }>(await send(announced, "GET", "/.well-known/jwks.json"));
		expect(keys.map((key) => key.kid)).toEqual([keyB.kid, keyC.kid, keyA().kid]);
		expect(keys[1]).toMatchObject({ kty: "OKP", alg: "EdDSA", use: "sig", x: keyC.x });
		expect(keys[1]).not.toHaveProperty("d");
		// A token signed with the announced key (valid in every other respect) is refused until it is current.
		const genuine = await revealToken(announced);
		const jti = decodePart(genuine, 1).jti as string;
		const header = { ...decodePart(genuine, 0), alg: "EdDSA", kid: keyC.kid };
		const early = await new SignJWT(decodePart(genuine, 1)).setProtectedHeader(header as { alg: string }).sign(await importJWK(keyC, "EdDSA"));
		expect((await redeem(announced, early)).status).toBe(403);
		expect(await redemptions(jti)).toBe(0);
	});

	it("an A-signed token issued after A's retirement is refused with 403, audited with its reason, and consumes nothing", async () => {
		const issued = await revealToken({}); // an instance still signing with A after the switch
		const { jti, iat } = decodePart(issued, 1) as { jti: string; iat: number };
		const before = await maxSeq();
		const response = await redeem(rotated(iat * 1000 - 5_000), issued);
		expect(response.status).toBe(403);
		const text = await response.text();
		expect(JSON.parse(text).type).toBe("/problems/reveal-token-invalid");
		expect(text).not.toContain(PHONE);
		expect(await redemptions(jti)).toBe(0);
		const { results } = await env.DB.prepare("SELECT kind, actor, details FROM audit_log WHERE seq > ?1 ORDER BY seq")
			.bind(before)
			.all<{ kind: string; actor: string; details: string }>();
		expect(results.map((row) => ({ kind: row.kind, actor: row.actor, reason: (JSON.parse(row.details) as { reason?: string }).reason }))).toEqual([
			{ kind: "reveal.refused", actor: "c-roll", reason: "signed_after_retirement" },
		]);
		// Issued exactly at the retirement instant it still counts as A's, and redeems once.
		expect((await redeem(rotated(iat * 1000), issued)).status).toBe(200);
		expect(await redemptions(jti)).toBe(1);
	});

	it("the retirement rules, at their edges", () => {
		const retiredAt = 1_800_000_000_000;
		expect(inServiceAt({ retiredAt }, retiredAt)).toBe(true);
		expect(inServiceAt({ retiredAt }, retiredAt + 1)).toBe(false);
		expect(inServiceAt({}, retiredAt + 10 ** 9)).toBe(true);
		const keys = [{ kid: "current" }, { kid: "old", retiredAt }];
		expect(publishedKeys(keys, 60, retiredAt + 59_999).map((key) => key.kid)).toEqual(["current", "old"]);
		expect(publishedKeys(keys, 60, retiredAt + 60_000).map((key) => key.kid)).toEqual(["current"]);
	});
});

describe("audit checkpoints across a rollover", () => {
	/** Seals the chain and signs its head under `config`; returns the new checkpoint. */
	async function signHead(config: Config): Promise<{ seq: number; at: string; signature: string }> {
		for (let attempt = 0; attempt < 3; attempt++) {
			expect((await send(config, "POST", "/v1/records", { token: service, body: recordBody() })).status).toBe(201);
			expect((await send(config, "GET", "/v1/audit/verify", { token: ops })).status).toBe(200); // seals
			const signed = await json<{ checkpoint: { seq: number; at: string; signature: string } | null }>(
				await send(config, "POST", "/v1/audit/checkpoints", { token: ops }),
			);
			// null when the head is a multiple of the interval, already signed by the sealer
			if (signed.checkpoint) return signed.checkpoint;
		}
		throw new Error("no checkpoint signed");
	}

	async function bookings(config: Config, count: number) {
		for (let i = 0; i < count; i++) expect((await send(config, "POST", "/v1/records", { token: service, body: recordBody() })).status).toBe(201);
	}

	async function verify(config: Config): Promise<Report> {
		const response = await send(config, "GET", "/v1/audit/verify", { token: ops });
		expect(response.status).toBe(200);
		return json<Report>(response);
	}

	/** The README's offline procedure for checkpoints, with nothing but the export and jose. */
	async function verifyOffline(exported: Exported): Promise<{ seq: number; reason: string }[]> {
		expect("cursor" in (await verifyEntries(exported.entries, CHAIN_START))).toBe(true);
		const keys = new Map(exported.jwks.keys.map((key) => [key.kid, key]));
		const problems: { seq: number; reason: string }[] = [];
		for (const checkpoint of exported.checkpoints) {
			const jwk = keys.get(decodeProtectedHeader(checkpoint.signature).kid as string);
			if (!jwk) {
				problems.push({ seq: checkpoint.seq, reason: "unknown_key" });
				continue;
			}
			const { payload, protectedHeader } = await compactVerify(checkpoint.signature, await importJWK(jwk, jwk.alg), { algorithms: [jwk.alg] });
			expect(protectedHeader.typ).toBe("audit-checkpoint+jws");
			const vouched = JSON.parse(new TextDecoder().decode(payload)) as { seq: number; hash: string; at: number };
			expect(vouched).toMatchObject({ seq: checkpoint.seq, hash: checkpoint.hash, at: Date.parse(checkpoint.at) });
			expect(exported.entries.find((entry) => entry.seq === vouched.seq)?.hash).toBe(vouched.hash);
			if (jwk.retired_at !== undefined && vouched.at > Date.parse(jwk.retired_at)) problems.push({ seq: checkpoint.seq, reason: "signed_after_retirement" });
		}
		return problems;
	}

	const kidOf = (signature: string) => decodeProtectedHeader(signature).kid;

	it("checkpoints signed by A before the switch still verify under B, on the vault and offline; one A signs afterwards is reported", async () => {
		// Under A: enough entries for a checkpoint the sealer signs, and one of the head.
		await bookings({}, 26);
		const signedByA = await signHead({});
		expect(kidOf(signedByA.signature)).toBe(keyA().kid);
		expect((await verify(rotated(Date.now()))).ok).toBe(true);

		await new Promise((resolve) => setTimeout(resolve, 5));
		const retiredAt = Date.now();
		const switched = rotated(retiredAt);

		// Under B: more of the same.
		await bookings(switched, 26);
		const signedByB = await signHead(switched);
		expect(kidOf(signedByB.signature)).toBe(keyB.kid);

		const report = await verify(switched);
		expect(report).toMatchObject({ ok: true, checkpoint_problems: [] });

		const listing = await json<{ checkpoints: { seq: number; signature: string }[]; jwks: { keys: { kid: string }[] } }>(
			await send(switched, "GET", "/v1/audit/checkpoints", { token: ops }),
		);
		const kids = new Set(listing.checkpoints.map((checkpoint) => kidOf(checkpoint.signature)));
		expect(kids).toEqual(new Set([keyA().kid, keyB.kid]));
		expect(listing.jwks.keys.map((key) => key.kid)).toEqual([keyB.kid, keyA().kid]);

		// Dropping A from the configuration would leave its checkpoints unverifiable: ops must not.
		const withoutA = await verify(bOnly());
		expect(withoutA.ok).toBe(false);
		const signedByAOnly = listing.checkpoints.filter((checkpoint) => kidOf(checkpoint.signature) === keyA().kid).map((checkpoint) => checkpoint.seq);
		expect(signedByAOnly).toContain(signedByA.seq);
		expect(withoutA.checkpoint_problems.filter((problem) => problem.reason === "bad_signature").map((problem) => problem.seq)).toEqual(signedByAOnly);

		// The export carries both keys and verifies with nothing else.
		const exported = await json<Exported>(await send(switched, "GET", "/v1/audit/export?from_seq=1", { token: ops }));
		expect(exported.jwks.keys.map((key) => key.kid)).toEqual([keyB.kid, keyA().kid]);
		expect(exported.jwks.keys[1]?.retired_at).toBe(iso(retiredAt));
		expect(exported.checkpoints.map((checkpoint) => checkpoint.seq)).toEqual(expect.arrayContaining([signedByA.seq, signedByB.seq]));
		expect(await verifyOffline(exported)).toEqual([]);

		// An instance still signing with A after its retirement: reported, on the vault and offline.
		const late = await signHead({});
		expect(kidOf(late.signature)).toBe(keyA().kid);
		expect(Date.parse(late.at)).toBeGreaterThan(retiredAt);
		const lateByA = (
			await env.DB.prepare("SELECT seq, at, signature FROM audit_checkpoints ORDER BY seq").all<{ seq: number; at: number; signature: string }>()
		).results
			.filter((checkpoint) => kidOf(checkpoint.signature) === keyA().kid && checkpoint.at > retiredAt)
			.map((checkpoint) => checkpoint.seq);
		expect(lateByA).toContain(late.seq);
		const after = await verify(switched);
		expect(after.ok).toBe(false);
		expect(after.checkpoint_problems.filter((problem) => problem.reason === "signed_after_retirement").map((problem) => problem.seq)).toEqual(lateByA);
		// Nothing else is wrong (a late checkpoint at a multiple of the interval also counts as missing).
		expect(after.checkpoint_problems.filter((problem) => problem.reason !== "signed_after_retirement" && !lateByA.includes(problem.seq))).toEqual([]);
		const reexported = await json<Exported>(await send(switched, "GET", "/v1/audit/export?from_seq=1", { token: ops }));
		expect(await verifyOffline(reexported)).toEqual(lateByA.map((seq) => ({ seq, reason: "signed_after_retirement" })));
		// Had A been retired after that checkpoint, it would be in order.
		expect((await verify(rotated(Date.now()))).ok).toBe(true);
	});
});
