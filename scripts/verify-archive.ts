/**
 * Verifies a copy of the audit archive offline: `node scripts/verify-archive.ts <dir> <jwks.json>`.
 *
 * <dir> holds the bucket's objects under their keys (`audit/<day>/<first>-<last>.jsonl` and `.jws`),
 * e.g. copied with `rclone copy r2:contact-vault-audit/audit ./archive/audit`. <jwks.json> is the
 * vault's public key set as you obtained it yourself (`/.well-known/jwks.json`, or the `jwks` of
 * `GET /v1/audit/checkpoints` for previous keys with their `retired_at`). Prints a JSON report;
 * exits 1 if anything is wrong.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { type ArchiveObject, verifyArchive } from "./lib/archive-verify.ts";

function objectsUnder(root: string): ArchiveObject[] {
	const objects: ArchiveObject[] = [];
	for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
		if (!entry.isFile() || !/\.(jsonl|jws)$/.test(entry.name)) continue;
		const path = join(entry.parentPath, entry.name);
		objects.push({ key: relative(root, path).split(sep).join("/"), body: readFileSync(path, "utf8") });
	}
	return objects;
}

const [dir, jwksPath] = process.argv.slice(2);
if (!dir || !jwksPath) {
	console.error("usage: node scripts/verify-archive.ts <archive-dir> <jwks.json>");
	process.exit(2);
}
const report = await verifyArchive(objectsUnder(dir), JSON.parse(readFileSync(jwksPath, "utf8")));
console.log(JSON.stringify(report, null, 2));
process.exit(report.ok ? 0 : 1);
