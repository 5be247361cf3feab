/**
 * The typed client's types (client/vault-api.ts), generated from the OpenAPI document the vault
 * serves with openapi-typescript. `npm run client:generate` writes them; the dev smoke generates
 * them again from the served document and fails when the committed file differs.
 */
import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from "openapi-typescript";

export const CLIENT_TYPES_FILE = "client/vault-api.ts";

export async function clientTypes(document: unknown): Promise<string> {
	// Silent: warnings are for people reading a terminal; the document is Redocly-clean in CI.
	const nodes = await openapiTS(document as OpenAPI3, { silent: true, alphabetize: true });
	return `${COMMENT_HEADER}// Generated from the vault's /openapi.json by \`npm run client:generate\`; CI checks it matches the served document.\n\n${astToString(nodes)}`;
}
