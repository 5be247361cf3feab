/**
 * The vault under test: `wrangler dev` over a fresh local D1, the development OpenID provider its
 * pages sign in with, and tokens from the development issuer (the same issuer and key).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mintDevToken } from "../../scripts/lib/dev-issuer.ts";
import type { DevOidc } from "../../scripts/lib/dev-oidc.ts";
import { ensureDevSecrets } from "../../scripts/lib/dev-secrets.ts";
import { devSignIn } from "../../scripts/lib/dev-sign-in.ts";
import { devTelephony } from "../../scripts/lib/dev-telephony.ts";
import { startValidatingProxy } from "../../scripts/lib/validating-proxy.ts";
import { freePort, freshDatabase, type Server, startWorker } from "../../scripts/lib/wrangler-dev.ts";

const root = process.cwd();
const STATE_DIR = ".wrangler/e2e-state";

export type ApiCall = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;

export interface Vault extends Server {
	token: (sub: string, scope: string, employee?: { role: string; depot: string; phoneNumber?: string }) => Promise<string>;
	/** Calls the API as a service with records:write, for the fixtures the pages then show. */
	serviceCall: ApiCall;
	opsCall: ApiCall;
	/** Answers to serviceCall and opsCall that break /openapi.json, as Prism (the validating proxy they go through) reports them. */
	responseViolations: () => string[];
	/** Resolves once Prism has logged everything about the answers received so far. */
	proxySettled: () => Promise<void>;
	/** Base URL of the privacy-number provider simulator (control under `/_sim/`), or null when .dev.vars sets TELEPHONY. */
	telephonyControl: string | null;
	/** The simulator's pool the vault binds numbers from (its `/_sim/pools/{pool}/bindings` is the provider's view), or null. */
	telephonyPool: string | null;
	/** The development OpenID provider the pages sign in with. */
	oidc: DevOidc;
	/** Runs SQL straight on the vault's local D1, as a database administrator would from the D1 console: no worker, no triggers' consent. */
	dba: (sql: string) => void;
}

export async function startVault(vars: Record<string, string> = {}): Promise<Vault> {
	await ensureDevSecrets(root);
	freshDatabase(STATE_DIR);
	const telephony = await devTelephony(root);
	// The provider must know the pages' origin (its redirect URIs) before the vault starts.
	const port = await freePort();
	// Access tokens of 70 s: the pages renew 60 s ahead, so a test sees a renewal within seconds.
	const signIn = await devSignIn(root, [`http://127.0.0.1:${port}`], { accessTokenSeconds: 70 });
	const oidc = signIn.oidc;
	if (!oidc) throw new Error(".dev.vars does not trust the development issuer: delete it and let the harness write a fresh one");
	const server = await startWorker({ configPath: "wrangler.toml", stateDir: STATE_DIR, port, vars: { ...telephony.vars, ...signIn.vars, ...vars } }).catch(
		async (error) => {
			await telephony.simulator?.close();
			await oidc.close();
			throw error;
		},
	);
	// The fixtures' API calls go through Prism holding the vault to the document it serves; the
	// browser talks to the vault directly (the pages are not part of the API document).
	const documentFile = `${STATE_DIR}/openapi.json`;
	writeFileSync(documentFile, await (await fetch(`${server.url}/openapi.json`)).text());
	const proxy = await startValidatingProxy(documentFile, server.url);
	const token: Vault["token"] = (sub, scope, employee) => mintDevToken(root, { sub, scope, ...employee });
	const caller =
		(bearer: Promise<string>): ApiCall =>
		async <T>(method: string, path: string, body?: unknown) => {
			const response = await fetch(`${proxy.url}${path}`, {
				method,
				headers: { Authorization: `Bearer ${await bearer}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			const text = await response.text();
			return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
		};
	return {
		...server,
		stop: () => {
			proxy.stop();
			server.stop();
			void telephony.simulator?.close();
			void oidc.close();
		},
		oidc,
		responseViolations: proxy.responseViolations,
		proxySettled: proxy.settled,
		telephonyControl: telephony.simulator?.url ?? null,
		telephonyPool: telephony.vars.TELEPHONY ? (JSON.parse(telephony.vars.TELEPHONY) as { pool_key: string }).pool_key : null,
		token,
		serviceCall: caller(token("e2e-fixtures", "records:write records:read")),
		opsCall: caller(token("ops-fixtures", "ops")),
		dba: (sql) => {
			execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", STATE_DIR, "--command", sql], {
				env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
				stdio: "ignore",
			});
		},
	};
}
