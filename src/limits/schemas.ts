import { z } from "@hono/zod-openapi";

const limit = (max: number, description: string) => z.number().int().min(1).max(max).nullable().optional().openapi({ description });

export const PolicyInput = z
	.strictObject({
		mode: z.enum(["enforce", "report-only"]).openapi({ description: "report-only records what it would refuse and refuses nothing." }),
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
	})
	.refine((input) => (input.burst_limit == null) === (input.burst_window_seconds == null), {
		message: "burst_limit and burst_window_seconds go together",
		path: ["burst_window_seconds"],
	})
	.refine((input) => input.distinct_limit == null || input.daily_limit == null || input.distinct_limit <= input.daily_limit, {
		message: "cannot exceed daily_limit",
		path: ["distinct_limit"],
	})
	.openapi("PolicyInput");

export const PolicyView = z
	.object({
		layer: z.enum(["default", "role", "depot", "employee"]),
		target: z.string(),
		mode: z.enum(["enforce", "report-only"]),
		burst_limit: z.number().nullable(),
		burst_window_seconds: z.number().nullable(),
		daily_limit: z.number().nullable(),
		distinct_limit: z.number().nullable(),
		ring_threshold: z.number().nullable(),
		depot_daily_budget: z.number().nullable(),
		version: z.number().int(),
		updated_by: z.string(),
		updated_at: z.number().int(),
	})
	.openapi("Policy");

export const LayerParams = z.object({
	layer: z.enum(["role", "depot", "employee"]).openapi({ param: { name: "layer", in: "path" } }),
	target: z
		.string()
		.regex(/^[A-Za-z0-9._:@-]{1,128}$/, "must be 1–128 letters, digits or . _ : @ -")
		.openapi({ param: { name: "target", in: "path" }, description: "A role (courier, clerk, supervisor, service), a depot id or an employee sub." }),
});

export const EffectiveQuery = z.strictObject({
	subject: z.string().min(1).max(128),
	role: z.enum(["courier", "clerk", "supervisor"]).optional().openapi({ description: "Omit for a service principal." }),
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

export const KindQuery = z.strictObject({ kind: z.enum(["employee", "service"]).default("employee") });

const Role = z.enum(["courier", "clerk", "supervisor"]);
const Depot = z.string().min(1).max(64);

export const ListQuery = z.strictObject({ status: z.enum(["active", "suspended"]).optional(), depot: Depot.optional() });

export const StatusQuery = z.strictObject({
	kind: z.enum(["employee", "service"]).default("employee"),
	role: Role.optional().openapi({ description: "The employee's role; by default the one their latest audit entry names." }),
	depot: Depot.optional(),
});
