import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { startDevOidc } from "./scripts/lib/dev-oidc.ts";
import { startTelephonySimulator } from "./scripts/lib/telephony-simulator.ts";
import { testSecrets } from "./test/support/secrets.ts";
import { startWebhookServer } from "./test/support/webhook-server.ts";

/**
 * The worker logs one JSON object per line with an `event` (auth refusals, configuration failures,
 * housekeeping reports): operators' signals, which tests provoke on purpose by the hundred. They are
 * left out of a passing run's output; anything else a test prints still shows. VAULT_TEST_LOGS=1
 * shows them all.
 */
const showVaultLogs = process.env.VAULT_TEST_LOGS === "1";
// Wrangler's informational lines ("Using secrets defined in .dev.vars", once per test file) say
// nothing about the tests, whose secrets are the bindings below; its warnings and errors still show.
if (!showVaultLogs) process.env.WRANGLER_LOG ??= "warn";

function isVaultLogLine(line: string): boolean {
	const text = line.trim();
	if (!text.startsWith("{")) return false;
	try {
		const parsed: unknown = JSON.parse(text);
		return typeof parsed === "object" && parsed !== null && typeof (parsed as { event?: unknown }).event === "string";
	} catch {
		return false;
	}
}

export default defineConfig(async () => {
	const migrations = await readD1Migrations("./migrations");
	const webhook = await startWebhookServer();
	// The privacy-number provider: a local simulator speaking Alibaba's Dyplsapi over real HTTP.
	const telephony = await startTelephonySimulator();
	// The development OpenID provider, under its own issuer and key, for the pages' sign-in tests
	// (test/sign-in.test.ts adds it to TRUSTED_ISSUERS where a test needs it).
	const oidc = await startDevOidc({ pageOrigins: ["https://vault.test"] });
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
						TEST_OIDC: JSON.stringify({ url: oidc.url, issuer: oidc.issuer, jwks: oidc.jwks, sign_in: oidc.signIn }),
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
			// Many tests drive hundreds of requests through workerd; on a busy 2-core machine the default
			// 5 s is a timing bound, not a test of anything.
			testTimeout: 30_000,
			onConsoleLog: (log: string) => (showVaultLogs || !isVaultLogLine(log) ? undefined : false),
		},
	};
});
