import { retentionDefaultDays, retentionMaxDays } from "../config";
import type { Env } from "../env";
import { fieldsFailed } from "../http/validation";
import { type RetentionPolicy, retentionErrors } from "./retention";

/** The retention rule as configured; a retention above the maximum is a validation failure of its field. */
export function retentionPolicy(env: Env, asked: (number | undefined)[], pointerOf: (index: number) => string): RetentionPolicy {
	const policy = { defaultDays: retentionDefaultDays(env), maxDays: retentionMaxDays(env) };
	const errors = retentionErrors(asked, policy, pointerOf);
	if (errors.length > 0) throw fieldsFailed(errors);
	return policy;
}
