import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { startTelephonySimulator } from "./scripts/lib/telephony-simulator.ts";
import { testSecrets } from "./test/support/secrets.ts";
import { startWebhookServer } from "./test/support/webhook-server.ts";

export default defineConfig(async () => {
	const migrations = await readD1Migrations("./migrations");
	const webhook = await startWebhookServer();
	// The privacy-number provider: a local simulator speaking Alibaba's Dyplsapi over real HTTP.
	const telephony = await startTelephonySimulator();
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
						TELEPHONY: telephony.telephony,
						TEST_TELEPHONY_CONTROL: telephony.url,
						TEST_MIGRATIONS: migrations,
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
