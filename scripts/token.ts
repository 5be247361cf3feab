/**
 * Mints a development bearer token from the dev issuer and prints it (only it, for $(...)).
 *   npm run -s token -- --sub courier-svc --scope "records:write records:read"
 *   npm run -s token -- --sub courier-0042 --scope reveal --role courier --depot SZ-NS-01
 */
import { parseArgs } from "node:util";
import { mintDevToken } from "./lib/dev-issuer.ts";

const { values } = parseArgs({
	options: {
		sub: { type: "string" },
		scope: { type: "string", default: "" },
		role: { type: "string" },
		depot: { type: "string" },
		ttl: { type: "string", default: "3600" },
	},
});

if (!values.sub) {
	console.error('usage: npm run -s token -- --sub NAME --scope "SCOPE ..." [--role courier|clerk|supervisor --depot DEPOT] [--ttl SECONDS]');
	process.exit(2);
}
if ((values.role === undefined) !== (values.depot === undefined)) {
	console.error("--role and --depot go together: employee tokens carry both.");
	process.exit(2);
}

try {
	process.stdout.write(
		`${await mintDevToken(process.cwd(), { sub: values.sub, scope: values.scope, role: values.role, depot: values.depot, ttlSeconds: Number(values.ttl) })}\n`,
	);
} catch (error) {
	console.error((error as Error).message);
	process.exit(1);
}
