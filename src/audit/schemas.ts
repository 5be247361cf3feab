import { z } from "@hono/zod-openapi";
import { WireTime } from "../http/wire-time";
import { AUDIT_KINDS } from "./entry";
import { AuditFreshnessView } from "./freshness";

const millisOrIso = z
	.union([z.iso.datetime({ offset: true }), z.string().regex(/^\d{1,15}$/)])
	.transform((value) => (/^\d+$/.test(value) ? Number(value) : Date.parse(value)));

export const AuditQuery = z.strictObject({
	actor: z.string().max(128).optional().openapi({ description: "The acting principal's sub (employee or service)." }),
	record_id: z.string().max(64).optional(),
	kind: z.enum(AUDIT_KINDS).optional(),
	from: millisOrIso.optional().openapi({ description: "Inclusive start: ISO 8601 or ms since the epoch." }),
	to: millisOrIso.optional().openapi({ description: "Exclusive end: ISO 8601 or ms since the epoch." }),
	cursor: z
		.string()
		.regex(/^\d{1,15}$/, "is not a cursor from this API")
		.optional()
		.openapi({ description: "next_cursor of the previous page." }),
	limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const AuditEntryView = z
	.object({
		seq: z.number().int(),
		at: z.string().openapi({ format: "date-time" }),
		kind: z.string(),
		actor: z.object({ subject: z.string(), issuer: z.string().nullable(), role: z.string().nullable(), depot: z.string().nullable() }).nullable(),
		record_id: z.string().nullable(),
		details: z.record(z.string(), z.unknown()).openapi({
			description:
				"As recorded, with time members (`at`, `…_at`) in wire time. The hash covers the stored form (ms since the epoch): verify with GET /v1/audit/export, which gives entries as stored.",
		}),
		prev_hash: z.string().nullable().openapi({ description: "Null for a moment after the entry is written, until it is sealed onto the chain." }),
		hash: z.string().nullable(),
	})
	.openapi("AuditEntry");

export const AuditPage = z.object({ entries: z.array(AuditEntryView), next_cursor: z.string().nullable(), freshness: AuditFreshnessView }).openapi("AuditPage");

const Head = z.object({ seq: z.number().int(), hash: z.string() });
const Problem = z.object({ seq: z.number().int(), reason: z.string(), detail: z.string().optional() });

export const FullVerificationView = z
	.object({
		status: z.enum(["running", "finished"]),
		started_at: z.string().openapi({ format: "date-time" }),
		target_seq: z.number().int().openapi({ description: "The sealed head when the run started: it verifies the chain up to here." }),
		checked_through: z.number().int(),
		entries_checked: z.number().int(),
		finished_at: z.string().openapi({ format: "date-time" }).nullable(),
		ok: z.boolean().openapi({ description: "Nothing found so far." }),
		first_break: Problem.nullable(),
		problems: z.array(Problem).openapi({ description: "Checkpoint, witness and archive findings, the first 50." }),
	})
	.openapi("AuditFullVerification");

export const VerifyReportView = z
	.object({
		ok: z.boolean(),
		complete: z.boolean().openapi({ description: "The walk reached the sealed head; when false, ask again to continue." }),
		entries_checked: z.number().int(),
		head: Head.openapi({ description: "The sealed head in D1." }),
		walked: z.object({ from_seq: z.number().int(), to_seq: z.number().int() }),
		first_break: z.object({ seq: z.number().int(), reason: z.string(), detail: z.string() }).nullable(),
		checkpoints_checked: z.number().int(),
		checkpoint_problems: z.array(z.object({ seq: z.number().int(), reason: z.string() })),
		witness: z.object({
			status: z.enum(["compared", "unreachable", "not_configured"]),
			head: Head.nullable().openapi({ description: "The newest head the witness saw sealed." }),
			problems: z.array(Problem).openapi({
				description:
					"D1 against the witness: `tail_truncated`, `entry_missing`, `hash_differs`, `sealed_differently`, `checkpoint_missing`, `checkpoint_altered`, `checkpoints_missing`, `archive_differs`.",
			}),
		}),
		sealing: z.object({
			status: z
				.enum(["up_to_date", "backlog", "delayed"])
				.openapi({ description: "`delayed`: the witness could not be told, so sealing waits; nothing is lost." }),
			unsealed_from: z.number().int().nullable(),
		}),
		full_verification: FullVerificationView.nullable(),
		freshness: AuditFreshnessView,
	})
	.openapi("AuditVerifyReport");

export const CheckpointView = z
	.object({
		seq: z.number().int(),
		hash: z.string(),
		at: WireTime("When it was signed; the signature's payload carries the same instant in ms since the epoch, as signed."),
		signature: z.string(),
	})
	.openapi("AuditCheckpoint");

export const ExportQuery = z.strictObject({
	from_seq: z.coerce.number().int().min(1).default(1),
	to_seq: z.coerce.number().int().min(1).optional(),
});

export const ExportView = z
	.object({
		entries: z.array(z.record(z.string(), z.unknown())).openapi({
			description: "Entries exactly as stored, ascending seq: `at` (and time members of `details`) in ms since the epoch, as the hashes cover them.",
		}),
		checkpoints: z.array(CheckpointView),
		jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
		next_from_seq: z.number().int().nullable(),
		freshness: AuditFreshnessView,
	})
	.openapi("AuditExport");
