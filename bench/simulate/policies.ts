import { readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import type { PolicyRow } from "../../src/limits/policy";

/** The default policies exactly as the migrations create them, read through SQLite. */
export function migratedPolicies(migrationPath = "migrations/0003_limits.sql"): PolicyRow[] {
	const db = new DatabaseSync(":memory:");
	db.exec(readFileSync(migrationPath, "utf8"));
	return db.prepare("SELECT * FROM policies").all() as PolicyRow[];
}
