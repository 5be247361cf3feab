import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import type { Env } from "../src/env";
import { recordBody } from "./support/api";
import { countRecords } from "./support/db";
import { serviceToken } from "./support/tokens";

/** Runs one request against the app with some configuration replaced. */
async function withEnv(overrides: Partial<Record<keyof Env, string | undefined>>, path: string, init: RequestInit = {}) {
	const changed = { ...env, ...overrides } as Env;
	return app.fetch(new Request(`https://vault.test${path}`, init), changed);
}

const createInit = async (): Promise<RequestInit> => ({
	method: "POST",
	headers: { Authorization: `Bearer ${await serviceToken()}`, "Content-Type": "application/json" },
	body: JSON.stringify(recordBody()),
});

describe("configuration fails closed", () => {
	const broken: [keyof Env, string | undefined][] = [
		["VAULT_KEYRING", undefined],
		["VAULT_KEYRING", "not json"],
		["VAULT_KEYRING", JSON.stringify({ primary: "k3", keys: { k1: "A".repeat(43) } })],
		["VAULT_KEYRING", JSON.stringify({ primary: "k1", keys: { k1: "c2hvcnQ" } })],
		["TRUSTED_ISSUERS", undefined],
		["TRUSTED_ISSUERS", "[]"],
		["TRUSTED_ISSUERS", JSON.stringify([{ iss: "x", jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }])],
		["TRUSTED_ISSUERS", JSON.stringify([{ iss: "x", jwks_uri: "http://evil.example/jwks" }])],
		["REVEAL_SIGNING_JWK", undefined],
		["REVEAL_SIGNING_JWK", JSON.stringify({ kty: "OKP", crv: "Ed25519", x: "abc" })],
	];

	for (const [variable, value] of broken) {
		it(`${variable} = ${value === undefined ? "(missing)" : value.slice(0, 30)} → 503 naming ${variable}, never its value`, async () => {
			const before = await countRecords();
			const response = await withEnv(
				{ [variable]: value },
				variable === "REVEAL_SIGNING_JWK" ? "/healthz" : "/v1/records",
				variable === "REVEAL_SIGNING_JWK" ? {} : await createInit(),
			);
			expect(response.status).toBe(503);
			const text = await response.text();
			expect(JSON.parse(text)).toMatchObject({ type: "/problems/configuration-unavailable", status: 503, variable });
			if (value) expect(text).not.toContain(value.slice(0, 12));
			expect(await countRecords()).toBe(before);
		});
	}

	it("the real secrets never appear in a configuration error", async () => {
		const keyring = env.VAULT_KEYRING as string;
		const response = await withEnv({ TRUSTED_ISSUERS: "{" }, "/v1/records", await createInit());
		const text = await response.text();
		for (const key of Object.values((JSON.parse(keyring) as { keys: Record<string, string> }).keys)) expect(text).not.toContain(key);
	});

	it("a missing binding is a 503 naming it, not a 500", async () => {
		for (const binding of ["DB", "LIMITER"] as const) {
			const response = await app.fetch(new Request("https://vault.test/v1/records", await createInit()), { ...env, [binding]: undefined } as unknown as Env);
			expect(response.status).toBe(503);
			expect(await response.json()).toMatchObject({ type: "/problems/configuration-unavailable", variable: binding });
		}
	});

	it("MAX_BODY_BYTES is honoured", async () => {
		const init = await createInit();
		const response = await withEnv({ MAX_BODY_BYTES: "2048" }, "/v1/records", { ...init, body: JSON.stringify({ ...recordBody(), pad: "x".repeat(3000) }) });
		expect(response.status).toBe(413);
		expect(await response.json()).toMatchObject({ type: "/problems/payload-too-large", max_bytes: 2048 });
	});

	it("a streamed body without Content-Length is cut off at the limit too", async () => {
		const init = await createInit();
		const chunks = [new TextEncoder().encode(`{"pad":"${"x".repeat(4096)}`), new TextEncoder().encode('"}')];
		const stream = new ReadableStream({
			pull(controller) {
				const next = chunks.shift();
				if (next) controller.enqueue(next);
				else controller.close();
			},
		});
		const response = await withEnv({ MAX_BODY_BYTES: "2048" }, "/v1/records", { ...init, body: stream, duplex: "half" } as RequestInit);
		expect(response.status).toBe(413);
	});
});
