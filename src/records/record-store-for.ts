import { auditLogFor } from "../audit/audit-log-for";
import { issuerDirectory } from "../auth/issuer-directory";
import { trustedIssuersConfig } from "../config";
import type { Env } from "../env";
import { rowTrustFor } from "../integrity/row-trust-for";
import { D1RecordStore, type RecordStore } from "./store";

/**
 * The store a request uses. Today one D1 database; a shard router (by the id's time prefix and a
 * hash of the shipment) implements the same RecordStore and is returned from here instead.
 */
export function recordStoreFor(env: Env, ctx?: Pick<ExecutionContext, "waitUntil">): RecordStore {
	// Read only when a row still carries the pre-0006 issuer '': jobs need no TRUSTED_ISSUERS otherwise.
	const storedIssuer = (issuer: string | null) => (issuer ? issuer : issuerDirectory(trustedIssuersConfig(env)).stored(issuer));
	return new D1RecordStore(env.DB, auditLogFor(env, ctx), storedIssuer, Date.now, rowTrustFor(env, ctx));
}
