import { z } from "@hono/zod-openapi";
import { AUDIT_KINDS } from "./entry";

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
		details: z.record(z.string(), z.unknown()),
		prev_hash: z.string().nullable().openapi({ description: "Null for a moment after the entry is written, until it is sealed onto the chain." }),
		hash: z.string().nullable(),
	})
	.openapi("AuditEntry");

export const AuditPage = z.object({ entries: z.array(AuditEntryView), next_cursor: z.string().nullable() }).openapi("AuditPage");

export const VerifyReportView = z
	.object({
		ok: z.boolean(),
		entries_checked: z.number().int(),
		head: z.object({ seq: z.number().int(), hash: z.string() }),
		first_break: z.object({ seq: z.number().int(), reason: z.string(), detail: z.string() }).nullable(),
		checkpoints_checked: z.number().int(),
		checkpoint_problems: z.array(z.object({ seq: z.number().int(), reason: z.string() })),
	})
	.openapi("AuditVerifyReport");

export const CheckpointView = z.object({ seq: z.number().int(), hash: z.string(), at: z.number().int(), signature: z.string() }).openapi("AuditCheckpoint");

export const ExportQuery = z.strictObject({
	from_seq: z.coerce.number().int().min(1).default(1),
	to_seq: z.coerce.number().int().min(1).optional(),
});

export const ExportView = z
	.object({
		entries: z.array(z.record(z.string(), z.unknown())).openapi({ description: "Entries exactly as stored, ascending seq." }),
		checkpoints: z.array(CheckpointView),
		jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
		next_from_seq: z.number().int().nullable(),
	})
	.openapi("AuditExport");
