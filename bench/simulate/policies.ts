import { readdirSync, readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import type { PolicyRow } from "../../src/limits/policy";

/** The default policies exactly as the migrations create them, read through SQLite. */
export function migratedPolicies(migrationsDir = "migrations"): PolicyRow[] {
	const db = new DatabaseSync(":memory:");
	for (const file of readdirSync(migrationsDir)
		.filter((name) => name.endsWith(".sql"))
		.sort())
		db.exec(readFileSync(`${migrationsDir}/${file}`, "utf8"));
	return db.prepare("SELECT * FROM policies").all() as unknown as PolicyRow[];
}
