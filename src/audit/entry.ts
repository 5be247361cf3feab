import { sha256 } from "../crypto/digest";
import { canonicalJson, type JsonValue } from "./canonical-json";

export const GENESIS_HASH = "genesis";

export const AUDIT_KINDS = [
	"record.created",
	"record.batch_created",
	"record.reassigned",
	"record.erased",
	"record.batch_erased",
	"record.expired",
	"key.rewrapped",
	"reveal.granted",
	"reveal.denied",
	"reveal.redeemed",
	"reveal.refused",
	"reveal.voided",
	"principal.suspended",
	"principal.reinstated",
	"policy.changed",
	"policy.deleted",
	"detector.changed",
	"honeytoken.planted",
	"honeytoken.renewed",
	"lookups.summarized",
	"refusals.summarized",
	"leak.attributed",
	"shipment.events",
	"call.granted",
	"call.denied",
	"call.failed",
	"call.ended",
	"alert.acknowledged",
	"alert.resolved",
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export interface AuditActor {
	subject: string;
	issuer: string;
	role?: string | null;
	depot?: string | null;
}

/** What a caller records: never plaintext contact data, never secrets or tokens. */
export interface AuditEvent {
	kind: AuditKind;
	at: number;
	actor: AuditActor | null;
	recordId: string | null;
	details: { [key: string]: JsonValue };
	/** Further records the entry concerns (a batch's), indexed so each record's history finds it. */
	recordIds?: string[];
}

/** An entry as stored: the event, its place in the chain and, once sealed, the hashes that bind it there. */
export interface AuditEntry {
	seq: number;
	at: number;
	kind: string;
	actor: string | null;
	actor_issuer: string | null;
	actor_role: string | null;
	actor_depot: string | null;
	record_id: string | null;
	details: string;
	prev_hash: string | null;
	hash: string | null;
}

/** The columns an appender writes; the database assigns `seq`, sealing adds the hashes. */
export type EntryContent = Omit<AuditEntry, "seq" | "prev_hash" | "hash">;

/** What the hash covers: the content, the position and the previous entry's hash. */
export type HashedEntry = Omit<AuditEntry, "hash"> & { prev_hash: string };

export function entryFor(event: AuditEvent): EntryContent {
	return {
		at: event.at,
		kind: event.kind,
		actor: event.actor?.subject ?? null,
		actor_issuer: event.actor?.issuer ?? null,
		actor_role: event.actor?.role ?? null,
		actor_depot: event.actor?.depot ?? null,
		record_id: event.recordId,
		details: canonicalJson(event.details),
	};
}

/**
 * The hash of an entry: SHA-256 over the canonical JSON of every column but `hash`, so it covers
 * the position (`seq`), the content and the previous entry's hash. Changing, removing or reordering
 * any entry changes every hash after it.
 */
export function entryHash(entry: HashedEntry): Promise<string> {
	const { seq, at, kind, actor, actor_issuer, actor_role, actor_depot, record_id, details, prev_hash } = entry;
	return sha256(canonicalJson({ seq, at, kind, actor, actor_issuer, actor_role, actor_depot, record_id, details, prev_hash }));
}
