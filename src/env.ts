import type { AuditWitness } from "./audit/witness";
import type { DepotLedger } from "./limits/depot-ledger";
import type { PrincipalLimiter } from "./limits/principal-limiter";

/** Bindings and variables the worker reads. Secrets arrive as strings and are parsed in config.ts. */
export interface Env {
	DB: D1Database;
	LIMITER: DurableObjectNamespace<PrincipalLimiter>;
	DEPOT_LEDGER: DurableObjectNamespace<DepotLedger>;
	/**
	 * The audit chain's witness, outside D1. Not among the bindings every request requires: appends
	 * never wait for it. Without it sealing waits and verification says it could not compare.
	 */
	AUDIT_WITNESS?: DurableObjectNamespace<AuditWitness>;
	/** Where past days' audit segments go, signed (R2; run it with a bucket lock in production). */
	AUDIT_ARCHIVE?: R2Bucket;
	/** Optional: where alerts are POSTed (JSON), with retries until delivered. */
	ALERT_WEBHOOK_URL?: string;
	VAULT_KEYRING?: string;
	REVEAL_SIGNING_JWK?: string;
	/** Optional: JSON array of `{jwk, retired_at}`, public keys that signed before a rollover (config.ts). */
	REVEAL_SIGNING_PREVIOUS?: string;
	/** Optional: the public JWK of the key the next rollover switches to, published ahead of use. */
	REVEAL_SIGNING_NEXT?: string;
	TRUSTED_ISSUERS?: string;
	/** Optional: `{team_domain, aud}` of the Cloudflare Access application in front of the ops console. */
	OPS_ACCESS?: string;
	/**
	 * Optional until calls are used: the privacy-number provider, JSON
	 * `{provider, endpoint, access_key_id, access_key_secret, pool_key}` (config.ts `telephonyConfig`).
	 */
	TELEPHONY?: string;
	MAX_BODY_BYTES?: string;
	REVEAL_TOKEN_TTL_SECONDS?: string;
	AUDIT_CHECKPOINT_INTERVAL?: string;
	RETENTION_DEFAULT_DAYS?: string;
	RETENTION_MAX_DAYS?: string;
	KEY_REWRAP_BATCH_SIZE?: string;
	RETENTION_ERASE_BATCH_SIZE?: string;
	TERMINAL_REVEAL_SECONDS?: string;
	TERMINAL_IDLE_SECONDS?: string;
	/** Optional: "1" lets the pages take a pasted token as well (a developer's shortcut); off by default. */
	PAGES_TOKEN_PASTE?: string;
}
