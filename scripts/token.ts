/**
 * Mints a development bearer token from the dev issuer and prints it (only it, on stdout, for
 * $(...)); warnings and errors go to stderr. `npm run -s token -- --help` says how.
 */
import { parseArgs } from "node:util";
import { ROLES, SCOPES } from "../src/auth/principal.ts";
import { DEPOTS } from "./lib/demo-data.ts";
import { DEV_ISSUER, mintDevToken } from "./lib/dev-issuer.ts";
import { tokenRequest } from "./lib/token-request.ts";

const USAGE = `usage: npm run -s token -- --sub NAME [--scope "SCOPE ..."] [--role ROLE --depot DEPOT [--any-depot]] [--phone E164] [--ttl SECONDS]

Mints a bearer token signed by the development issuer (${DEV_ISSUER}), which \`npm run dev\`
trusts through .dev.vars. Prints only the token.

  --sub NAME        the principal: a service name, or an employee id (records name couriers by it)
  --scope "..."     space-separated, any of: ${SCOPES.join(" ")}
  --role ROLE       employee tokens only: ${ROLES.join(" | ")} (always with --depot)
  --depot DEPOT     the employee's depot; the demo depots are
                    ${DEPOTS.join(" ")}
  --any-depot       accept a depot that is not in the demo data
  --phone E164      the employee's own phone (OIDC phone_number claim), e.g. +8613812345678
  --ttl SECONDS     lifetime, 1 to 86400 (default 3600)
  --help            this text

examples:
  npm run -s token -- --sub courier-svc --scope "records:write records:read records:delete"
  npm run -s token -- --sub courier-ur-ts-01-1 --scope reveal --role courier --depot UR-TS-01
  npm run -s token -- --sub clerk-sz-ns-01 --scope reveal --role clerk --depot SZ-NS-01
  npm run -s token -- --sub ops-alice --scope ops`;

function parsed() {
	try {
		return parseArgs({
			options: {
				help: { type: "boolean", short: "h" },
				sub: { type: "string" },
				scope: { type: "string" },
				role: { type: "string" },
				depot: { type: "string" },
				"any-depot": { type: "boolean" },
				phone: { type: "string" },
				ttl: { type: "string" },
			},
		}).values;
	} catch (error) {
		// parseArgs throws on unknown options and stray arguments; its message names the culprit.
		console.error(`npm run token: ${(error as Error).message}\n(npm run -s token -- --help for usage)`);
		process.exit(2);
	}
}

const values = parsed();
if (values.help) {
	console.log(USAGE);
	process.exit(0);
}

const request = tokenRequest(values);
if (!request.ok) {
	for (const error of request.errors) console.error(`npm run token: ${error}`);
	console.error("(npm run -s token -- --help for usage)");
	process.exit(2);
}
for (const warning of request.warnings) console.error(`npm run token: warning: ${warning}`);

try {
	process.stdout.write(`${await mintDevToken(process.cwd(), request.options)}\n`);
} catch (error) {
	console.error(`npm run token: ${(error as Error).message}`);
	process.exit(1);
}
