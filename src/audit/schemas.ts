import { z } from "@hono/zod-openapi";
import { WireTime } from "../http/wire-time";
import { SCANNED_TABLES, type ScannedTable } from "../integrity/row-mac-store";
import { ROW_SCAN_PAGE, ROW_SCAN_PAGES_PER_SLICE, ROW_SCAN_QUERY_BOUND } from "../integrity/row-scan";
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
		forged: z.boolean().nullable().openapi({
			description:
				"True: the entry's MAC failed when the vault sealed it, so it was written or changed outside the vault (`entry_forged` in GET /v1/audit/verify); leak attribution never cites or counts it. Read it as a trace of tampering, not of what anyone did. Null: not sealed yet, so not judged yet.",
		}),
	})
	.openapi("AuditEntry");

export const AuditPage = z.object({ entries: z.array(AuditEntryView), next_cursor: z.string().nullable(), freshness: AuditFreshnessView }).openapi("AuditPage");

const Head = z.object({ seq: z.number().int(), hash: z.string() });
const Problem = z.object({ seq: z.number().int(), reason: z.string(), detail: z.string().optional() });

const LegacyState = z.enum(["signed", "signing", "unknown"]);

const ForgedRowView = z.object({
	table: z.string().openapi({ description: "`policies`, `records`, `principal_status`, `honeytokens`, `legs`, `shipment_events` or `alerts`." }),
	key: z.string().openapi({
		description:
			"The row: `layer/target_issuer/target`, a record id, `issuer subject`, a leg's or a shipment event's `shipment_id:n`, or an alert id. Never contact data.",
	}),
	mac_key: z.string().nullable().openapi({ description: "The keyring key id the row's MAC names." }),
	reason: z.string().openapi({
		description:
			"`mac_invalid`; `mac_missing` (once every legacy row is MACed); `mac_key_unknown` (its key left VAULT_KEYRING too early: restore it; readers answer 500 meanwhile); `honeytoken_unlisted` (a trap's honeytokens row is gone: it still springs); `honeytoken_forged` (a honeytokens row added to a real record: it springs nothing).",
	}),
});

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
		rows: z
			.object({
				table: z
					.enum(SCANNED_TABLES)
					.nullable()
					.openapi({ description: "The table being walked; null before the first slice and once every table is walked." }),
				finished: z.boolean(),
				checked: z
					.object(Object.fromEntries(SCANNED_TABLES.map((table) => [table, z.number().int()])) as Record<ScannedTable, z.ZodNumber>)
					.openapi({ description: "Rows judged so far per table (alerts: those past open or carrying a MAC)." }),
				found: z.number().int().openapi({ description: "Rows whose MAC failed, all of them." }),
				problems: z.array(ForgedRowView).openapi({ description: "The first 50 of them; each raised a `row_mac_failed` alert." }),
				last_finished: z
					.object({ finished_at: z.string().openapi({ format: "date-time" }), found: z.number().int(), problems: z.array(ForgedRowView) })
					.nullable()
					.openapi({ description: "What the last finished run's scan found: it keeps `ok` false until this run's scan finishes without forged rows." }),
			})
			.openapi({
				description: `The scan of every MACed row (policies, status rows, records with their honeytoken bit, legs, shipment events, alert triage) in primary-key order, ${ROW_SCAN_PAGES_PER_SLICE} pages of ${ROW_SCAN_PAGE} rows per cron slice (at most ${ROW_SCAN_QUERY_BOUND} D1 queries beside the chain's); it starts over when the keyring's keys change.`,
			}),
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
					"D1 against the witness: `tail_truncated`, `entry_missing`, `hash_differs`, `sealed_differently`, `sealed_unwitnessed`, `entry_forged`, `entry_vanished`, `checkpoint_missing`, `checkpoint_altered`, `checkpoints_missing`, `archive_differs`.",
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
		rows: z
			.object({
				legacy: LegacyState.openapi({
					description:
						"`signed`: every row written before the row-MAC migrations (0014, 0018) has its MAC, so a row without one is a forgery; `signing`: the legacy job is still MACing them (such rows are read as before); `unknown`: no witness, or it could not be reached.",
				}),
				legacy_sets: z
					.object({ "0014": LegacyState, "0018": LegacyState, "0019": LegacyState })
					.openapi({ description: "`legacy` per migration: 0014 policy layers, records and status rows; 0018 legs and alert triage; 0019 shipment events." }),
				checked: z.object({
					policies: z.number().int(),
					principal_status: z.number().int(),
					records: z.number().int(),
					legs: z.number().int().openapi({ description: "Legs that grant now (open or in their grace), and those of findings, up to 10,000." }),
					shipment_events: z.number().int().openapi({ description: "The shipment events of findings (the full re-verification scans them all)." }),
					alerts: z.number().int().openapi({ description: "Alerts past open (acknowledged, resolved), the newest 1,000, and those of findings." }),
				}),
				problems: z.array(ForgedRowView).openapi({ description: "Rows whose MAC fails now; none of them is used as it reads." }),
				reported: z
					.array(ForgedRowView.extend({ first_at: z.string().openapi({ format: "date-time" }), last_at: z.string().openapi({ format: "date-time" }) }))
					.openapi({ description: "Every finding the witness holds, newest first (the first 50), kept after the row is repaired." }),
			})
			.openapi({ description: 'Rows that grant or withhold access, checked against their MACs (README "Row MACs").' }),
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
