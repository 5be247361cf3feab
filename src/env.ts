/** Bindings and variables the worker reads. Secrets arrive as strings and are parsed in config.ts. */
export interface Env {
	DB: D1Database;
	VAULT_KEYRING?: string;
	REVEAL_SIGNING_JWK?: string;
	TRUSTED_ISSUERS?: string;
	MAX_BODY_BYTES?: string;
	REVEAL_TOKEN_TTL_SECONDS?: string;
	AUDIT_CHECKPOINT_INTERVAL?: string;
}
