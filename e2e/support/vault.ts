/** The vault under test: `wrangler dev` over a fresh local D1, and tokens from the development issuer. */
import { mintDevToken } from "../../scripts/lib/dev-issuer.ts";
import { ensureDevSecrets } from "../../scripts/lib/dev-secrets.ts";
import { devTelephony } from "../../scripts/lib/dev-telephony.ts";
import { freshDatabase, type Server, startWorker } from "../../scripts/lib/wrangler-dev.ts";

const root = process.cwd();
const STATE_DIR = ".wrangler/e2e-state";

export type ApiCall = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;

export interface Vault extends Server {
	token: (sub: string, scope: string, employee?: { role: string; depot: string }) => Promise<string>;
	/** Calls the API as a service with records:write, for the fixtures the pages then show. */
	serviceCall: ApiCall;
	opsCall: ApiCall;
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
	const token: Vault["token"] = (sub, scope, employee) => mintDevToken(root, { sub, scope, ...employee });
	const caller =
		(bearer: Promise<string>): ApiCall =>
		async <T>(method: string, path: string, body?: unknown) => {
			const response = await fetch(`${server.url}${path}`, {
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
			server.stop();
			void telephony.simulator?.close();
		},
		telephonyControl: telephony.simulator?.url ?? null,
		token,
		serviceCall: caller(token("e2e-fixtures", "records:write records:read")),
		opsCall: caller(token("ops-fixtures", "ops")),
	};
}
