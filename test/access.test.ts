import { env } from "cloudflare:workers";
import { generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { opsAccessConfig } from "../src/config";
import { callWith, json, recordBody } from "./support/api";
import { employeeToken, serviceToken, testKey, token } from "./support/tokens";

const TEAM = "https://carrier-ops.cloudflareaccess.com";
const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
const EMAIL = "alice@carrier.example";

/** Access's signing key, public half only, as the team's /cdn-cgi/access/certs would list it. */
function accessJwks() {
	const { kty, n, e, alg, kid } = testKey("rogueRsa") as { kty: string; n: string; e: string; alg: string; kid: string };
	return { keys: [{ kty, n, e, alg, kid }] };
}

let OPS_ACCESS: string;
beforeAll(() => {
	OPS_ACCESS = JSON.stringify({ team_domain: TEAM, aud: AUD, ops_emails: ["Alice@Carrier.example", "bob@carrier.example"], jwks: accessJwks() });
});

/** A token as Access puts into Cf-Access-Jwt-Assertion for a person who passed its policy. */
const accessToken = (overrides: Parameters<typeof token>[0] = {}) =>
	token({
		key: "rogueRsa",
		iss: TEAM,
		aud: [AUD],
		sub: "7335d417-61da-459d-899c-0a01c76a2f94",
		extra: { email: EMAIL, type: "app", country: "CN" },
		...overrides,
	});

const viaAccess = async (
	method: string,
	path: string,
	assertion: string,
	options: { body?: unknown; headers?: Record<string, string>; config?: string } = {},
) =>
	callWith({ OPS_ACCESS: options.config ?? OPS_ACCESS }, method, path, {
		body: options.body,
		headers: { "Cf-Access-Jwt-Assertion": assertion, "Sec-Fetch-Site": "same-origin", ...options.headers },
	});

const auditCount = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log").first<{ n: number }>())?.n;

describe("the ops console behind Cloudflare Access", () => {
	it("a person Access let through is an ops principal named by their email", async () => {
		const assertion = await accessToken();
		expect((await viaAccess("GET", "/v1/policies", assertion)).status).toBe(200);
		expect(await json(await viaAccess("GET", "/v1/principal", assertion))).toEqual({
			kind: "ops",
			subject: EMAIL,
			issuer: TEAM,
			scopes: ["ops"],
			role: null,
			depot: null,
		});
	});

	it("their changes are audited under their email", async () => {
		const changed = await viaAccess("PUT", "/v1/policies/depot/ACC-1", await accessToken(), { body: { mode: "enforce", daily_limit: 50 } });
		expect(changed.status).toBe(201);
		const entries = await json<{ entries: { actor: { subject: string; issuer: string } }[] }>(
			await viaAccess("GET", "/v1/audit?kind=policy.changed&limit=1", await accessToken()),
		);
		expect(entries.entries[0]?.actor).toMatchObject({ subject: EMAIL, issuer: TEAM });
	});

	it.each([
		["another application's AUD", { aud: ["some-other-application"] }],
		["another team", { iss: "https://other-team.cloudflareaccess.com" }],
		["expired", { expiresIn: -1 }],
		["older than a day", { issuedAt: -90_000, expiresIn: 600 }],
		["no email (an Access service token)", { extra: { common_name: "ci.access", type: "app" } }],
		["signed by a key Access does not have", { key: "issuer" as const }],
	])("refuses a token with %s: 401 and nothing done", async (_, overrides) => {
		const assertion = await accessToken(overrides as Parameters<typeof token>[0]);
		const before = await auditCount();
		const target = `ACC-REFUSED-${crypto.randomUUID().slice(0, 8)}`;
		const response = await viaAccess("PUT", `/v1/policies/depot/${target}`, assertion, { body: { mode: "enforce", daily_limit: 1 } });
		expect(response.status).toBe(401);
		expect(await auditCount()).toBe(before);
		expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM policies WHERE target = ?1").bind(target).first("n")).toBe(0);
	});

	it("refuses a request another site made the browser send, though the cookie and header ride along", async () => {
		const assertion = await accessToken();
		for (const site of ["cross-site", "same-site", "none"]) {
			expect((await viaAccess("GET", "/v1/policies", assertion, { headers: { "Sec-Fetch-Site": site } })).status).toBe(401);
		}
		const before = await auditCount();
		const forged = await viaAccess("POST", "/v1/audit/checkpoints", assertion, { headers: { "Sec-Fetch-Site": "cross-site" } });
		expect(forged.status).toBe(401);
		expect(await auditCount()).toBe(before);
		// Without Fetch Metadata (not a current browser, or a script) this path is closed: scripts use bearer tokens.
		const plain = await callWith({ OPS_ACCESS }, "GET", "/v1/policies", { headers: { "Cf-Access-Jwt-Assertion": assertion } });
		expect(plain.status).toBe(401);
	});

	it("admits only the configured ops people, whoever else Access's policy lets through", async () => {
		expect((await viaAccess("GET", "/v1/policies", await accessToken({ extra: { email: "BOB@carrier.example", type: "app" } }))).status).toBe(200);
		const courier = await accessToken({ extra: { email: "courier-0042@carrier.example", type: "app" } });
		expect((await viaAccess("GET", "/v1/policies", courier)).status).toBe(401);
		expect((await viaAccess("GET", "/v1/principal", courier)).status).toBe(401);
	});

	it("refuses a token signed by another RSA key under Access's key id", async () => {
		const { privateKey } = await generateKeyPair("RS256");
		const forged = await new SignJWT({ email: EMAIL, type: "app" })
			.setProtectedHeader({ alg: "RS256", kid: testKey("rogueRsa").kid })
			.setIssuer(TEAM)
			.setAudience([AUD])
			.setSubject("someone")
			.setIssuedAt()
			.setExpirationTime("5m")
			.sign(privateKey);
		expect((await viaAccess("GET", "/v1/policies", forged)).status).toBe(401);
	});

	it("a malformed bearer token is not rescued by a valid Access token", async () => {
		const response = await viaAccess("GET", "/v1/policies", await accessToken(), { headers: { Authorization: "Bearer not-a-token" } });
		expect(response.status).toBe(401);
	});

	it("the production configuration fetches the team's certs, RS256 only, and fails closed when they cannot be had", async () => {
		// A name that never resolves (RFC 6761 §6.4): the tests never reach out to the internet.
		const team = "https://carrier-ops.cloudflareaccess.invalid";
		const config = { team_domain: `${team}/`, aud: AUD, ops_emails: [EMAIL] };
		expect(opsAccessConfig({ ...env, OPS_ACCESS: JSON.stringify(config) })?.issuer).toEqual({
			iss: team,
			jwks_uri: `${team}/cdn-cgi/access/certs`,
			algorithms: ["RS256"],
		});
		// The team's keys cannot be fetched, and nobody gets in.
		const response = await viaAccess("GET", "/v1/policies", await accessToken({ iss: team }), { config: JSON.stringify(config) });
		expect(response.status).toBe(503);
		expect(await response.json()).toMatchObject({ type: "/problems/dependency-unavailable" });
	});

	it("a malformed OPS_ACCESS fails the Access path only: bearer callers go on", async () => {
		const broken = '{"team_domain":"http://insecure.example","aud":"x"}';
		const service = await callWith({ OPS_ACCESS: broken }, "GET", "/v1/records?shipment_id=SF1", { token: await serviceToken("records:read") });
		expect(service.status).toBe(200);
	});

	it("reaches the ops routes only: no records, no reveals", async () => {
		const assertion = await accessToken();
		expect((await viaAccess("GET", "/v1/records?shipment_id=SF1", assertion)).status).toBe(403);
		expect((await viaAccess("POST", "/v1/records", assertion, { body: recordBody() })).status).toBe(403);
		expect((await viaAccess("GET", "/v1/reveals/quota", assertion)).status).toBe(403);
	});

	it("is ignored where the vault is not configured for Access: the header alone admits no one", async () => {
		const response = await callWith({ OPS_ACCESS: undefined }, "GET", "/v1/policies", { headers: { "Cf-Access-Jwt-Assertion": await accessToken() } });
		expect(response.status).toBe(401);
	});

	it("a bearer token, when sent, is what counts: an employee cannot borrow an ops session's header", async () => {
		const employee = await employeeToken("supervisor", "sup-borrower", "ACC-1");
		const response = await viaAccess("GET", "/v1/policies", await accessToken(), { headers: { Authorization: `Bearer ${employee}` } });
		expect(response.status).toBe(403);
	});

	it("a malformed OPS_ACCESS fails closed, naming the variable and not its value", async () => {
		for (const config of [
			'{"team_domain":"http://insecure.example","aud":"x","ops_emails":["a@b.example"]}',
			"{not json",
			'{"team_domain":"https://t.cloudflareaccess.com","aud":"x"}',
			'{"team_domain":"https://t.cloudflareaccess.com","aud":"x","ops_emails":[]}',
		]) {
			const response = await viaAccess("GET", "/v1/policies", await accessToken(), { config });
			expect(response.status).toBe(503);
			const body = await response.text();
			expect(JSON.parse(body)).toMatchObject({ type: "/problems/configuration-unavailable", variable: "OPS_ACCESS" });
			expect(body).not.toContain("insecure.example");
			expect((await callWith({ OPS_ACCESS: config }, "GET", "/healthz")).status).toBe(503);
		}
	});
});
