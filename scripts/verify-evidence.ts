/**
 * Verifies a leak report offline: `npm run verify-evidence -- report.jws export.json [jwks.json | https://vault]`.
 *
 * report.jws is the `report` of `POST /v1/leaks/attribute`; export.json the body of
 * `GET /v1/audit/export?from_seq=…` covering the cited entries up to their checkpoints (one page,
 * an array of pages, or one page per line). The keys are the vault's public JWKS: a file, or a vault
 * URL whose `/.well-known/jwks.json` is fetched; without either, the export's own `jwks` is used and
 * the output says so (a copy you fetched yourself is the stronger check). Prints a JSON verdict;
 * exits 1 if anything fails.
 */
import { readFileSync } from "node:fs";
import type { Jwk } from "./lib/archive-verify.ts";
import { type AuditExportPage, verifyEvidence } from "./lib/evidence-verify.ts";

function pagesOf(text: string): AuditExportPage[] {
	try {
		const parsed = JSON.parse(text) as AuditExportPage | AuditExportPage[];
		return Array.isArray(parsed) ? parsed : [parsed];
	} catch {
		return text
			.split("\n")
			.filter((line) => line.trim() !== "")
			.map((line) => JSON.parse(line) as AuditExportPage);
	}
}

async function keysFrom(source: string | undefined, pages: AuditExportPage[]): Promise<{ jwks: { keys: Jwk[] }; from: string }> {
	if (source === undefined) return { jwks: { keys: pages.flatMap((page) => page.jwks?.keys ?? []) }, from: "the export" };
	if (/^https?:\/\//.test(source)) {
		const response = await fetch(new URL("/.well-known/jwks.json", source));
		if (!response.ok) throw new Error(`${source}/.well-known/jwks.json answered ${response.status}`);
		return { jwks: (await response.json()) as { keys: Jwk[] }, from: source };
	}
	return { jwks: JSON.parse(readFileSync(source, "utf8")) as { keys: Jwk[] }, from: source };
}

const [reportPath, exportPath, keys] = process.argv.slice(2);
if (!reportPath || !exportPath) {
	console.error("usage: npm run verify-evidence -- <report.jws> <export.json> [jwks.json | https://vault]");
	process.exit(2);
}
const pages = pagesOf(readFileSync(exportPath, "utf8"));
const { jwks, from } = await keysFrom(keys, pages);
const verdict = await verifyEvidence(readFileSync(reportPath, "utf8"), pages, jwks);
console.log(JSON.stringify({ ...verdict, keys_from: from }, null, 2));
process.exit(verdict.ok ? 0 : 1);
