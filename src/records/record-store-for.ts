import { auditLogFor } from "../audit/audit-log-for";
import type { Env } from "../env";
import { D1RecordStore, type RecordStore } from "./store";

/**
 * The store a request uses. Today one D1 database; a shard router (by the id's time prefix and a
 * hash of the shipment) implements the same RecordStore and is returned from here instead.
 */
export function recordStoreFor(env: Env, ctx?: Pick<ExecutionContext, "waitUntil">): RecordStore {
	return new D1RecordStore(env.DB, auditLogFor(env, ctx));
}
