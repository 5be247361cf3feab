import { z } from "@hono/zod-openapi";
import type { RuleStanding } from "./decide";
import { LIMIT_KINDS, POLICY_LAYERS, POLICY_MODES } from "./policy";

export const StandingView = z
	.object({
		kind: z.enum(LIMIT_KINDS),
		limit: z.number().int(),
		window_seconds: z.number().int(),
		used: z.number().int(),
		remaining: z.number().int(),
		reset_seconds: z.number().int().openapi({ description: "Seconds until the window has room again, or is wholly fresh." }),
		mode: z.enum(POLICY_MODES),
		layer: z.enum(POLICY_LAYERS),
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

/** What employees see of their own limits: not which layer a limit comes from (ops may tighten one quietly). */
export const OwnStandingView = StandingView.omit({ mode: true, layer: true, target: true }).openapi("OwnLimitStanding");

export function ownStandingView(standing: RuleStanding): z.infer<typeof OwnStandingView> {
	const { mode: _mode, layer: _layer, target: _target, ...own } = standingView(standing);
	return own;
}
