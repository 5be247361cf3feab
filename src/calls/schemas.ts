import { z } from "@hono/zod-openapi";
import { RECORD_ID_PATTERN } from "../records/record-id";
import { PURPOSES } from "../reveals/scope";
import { CALL_ID_PATTERN } from "./make-call";

export const CallInput = z
	.strictObject({
		record_id: z.string().regex(RECORD_ID_PATTERN, "is not a record id"),
		purpose: z.enum(PURPOSES).openapi({
			description: "As for a reveal of `phone`: delivery → recipient; pickup → sender; return → both; customer_service → either, with `case_id`.",
		}),
		case_id: z.string().min(1).max(64).optional().openapi({ description: "The customer-service case (customer_service only); recorded in the audit entry." }),
	})
	.openapi("CallAsk");

export const CallBinding = z
	.object({
		call_id: z.string().openapi({ description: "End it early with DELETE /v1/calls/{call_id}.", example: `call_${"0".repeat(40)}` }),
		virtual_number: z.string().openapi({
			description: "The privacy number X to dial, as the provider hands it out (mainland digits for Alibaba); it connects only your phone and the customer's.",
			example: "17000000001",
		}),
		expires_at: z.string().openapi({ format: "date-time", description: "When the binding ends (ISO 8601, UTC): never after the leg's end, at most 2 hours." }),
	})
	.openapi("CallBinding");

export const CallIdParam = z.object({
	call_id: z
		.string()
		.regex(CALL_ID_PATTERN, "is not a call id")
		.openapi({ param: { name: "call_id", in: "path" } }),
});
