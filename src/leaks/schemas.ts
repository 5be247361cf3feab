import { z } from "@hono/zod-openapi";
import { PRINCIPAL_KINDS } from "../auth/principal";
import { WireTime } from "../http/wire-time";
import { normalizePhone } from "../records/phone";

export const MAX_LIST_ENTRIES = 10_000;
export const DEFAULT_PERIOD_DAYS = 30;

/** Runs of digits with the separators phones are written with: each is refused if it reads as a phone. */
const DIGIT_RUNS = /\+?\d[\d\s\-().]{5,}\d/g;

/** Free text for ops, kept in the signed report and the audit: never a pasted list line, so nothing that normalises as a phone. */
const holdsPhone = (text: string) => [...text.matchAll(DIGIT_RUNS)].some(([run]) => normalizePhone(run) !== null);

export const AttributeInput = z
	.strictObject({
		phones: z
			.array(z.string().max(64))
			.min(1)
			.max(MAX_LIST_ENTRIES)
			.openapi({ description: "The phone numbers of the list as found, in any common format; normalised to E.164 as records are." }),
		names: z
			.array(z.string().max(200))
			.max(MAX_LIST_ENTRIES)
			.optional()
			.openapi({ description: "The names beside them, if the list has any: hashed with the list, never matched, stored or echoed." }),
		source: z
			.string()
			.max(200)
			.refine((value) => !holdsPhone(value), "must not hold a phone number")
			.optional()
			.openapi({ description: "Where the list was found (a ticket, a site): kept in the report and the audit entry.", example: "INC-2026-0117" }),
		days: z.number().int().min(1).max(90).default(DEFAULT_PERIOD_DAYS).openapi({ description: "How far back the audit is read (days before now)." }),
	})
	.openapi("LeakAttributionRequest");

const Principal = { subject: z.string(), issuer: z.string() };

export const SuspectView = z
	.object({
		...Principal,
		kind: z.enum(PRINCIPAL_KINDS),
		role: z.string().optional(),
		depot: z.string().optional(),
		revealed: z.number().int().openapi({ description: "Matched records whose plaintext they redeemed in the period." }),
		fields: z.record(z.string(), z.number().int()).openapi({ description: "Per field, for how many matched records they redeemed it." }),
		held: z.number().int().openapi({ description: "Matched records they held (assigned, or in their depot for a clerk or supervisor) and did not reveal." }),
		touched: z.number().int().openapi({ description: "Distinct records they revealed in the period, the list's or not." }),
		score: z.number().openapi({ description: '−log10 of the hypergeometric tail P(X ≥ revealed): README "Tracing a leak".' }),
		population: z.number().int(),
		draws: z.number().int(),
	})
	.openapi("LeakSuspect");

export const HoneytokenHit = z.object({
	record_id: z.string(),
	depot: z.string().nullable(),
	for: z.object(Principal).nullable().openapi({ description: "The person a canary was planted for; null for a depot-wide honeytoken." }),
});

export const AttributionView = z
	.object({
		list: z.object({ sha256: z.string(), size: z.number().int(), unreadable: z.number().int() }),
		matched: z.number().int().openapi({ description: "List entries whose phone the vault holds (honeytokens included)." }),
		records: z.number().int().openapi({ description: "Distinct live records matched, honeytokens excluded." }),
		honeytokens: z.array(HoneytokenHit),
		suspects: z.array(SuspectView),
		depots: z.array(z.object({ depot: z.string(), matched: z.number().int() })),
		period: z.object({ from: WireTime("Start of the audit read."), to: WireTime("End of the audit read (now).") }),
		audit_seq: z.number().int().openapi({ description: "The `leak.attributed` entry of this investigation." }),
		report: z.string().openapi({ description: "Compact JWS (typ leak-report+jws) over the evidence; verify with `npm run verify-evidence`." }),
	})
	.openapi("LeakAttribution");

export type AttributeInput = z.infer<typeof AttributeInput>;
export type AttributionView = z.infer<typeof AttributionView>;
