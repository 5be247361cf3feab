/**
 * `npm run pages:embed`: regenerates src/ui/page-assets.ts from public/ui. With `--check`, changes
 * nothing and exits 1 when the committed module does not match the files (CI runs it).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { embedPages, PAGES_MODULE, PAGES_SOURCE, pagesModule } from "./lib/embed-pages.ts";

const root = process.cwd();
if (process.argv.includes("--check")) {
	let committed = "";
	try {
		committed = readFileSync(join(root, PAGES_MODULE), "utf8");
	} catch {
		// missing: differs
	}
	if (committed !== pagesModule(root)) {
		console.error(`${PAGES_MODULE} does not match ${PAGES_SOURCE}/: run \`npm run pages:embed\` and commit it.`);
		process.exit(1);
	}
	console.log(`${PAGES_MODULE} matches ${PAGES_SOURCE}/`);
} else {
	console.log(embedPages(root) ? `wrote ${PAGES_MODULE}` : `${PAGES_MODULE} is up to date`);
}
