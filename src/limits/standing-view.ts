import { z } from "@hono/zod-openapi";
import type { RuleStanding } from "./decide";

export const StandingView = z
	.object({
		kind: z.enum(["burst", "daily", "distinct"]),
		limit: z.number().int(),
		window_seconds: z.number().int(),
		used: z.number().int(),
		remaining: z.number().int(),
		reset_seconds: z.number().int().openapi({ description: "Seconds until the window has room again, or is wholly fresh." }),
		mode: z.enum(["enforce", "report-only"]),
		layer: z.enum(["default", "role", "depot", "employee"]),
		target: z.string(),
	})
	.openapi("LimitStanding");

/** One enforced limit as the API shows it: the rule and how much of it is used now. */
export function standingView({ rule, used, remaining, resetSeconds }: RuleStanding): z.infer<typeof StandingView> {
	return {
		kind: rule.kind,
		limit: rule.limit,
		window_seconds: rule.windowSeconds,
		used,
		remaining,
		reset_seconds: resetSeconds,
		mode: rule.mode,
		layer: rule.layer,
		target: rule.target,
	};
}
