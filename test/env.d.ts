import type { D1Migration } from "cloudflare:test";
import type { Env as VaultEnv } from "../src/env";

declare global {
	namespace Cloudflare {
		interface GlobalProps {
			mainModule: typeof import("../src/index");
		}
		interface Env extends VaultEnv {
			TEST_MIGRATIONS: D1Migration[];
			/** Private JWKs of the test issuers and of keys nobody trusts (see test/support/secrets.ts). */
			TEST_KEYS: string;
			/** Base URL of the stand-in alert webhook's control endpoints (test/support/webhook-server.ts). */
			TEST_WEBHOOK_CONTROL: string;
			/**
			 * Base URL of the privacy-number provider simulator (scripts/lib/telephony-simulator.ts);
			 * TELEPHONY points at its first pool, and `/_sim/` under it is its control plane.
			 */
			TEST_TELEPHONY_CONTROL: string;
			/** The development OpenID provider (scripts/lib/dev-oidc.ts): JSON `{url, issuer, jwks, sign_in}`. */
			TEST_OIDC: string;
			/** Entries of the chain test/audit-scale.test.ts verifies. */
			AUDIT_SCALE_ENTRIES?: string;
		}
	}
}
