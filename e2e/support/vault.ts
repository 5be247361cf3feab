/** The vault under test: `wrangler dev` over a fresh local D1, and tokens from the development issuer. */

import { writeFileSync } from "node:fs";
import { mintDevToken } from "../../scripts/lib/dev-issuer.ts";
import { ensureDevSecrets } from "../../scripts/lib/dev-secrets.ts";
import { devTelephony } from "../../scripts/lib/dev-telephony.ts";
import { startValidatingProxy } from "../../scripts/lib/validating-proxy.ts";
import { freshDatabase, type Server, startWorker } from "../../scripts/lib/wrangler-dev.ts";

const root = process.cwd();
const STATE_DIR = ".wrangler/e2e-state";

export type ApiCall = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;

export interface Vault extends Server {
	token: (sub: string, scope: string, employee?: { role: string; depot: string }) => Promise<string>;
	/** Calls the API as a service with records:write, for the fixtures the pages then show. */
	serviceCall: ApiCall;
	opsCall: ApiCall;
	/** Answers to serviceCall and opsCall that break /openapi.json, as Prism (the validating proxy they go through) reports them. */
	responseViolations: () => string[];
	/** Base URL of the privacy-number provider simulator (control under `/_sim/`), or null when .dev.vars sets TELEPHONY. */
	telephonyControl: string | null;
}

export async function startVault(vars: Record<string, string> = {}): Promise<Vault> {
	await ensureDevSecrets(root);
	freshDatabase(STATE_DIR);
	const telephony = await devTelephony(root);
	const server = await startWorker({ configPath: "wrangler.toml", stateDir: STATE_DIR, vars: { ...telephony.vars, ...vars } }).catch(async (error) => {
		await telephony.simulator?.close();
		throw error;
	});
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
		},
		responseViolations: proxy.responseViolations,
		telephonyControl: telephony.simulator?.url ?? null,
		token,
		serviceCall: caller(token("e2e-fixtures", "records:write records:read")),
		opsCall: caller(token("ops-fixtures", "ops")),
	};
}
