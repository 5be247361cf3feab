import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { testSecrets } from "./test/support/secrets.ts";
import { startWebhookServer } from "./test/support/webhook-server.ts";

export default defineConfig(async () => {
	const migrations = await readD1Migrations("./migrations");
	const webhook = await startWebhookServer();
	return {
		plugins: [
			cloudflareTest({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					// Test-only bindings: fresh secrets each run, and the migrations for the setup file.
					bindings: {
						...(await testSecrets()),
						AUDIT_CHECKPOINT_INTERVAL: "25",
						ALERT_WEBHOOK_URL: `${webhook.url}/hook`,
						TEST_WEBHOOK_CONTROL: webhook.url,
						TEST_MIGRATIONS: migrations,
						// test/audit-scale.test.ts: 30,000 in the suite (two verify requests); CI's own step sets 500,000.
						AUDIT_SCALE_ENTRIES: process.env.AUDIT_SCALE_ENTRIES ?? "30000",
					},
				},
			}),
		],
		test: {
			include: ["test/**/*.test.ts"],
			setupFiles: ["./test/support/apply-migrations.ts"],
		},
	};
});
