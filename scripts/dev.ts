/**
 * `npm run dev`: dev secrets (only if absent), local D1 migrated, the privacy-number provider
 * simulator (unless .dev.vars sets TELEPHONY), the development OpenID provider the pages sign in
 * with, `wrangler dev` on 127.0.0.1, demo data seeded through the API once the vault answers, and
 * how to sign in or get a token.
 */
import { spawn, spawnSync } from "node:child_process";
import { watch } from "node:fs";
import { DEV_ISSUER } from "./lib/dev-issuer.ts";
import { ensureDevSecrets } from "./lib/dev-secrets.ts";
import { devSignIn } from "./lib/dev-sign-in.ts";
import { devTelephony } from "./lib/dev-telephony.ts";
import { DEFAULT_PORT, devPort } from "./lib/dev-url.ts";
import { embedPages, PAGES_MODULE, PAGES_SOURCE } from "./lib/embed-pages.ts";
import { describeDemo, seed } from "./seed.ts";

const root = process.cwd();
let port: string;
try {
	port = String(devPort());
} catch (error) {
	console.error(`npm run dev: ${(error as Error).message}`);
	process.exit(2);
}
const baseUrl = `http://127.0.0.1:${port}`;
const wranglerEnv = { ...process.env, WRANGLER_SEND_METRICS: "false" };
/** Where the local D1 and Durable Objects live: wrangler's own default unless VAULT_DEV_STATE names a directory (the dev smoke keeps its own). */
const persist = process.env.VAULT_DEV_STATE ? ["--persist-to", process.env.VAULT_DEV_STATE] : [];

const secrets = await ensureDevSecrets(root);
console.log(secrets === "created" ? "✓ wrote .dev.vars with fresh development secrets" : "✓ using the existing .dev.vars");

// The pages' scripts are a module of the worker: written now, and again on each change while this
// runs (wrangler dev reloads on the module's change).
if (embedPages(root)) console.log(`✓ wrote ${PAGES_MODULE} from ${PAGES_SOURCE}/`);
watch(PAGES_SOURCE, { recursive: true }, () => {
	try {
		if (embedPages(root)) console.log(`✓ ${PAGES_SOURCE}/ changed: wrote ${PAGES_MODULE}`);
	} catch (error) {
		console.error(`! ${PAGES_SOURCE}/: ${(error as Error).message}`);
	}
});

const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "contact-vault", "--local", ...persist], {
	stdio: "inherit",
	env: { ...wranglerEnv, CI: "true" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const simulatorPort = process.env.TELEPHONY_SIM_PORT ? Number(process.env.TELEPHONY_SIM_PORT) : undefined;
const telephony = await devTelephony(root, simulatorPort);
console.log(
	telephony.simulator ? `✓ privacy-number provider simulator on ${telephony.simulator.url} (TELEPHONY is not set in .dev.vars)` : "✓ TELEPHONY from .dev.vars",
);

const signIn = await devSignIn(root, [baseUrl, `http://localhost:${port}`], {
	port: process.env.DEV_OIDC_PORT ? Number(process.env.DEV_OIDC_PORT) : undefined,
});
console.log(
	signIn.oidc
		? `✓ development OpenID provider on ${signIn.oidc.url} (issuer ${DEV_ISSUER}): the pages sign in there`
		: `! .dev.vars does not trust ${DEV_ISSUER}: the pages offer no sign-in (paste a token instead)`,
);
// Pasting a token stays a developer's option on a local vault (PAGES_TOKEN_PASTE, off by default).
const pageVars = { PAGES_TOKEN_PASTE: "1", ...signIn.vars };

const wrangler = spawn(
	"npx",
	[
		"wrangler",
		"dev",
		"--ip",
		"127.0.0.1",
		"--port",
		port,
		"--show-interactive-dev-session=false",
		...persist,
		...Object.entries({ ...telephony.vars, ...pageVars }).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
	],
	{
		stdio: "inherit",
		env: wranglerEnv,
	},
);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code) => process.exit(code ?? 0));

async function waitForHealth(): Promise<boolean> {
	for (let attempt = 0; attempt < 120; attempt++) {
		try {
			if ((await fetch(`${baseUrl}/healthz`)).ok) return true;
		} catch {
			// not listening yet
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	return false;
}

if (await waitForHealth()) {
	try {
		const outcome = await seed(baseUrl, root);
		console.log(outcome === "seeded" ? "✓ seeded demo data" : "✓ demo data already present");
	} catch (error) {
		console.error(`! seeding failed: ${(error as Error).message}`);
	}
	const portNote =
		port === String(DEFAULT_PORT)
			? ""
			: `\nNot the default port: \`export PORT=${port}\` in other shells, so \`npm run seed\` and README's commands find this vault.`;
	console.log(`
contact-vault is running at ${baseUrl}  (docs: ${baseUrl}/docs)
Depot terminal: ${baseUrl}/terminal   sign in as courier-ur-ts-01-1 (no password), scan DEMO000001
Ops console:    ${baseUrl}/ops        sign in as ops-alice
${describeDemo()}
${portNote}
Tokens for scripts and curl come from the same development issuer ${DEV_ISSUER}:
  SVC=$(npm run -s token -- --sub courier-svc --scope "records:write records:read records:delete")
  curl -s -H "Authorization: Bearer $SVC" "${baseUrl}/v1/records?shipment_id=DEMO000001"
  npm run -s token -- --sub courier-ur-ts-01-1 --scope reveal --role courier --depot UR-TS-01   # or paste into the terminal
  npm run -s token -- --sub ops-alice --scope ops                                              # or paste into the console
`);
} else {
	console.error(`! ${baseUrl}/healthz did not answer within a minute`);
}
