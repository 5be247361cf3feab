import { z } from "@hono/zod-openapi";
import { LEG_KINDS, LEG_PARTIES, SHIPMENT_EVENT_TYPES } from "./events";

/** The same identifiers records use (src/records/schemas.ts): waybill numbers and depots. */
const identifier = (description: string) =>
	z
		.string()
		.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, '-' or '_'")
		.openapi({ description, example: "SF1234567890" });

/** An employee's `sub`, never with control characters (verify-bearer refuses those). */
const subject = () =>
	z
		.string()
		.min(1)
		.max(128)
		.refine((value) => !/\p{Cc}/u.test(value), "must not contain control characters");

/** Events that name who holds the work they open. */
const OPENING: readonly string[] = ["out_for_delivery", "pickup_scheduled", "return_started"];
const NEEDS_COURIER: readonly string[] = ["out_for_delivery", "pickup_scheduled"];

export const ShipmentEventInput = z
	.strictObject({
		shipment_id: identifier("The shipment (waybill) number of records the vault holds."),
		type: z.enum(SHIPMENT_EVENT_TYPES),
		courier: subject()
			.optional()
			.openapi({ description: "The employee id (`sub`) of the courier doing the work; out_for_delivery and pickup_scheduled need one." }),
		courier_issuer: z.string().min(1).max(256).optional().openapi({
			description: "The courier's issuer, by alias or `iss`; without it, the issuer TRUSTED_ISSUERS marks for employees.",
		}),
		depot: identifier("The depot the work is done from.").optional(),
		at: z.iso.datetime({ offset: true }).optional().openapi({
			description: "When it happened (RFC 3339); default now. Events may arrive late and out of order: the later `at` wins.",
			example: "2026-11-29T08:30:00+08:00",
		}),
	})
	.superRefine((event, ctx) => {
		if (NEEDS_COURIER.includes(event.type) && event.courier === undefined)
			ctx.addIssue({ code: "custom", path: ["courier"], message: `is required for ${event.type}` });
		if (!OPENING.includes(event.type)) {
			for (const field of ["courier", "depot"] as const) {
				if (event[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: `does not go with ${event.type}` });
			}
		}
		if (event.courier_issuer !== undefined && event.courier === undefined)
			ctx.addIssue({ code: "custom", path: ["courier_issuer"], message: "goes with a courier" });
	})
	.openapi("ShipmentEventInput");

export const ShipmentEventsInput = z.strictObject({ events: z.array(ShipmentEventInput).min(1).max(1000) }).openapi("ShipmentEventsInput");

export const ShipmentEventsAccepted = z
	.object({
		accepted: z.number().int().openapi({ description: "Events recorded." }),
		shipments: z.array(z.string()).openapi({ description: "The shipments whose legs were recomputed." }),
	})
	.openapi("ShipmentEventsAccepted");

export const ShipmentIdParam = z.object({ shipment_id: identifier("The shipment (waybill) number.") });

export const LegView = z
	.object({
		kind: z.enum(LEG_KINDS),
		parties: z.enum(LEG_PARTIES),
		courier: z.string().nullable(),
		courier_issuer: z.string().nullable(),
		depot: z.string().nullable().openapi({ description: "Null: the record's own depot." }),
		opened_at: z.string(),
		closed_at: z.string().nullable(),
		close_after: z.string().nullable().openapi({ description: "When the leg stops allowing reveals: closed_at plus the grace period." }),
		open: z.boolean(),
		at: z.string().openapi({ description: "The time of the event that last changed the leg." }),
	})
	.openapi("Leg");

export const LegList = z.object({ shipment_id: z.string(), legs: z.array(LegView) }).openapi("LegList");
