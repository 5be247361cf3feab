import { z } from "@hono/zod-openapi";
import { DEFAULT_RETENTION_MAX_DAYS } from "../config";
import { LEG_KINDS } from "../shipments/events";
import { LEG_STATES } from "../shipments/leg-gate";
import { normalizePhone } from "./phone";
import { RECORD_ID_PATTERN } from "./record-id";

/** Names and addresses are free text, but never control characters (log and terminal injection). */
const text = (max: number) =>
	z
		.string()
		.max(max)
		.refine((value) => value.trim().length > 0, "must not be blank")
		.refine((value) => !/\p{Cc}/u.test(value), "must not contain control characters");

const identifier = (description: string) =>
	z
		.string()
		.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, '-' or '_'")
		.openapi({ description, example: "SF1234567890" });

export const ContactInput = z
	.strictObject({
		name: text(100).openapi({ example: "张三" }),
		phone: z
			.string()
			.max(32)
			.refine((value) => normalizePhone(value) !== null, "is not a valid phone number")
			.openapi({ description: "Mainland numbers may omit +86.", example: "13812341234" }),
		address: text(300).openapi({ example: "广东省深圳市南山区科技园路1号" }),
	})
	.openapi("ContactInput");

export const Party = z.enum(["sender", "recipient"]);

/** A principal's `sub`: what tokens carry, never with control characters (verify-bearer refuses those). */
export const subject = () =>
	z
		.string()
		.min(1)
		.max(128)
		.refine((value) => !/\p{Cc}/u.test(value), "must not contain control characters");
/** A trusted issuer, by its alias or its `iss`; resolved against TRUSTED_ISSUERS by the route. */
export const issuerName = () => z.string().min(1).max(256);

export const RecordInput = z
	.strictObject({
		shipment_id: identifier("The carrier's shipment (waybill) number."),
		party: Party,
		contact: ContactInput,
		depot: identifier("The depot the parcel is assigned to."),
		courier: subject().optional().openapi({ description: "The employee id (`sub`) of the assigned courier, under `courier_issuer`." }),
		courier_issuer: issuerName().optional().openapi({
			description:
				'The issuer of the courier\'s employee tokens, by alias or `iss` (DESIGN "Identity"). Without it, the issuer TRUSTED_ISSUERS marks for employees (else its first entry).',
		}),
		retention_days: z.number().int().min(1).max(3650).optional().openapi({
			// The document states the default deployment's bound; the server checks the configured one.
			maximum: DEFAULT_RETENTION_MAX_DAYS,
			description:
				"Days to keep the record (default RETENTION_DEFAULT_DAYS, 30; at most RETENTION_MAX_DAYS, 90). Once expired it reads as erased, and the retention job erases it.",
			example: 30,
		}),
	})
	.refine((record) => record.courier_issuer === undefined || record.courier !== undefined, { message: "goes with a courier", path: ["courier_issuer"] })
	.openapi("RecordInput");

export const BatchInput = z
	.strictObject({
		records: z
			.array(RecordInput)
			.min(1)
			.max(1000)
			.superRefine((records, ctx) => {
				const seen = new Set<string>();
				records.forEach((record, index) => {
					const key = `${record.shipment_id}\u0000${record.party}`;
					if (seen.has(key))
						ctx.addIssue({ code: "custom", path: [index, "shipment_id"], message: "repeats the shipment and party of an earlier record in this batch" });
					seen.add(key);
				});
			}),
	})
	.openapi("BatchInput");

export const ReassignInput = z
	.strictObject({
		depot: identifier("The new depot.").optional(),
		courier: subject().nullable().optional().openapi({ description: "The new courier, or null to unassign." }),
		courier_issuer: issuerName().optional().openapi({ description: "The new courier's issuer, as for a new record." }),
	})
	.refine((patch) => patch.depot !== undefined || patch.courier !== undefined, "must change depot or courier")
	.refine((patch) => patch.courier_issuer === undefined || typeof patch.courier === "string", {
		message: "goes with a courier",
		path: ["courier_issuer"],
	})
	.openapi("ReassignInput");

export const RecordIdParam = z.object({
	id: z
		.string()
		.regex(RECORD_ID_PATTERN, "is not a record id")
		.openapi({ param: { name: "id", in: "path" }, example: "rec_01jdq3v9x2m4n5p6q7r8s9t0vw" }),
});

/** A phone to search by, in any format a record's phone is accepted in. */
const searchPhone = () =>
	z
		.string()
		.max(32)
		.refine((value) => normalizePhone(value) !== null, "is not a valid phone number");
const shipmentId = () => z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, '-' or '_'");

export const LookupQuery = z.strictObject({
	shipment_id: shipmentId().openapi({
		description: "The shipment (waybill) number. To look records up by phone, POST /v1/records/lookup: no contact data in URLs.",
	}),
});

export const PhoneLookupInput = z
	.strictObject({
		phone: searchPhone(),
	})
	.openapi("PhoneLookup");

export const MaskedContactView = z
	.object({
		name: z.string().openapi({ example: "张*" }),
		phone: z.string().openapi({ example: "1******1234" }),
		address: z.string().openapi({ example: "广东省深圳市南山区****" }),
	})
	.openapi("MaskedContact");

export const RecordView = z
	.object({
		id: z.string(),
		shipment_id: z.string(),
		party: Party,
		depot: z.string(),
		courier: z.string().nullable(),
		courier_issuer: z.string().nullable().openapi({ description: "The `iss` the courier is a principal of; null when no courier is assigned." }),
		masked: MaskedContactView,
		key_id: z.string().openapi({ description: "Key id the record's data key is wrapped under." }),
		created_at: z.string().openapi({ format: "date-time" }),
		updated_at: z.string().openapi({ format: "date-time" }),
		expires_at: z.string().nullable().openapi({
			format: "date-time",
			description:
				"When the record is erased by the retention job; it reads as erased from then on. Null only briefly, for a record written during an upgrade.",
		}),
	})
	.openapi("Record");

export const RecordList = z.object({ records: z.array(RecordView) }).openapi("RecordList");

/** The caller's work on a record, as a shipment lookup shows it (DESIGN "Reveals follow the work"). */
export const LegStateView = z
	.object({
		state: z.enum(LEG_STATES).openapi({
			description:
				"`open`: a leg of yours (courier) or your depot's (clerk, supervisor) covers this party and still allows reveals and calls, grace period included; `closed`: there were such legs and all have ended or moved away (refresh before asking); `none`: never one. For a service, any leg of the shipment.",
		}),
		kind: z.enum(LEG_KINDS).nullable().openapi({ description: "The kind of the latest such leg (the latest open one when open); null with `none`." }),
	})
	.openapi("LegState");

export const ShipmentRecordView = RecordView.extend({ leg: LegStateView }).openapi("ShipmentRecord");

export const ShipmentRecordList = z
	.object({
		records: z.array(ShipmentRecordView),
		shipment_known: z.boolean().optional().openapi({
			description:
				'Employees only. True when the shipment has a live record at your depot, whether or not it is assigned to you (so an empty `records` means "not yours"); false when your depot holds none of it: a mistyped number, or a parcel elsewhere. It never tells whether another depot holds the shipment.',
		}),
	})
	.openapi("ShipmentRecordList");
export const BatchCreated = z.object({ ids: z.array(z.string()) }).openapi("BatchCreated");

export type RecordInput = z.infer<typeof RecordInput>;
export type ReassignInput = z.infer<typeof ReassignInput>;
export type RecordView = z.infer<typeof RecordView>;
export type ShipmentRecordView = z.infer<typeof ShipmentRecordView>;

export const ErasureRequest = z
	.strictObject({
		phone: searchPhone().optional().openapi({ description: "Erase every record of this customer's phone (exact match through the blind index)." }),
		shipment_id: shipmentId().optional().openapi({ description: "Erase every record of this shipment." }),
		reference: z
			.string()
			.regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be 1–64 letters, digits, '.', ':', '-' or '_'")
			.optional()
			.openapi({
				description: "The caller's reference for the deletion request (a ticket number), kept in the audit entry: never personal data.",
				example: "DSR-2026-00042",
			}),
	})
	.refine((input) => (input.phone === undefined) !== (input.shipment_id === undefined), "give exactly one of phone or shipment_id")
	.openapi("ErasureRequest");

export const ErasureReceipt = z
	.object({
		matched_by: z.enum(["phone", "shipment_id"]),
		reference: z.string().nullable(),
		erased: z.array(z.string()).openapi({ description: "Ids of the records this request erased, in id order." }),
		count: z.number().int(),
		erased_at: z.string().openapi({ format: "date-time" }),
		audit_seqs: z.array(z.number().int()).openapi({ description: "The audit entries that record the erasure (one per batch of up to 500 records)." }),
		complete: z.boolean().openapi({ description: "False if more records matched than one call erases (10,000): call again with the same request." }),
	})
	.openapi("ErasureReceipt");

export type ErasureRequest = z.infer<typeof ErasureRequest>;
export type ErasureReceiptView = z.infer<typeof ErasureReceipt>;
