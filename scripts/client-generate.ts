/**
 * `npm run client:generate`: writes client/vault-api.ts from the OpenAPI document of the running
 * vault (`PORT` or `VAULT_URL`, as `npm run seed`), or from a file: `npm run client:generate -- openapi.json`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { CLIENT_TYPES_FILE, clientTypes } from "./lib/client-types.ts";
import { devBaseUrl } from "./lib/dev-url.ts";

async function documentFrom(source: string | undefined): Promise<unknown> {
	if (source) return JSON.parse(readFileSync(source, "utf8"));
	const url = `${devBaseUrl()}/openapi.json`;
	let response: Response;
	try {
		response = await fetch(url);
	} catch {
		throw new Error(`nothing answers at ${url}: start the vault with \`npm run dev\` (same PORT), or pass a document file.`);
	}
	if (!response.ok) throw new Error(`${url} answered ${response.status}`);
	return response.json();
}

try {
	writeFileSync(CLIENT_TYPES_FILE, await clientTypes(await documentFrom(process.argv[2])));
	console.log(`wrote ${CLIENT_TYPES_FILE}`);
} catch (error) {
	console.error(`client:generate: ${(error as Error).message}`);
	process.exit(1);
}
