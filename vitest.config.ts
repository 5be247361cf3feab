import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { testSecrets } from "./test/support/secrets.ts";

export default defineConfig(async () => {
	const migrations = await readD1Migrations("./migrations");
	return {
		plugins: [
			cloudflareTest({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					// Test-only bindings: fresh secrets each run, and the migrations for the setup file.
					bindings: { ...(await testSecrets()), AUDIT_CHECKPOINT_INTERVAL: "25", TEST_MIGRATIONS: migrations },
				},
			}),
		],
		test: {
			include: ["test/**/*.test.ts"],
			setupFiles: ["./test/support/apply-migrations.ts"],
		},
	};
});
