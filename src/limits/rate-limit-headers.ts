import type { RuleUsage } from "./decide";

/**
 * RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers-11 §3, §4): one
 * item per enforced limit, named by kind, with quota `q`, window `w`, remaining `r` and reset `t`.
 */
export function rateLimitHeaders(usage: readonly RuleUsage[]): Record<string, string> {
	if (usage.length === 0) return {};
	return {
		"RateLimit-Policy": usage.map(({ rule }) => `"${rule.kind}";q=${rule.limit};w=${rule.windowSeconds}`).join(", "),
		RateLimit: usage.map(({ rule, remaining, resetSeconds }) => `"${rule.kind}";r=${remaining};t=${resetSeconds}`).join(", "),
	};
}
