import { z } from "@hono/zod-openapi";
import { CONTACT_FIELDS } from "../crypto/envelope";
import { RECORD_ID_PATTERN } from "../records/record-id";
import { PURPOSES } from "./scope";

export const RevealAskInput = z
	.strictObject({
		record_id: z.string().regex(RECORD_ID_PATTERN, "is not a record id"),
		fields: z
			.array(z.enum(CONTACT_FIELDS))
			.min(1)
			.max(3)
			.refine((fields) => new Set(fields).size === fields.length, "must not repeat a field")
			.openapi({ example: ["phone"] }),
		purpose: z
			.enum(PURPOSES)
			.openapi({ description: "delivery → recipient; pickup → sender; return → both; customer_service → phone; notify (services) → phone." }),
		case_id: z
			.string()
			.min(1)
			.max(64)
			.refine((value) => !/\p{Cc}/u.test(value) && value.trim() === value, "must not contain control characters or surrounding spaces")
			.optional()
			.openapi({
				description: "The customer-service case this reveal is for: required with customer_service (and only there); recorded in the audit entry.",
				example: "CS-20261129-0042",
			}),
	})
	.superRefine((ask, ctx) => {
		if (ask.purpose === "customer_service" && ask.case_id === undefined)
			ctx.addIssue({ code: "custom", path: ["case_id"], message: "is required for customer_service" });
		if (ask.purpose !== "customer_service" && ask.case_id !== undefined)
			ctx.addIssue({ code: "custom", path: ["case_id"], message: "goes with customer_service only" });
	})
	.openapi("RevealAsk");

export const RevealTicket = z
	.object({
		reveal_token: z.string().openapi({ description: "A JWT (typ reveal+jwt) signed by the vault; single use, redeemable only by you." }),
		expires_at: z.string().openapi({ format: "date-time" }),
	})
	.openapi("RevealTicket");

export const RedeemInput = z.strictObject({ reveal_token: z.string().min(1).max(4096) }).openapi("RevealRedeem");

export const RevealedFields = z
	.object({
		record_id: z.string(),
		purpose: z.enum(PURPOSES),
		fields: z.object({ name: z.string().optional(), phone: z.string().optional(), address: z.string().optional() }),
	})
	.openapi("Revealed");
