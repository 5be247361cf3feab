import { deepFreeze } from "./deep-freeze";
import { type EffectivePolicy, type PolicyRow, resolvePolicy } from "./policy";
import type { PolicySubject } from "./policy-layers";

/** Principals remembered per set of layers; past it the memo starts over. */
export const REMEMBERED_PRINCIPALS = 2_000;

const bySet = new WeakMap<readonly PolicyRow[], Map<string, EffectivePolicy>>();

/**
 * `resolvePolicy` for the request path, remembered per set of layers read (the isolate's policy
 * cache hands out one array until it reads again): a courier's every ask resolved the same layers
 * to the same policy. A pure function of (layers, subject), so a remembered answer is the answer;
 * a new read of the layers is a new array and starts afresh. The policy is frozen, deeply: shared
 * between requests, it must not be changed in place.
 */
export function resolvedPolicy(rows: readonly PolicyRow[], subject: PolicySubject): EffectivePolicy {
	let memo = bySet.get(rows);
	if (!memo) {
		memo = new Map();
		bySet.set(rows, memo);
	}
	const key = JSON.stringify([subject.kind, subject.issuer, subject.subject, subject.role ?? null, subject.depot ?? null]);
	const known = memo.get(key);
	if (known) return known;
	if (memo.size >= REMEMBERED_PRINCIPALS) memo.clear();
	const policy = deepFreeze(resolvePolicy(rows, subject));
	memo.set(key, policy);
	return policy;
}
