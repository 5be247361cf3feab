import { z } from "@hono/zod-openapi";
import { PRINCIPAL_KINDS, ROLES } from "../auth/principal";
import { issuerQueryField } from "../http/issuer-query";
import { WireTime } from "../http/wire-time";
import { POLICY_LAYERS, POLICY_MODES } from "./policy";
import { PRINCIPAL_STATUSES } from "./principal-status";

const limit = (max: number, description: string) => z.number().int().min(1).max(max).nullable().optional().openapi({ description });

export const PolicyInput = z
	.strictObject({
		mode: z.enum(POLICY_MODES).openapi({ description: "report-only records what it would refuse and refuses nothing." }),
		burst_limit: limit(1000, "Reveals per burst window; null defers to the layer below."),
		burst_window_seconds: z.number().int().min(10).max(86_400).nullable().optional(),
		daily_limit: limit(5000, "Reveals per rolling 24 hours."),
		distinct_limit: limit(5000, "Distinct records per rolling 24 hours."),
		ring_threshold: z
			.number()
			.int()
			.min(2)
			.max(100)
			.nullable()
			.optional()
			.openapi({ description: "Depot and default layers: employees at quota in one day that raise a ring alert." }),
		depot_daily_budget: z
			.number()
			.int()
			.min(1)
			.max(1_000_000)
			.nullable()
			.optional()
			.openapi({ description: "Depot and default layers: reveals by a whole depot in 24 hours before a critical alert." }),
		lookup_limit: limit(100_000, "Lookups (shipment scans, service phone lookups) per lookup window."),
		lookup_window_seconds: z.number().int().min(10).max(86_400).nullable().optional(),
		lookup_daily_limit: limit(1_000_000, "Lookups per rolling 24 hours."),
		miss_limit: limit(
			10_000,
			"Employee shipment lookups per hour that find nothing in the employee's scope; past it every lookup is refused until it frees, and ops are alerted.",
		),
		refusal_limit: limit(
			10_000,
			"Refused asks, redeems and lookups per hour audited one by one; past it the answer is 429 and refusals are summed into one audit entry a minute.",
		),
		require_active_leg: z
			.union([z.literal(0), z.literal(1)])
			.nullable()
			.optional()
			.openapi({
				description:
					'1: a delivery, pickup, return or notify reveal needs an open leg (DESIGN "Reveals follow the work"); 0: it does not. A report-only layer may only trial 1 over an enforcing 0: the asks it would refuse are granted and recorded (`leg_would_refuse`). Default 1.',
			}),
		leg_grace_seconds: z
			.number()
			.int()
			.min(0)
			.max(86_400)
			.nullable()
			.optional()
			.openapi({ description: "Depot and default layers: how long a delivered, picked-up or returned leg still allows reveals. Default 1800." }),
		stale_window_seconds: z.number().int().min(0).max(604_800).nullable().optional().openapi({
			description:
				"How long after a leg closed or moved away from an employee their asks about it are stale (403 `stale-work`, never counted toward suspension) rather than probing. Default 43200 (12 hours).",
		}),
		case_limit: z
			.number()
			.int()
			.min(0)
			.max(5000)
			.nullable()
			.optional()
			.openapi({ description: "customer_service reveals per rolling 24 hours (typically set per role); null: no limit of its own beyond the reveal limits." }),
		plaintext_phone_limit: z.number().int().min(0).max(1000).nullable().optional().openapi({
			description:
				'Enforcing layers: plaintext phone reveals for delivery or pickup per rolling 24 hours, each after a call on the leg (DESIGN "Calls instead of numbers"); past it 429 `quota-exceeded` with `limit: "plaintext_phone"`. null defers to the layer below; built-in per role: courier 10, clerk 0, supervisor 10.',
		}),
		call_burst_limit: limit(
			1000,
			'Enforcing layers: calls (privacy-number bindings, `POST /v1/calls`) per call burst window; past it 429 `quota-exceeded` with `limit: "call_burst"`. null defers to the layer below; built-in per role: courier 30, clerk 20, supervisor 30 per 600 seconds.',
		),
		call_burst_window_seconds: z.number().int().min(10).max(86_400).nullable().optional(),
		call_daily_limit: limit(5000, "Enforcing layers: calls per rolling 24 hours (`call_daily`). Built-in: courier 400, clerk 200, supervisor 300."),
		call_distinct_limit: limit(
			5000,
			"Enforcing layers: distinct records called about per rolling 24 hours (`call_distinct`). Built-in: courier 300, clerk 150, supervisor 200.",
		),
	})
	.refine((input) => (input.burst_limit == null) === (input.burst_window_seconds == null), {
		message: "burst_limit and burst_window_seconds go together",
		path: ["burst_window_seconds"],
	})
	.refine((input) => (input.lookup_limit == null) === (input.lookup_window_seconds == null), {
		message: "lookup_limit and lookup_window_seconds go together",
		path: ["lookup_window_seconds"],
	})
	.refine((input) => input.distinct_limit == null || input.daily_limit == null || input.distinct_limit <= input.daily_limit, {
		message: "cannot exceed daily_limit",
		path: ["distinct_limit"],
	})
	.refine((input) => (input.call_burst_limit == null) === (input.call_burst_window_seconds == null), {
		message: "call_burst_limit and call_burst_window_seconds go together",
		path: ["call_burst_window_seconds"],
	})
	.refine((input) => input.call_distinct_limit == null || input.call_daily_limit == null || input.call_distinct_limit <= input.call_daily_limit, {
		message: "cannot exceed call_daily_limit",
		path: ["call_distinct_limit"],
	})
	.openapi("PolicyInput");

export const PolicyView = z
	.object({
		layer: z.enum(POLICY_LAYERS),
		target_issuer: z.string().openapi({ description: "An employee layer's issuer (`iss`); '' for other layers." }),
		target: z.string(),
		mode: z.enum(POLICY_MODES),
		burst_limit: z.number().nullable(),
		burst_window_seconds: z.number().nullable(),
		daily_limit: z.number().nullable(),
		distinct_limit: z.number().nullable(),
		ring_threshold: z.number().nullable(),
		depot_daily_budget: z.number().nullable(),
		lookup_limit: z.number().nullable(),
		lookup_window_seconds: z.number().nullable(),
		lookup_daily_limit: z.number().nullable(),
		miss_limit: z.number().nullable(),
		refusal_limit: z.number().nullable(),
		require_active_leg: z.number().int().nullable(),
		leg_grace_seconds: z.number().int().nullable(),
		stale_window_seconds: z.number().int().nullable(),
		case_limit: z.number().int().nullable(),
		plaintext_phone_limit: z.number().int().nullable(),
		call_burst_limit: z.number().int().nullable(),
		call_burst_window_seconds: z.number().int().nullable(),
		call_daily_limit: z.number().int().nullable(),
		call_distinct_limit: z.number().int().nullable(),
		version: z.number().int(),
		updated_by: z.string(),
		updated_at: WireTime("When the layer last changed; the built-in default reads 1970-01-01."),
	})
	.openapi("Policy");

export const LayerParams = z.object({
	layer: z.enum(["role", "depot", "employee"]).openapi({ param: { name: "layer", in: "path" } }),
	target: z
		.string()
		.regex(/^[A-Za-z0-9._:@-]{1,128}$/, "must be 1–128 letters, digits or . _ : @ -")
		.openapi({ param: { name: "target", in: "path" }, description: "A role (courier, clerk, supervisor, service), a depot id or an employee sub." }),
});

export const LayerIssuerQuery = z.strictObject({ issuer: issuerQueryField() });

export const EffectiveQuery = z.strictObject({
	subject: z.string().min(1).max(128),
	issuer: issuerQueryField(),
	role: z.enum(ROLES).optional().openapi({ description: "Omit for a service principal." }),
	depot: z.string().min(1).max(64).optional(),
});

export const ReasonInput = z.strictObject({ reason: z.string().min(1).max(200) }).openapi("Reason");

export const SubjectParam = z.object({
	subject: z
		.string()
		.min(1)
		.max(128)
		.openapi({ param: { name: "subject", in: "path" } }),
});

export const KindQuery = z.strictObject({ kind: z.enum(PRINCIPAL_KINDS).default("employee"), issuer: issuerQueryField() });

const Role = z.enum(ROLES);
const Depot = z.string().min(1).max(64);

export const ListQuery = z.strictObject({ status: z.enum(PRINCIPAL_STATUSES).optional(), depot: Depot.optional() });

export const StatusQuery = z.strictObject({
	kind: z.enum(PRINCIPAL_KINDS).default("employee"),
	issuer: issuerQueryField(),
	role: Role.optional().openapi({ description: "The employee's role; by default the one their latest audit entry names." }),
	depot: Depot.optional(),
});
