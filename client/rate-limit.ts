/**
 * The vault's rate-limit fields, read as draft-ietf-httpapi-ratelimit-headers-11 defines them:
 * `RateLimit-Policy: "burst";q=30;w=600, "daily";q=400;w=86400` (§3: quota `q`, window `w` in
 * seconds) and `RateLimit: "burst";r=12;t=240, …` (§4: remaining `r`, seconds to reset `t`), one
 * item per limit the vault enforces on the call, as src/limits/rate-limit-headers.ts writes them.
 */

export interface RateLimitState {
	/** The limit's name: `burst`, `daily`, `distinct`, `lookup_burst`, `lookup_daily`, `misses`, … */
	name: string;
	/** Requests left in the current window (`r`). */
	remaining: number;
	/** Seconds until the window resets (`t`). */
	resetSeconds: number;
	/** The quota (`q`) and window (`w`) from RateLimit-Policy, when it names this limit. */
	quota?: number;
	windowSeconds?: number;
}

/** One list member of a structured field (RFC 9651 §3.1): a string item and its integer parameters. */
interface Member {
	name: string;
	params: Map<string, number>;
}

/**
 * Parses the subset of RFC 9651 lists the draft uses: members separated by commas, each a quoted
 * string (or token) with `;key=integer` parameters. A member that does not parse is skipped, not
 * guessed at: a field a client cannot read tells it nothing.
 */
function members(field: string | null): Member[] {
	if (!field) return [];
	const parsed: Member[] = [];
	const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z*][A-Za-z0-9_.:%*/-]*))((?:\s*;\s*[a-z*][a-z0-9_.*-]*=-?\d+)*)\s*(?:,|$)/gy;
	for (let match = pattern.exec(field); match !== null && match[0] !== ""; match = pattern.exec(field)) {
		const name = match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : (match[2] ?? "");
		const params = new Map<string, number>();
		for (const param of (match[3] ?? "").matchAll(/;\s*([a-z*][a-z0-9_.*-]*)=(-?\d+)/g)) params.set(param[1] ?? "", Number(param[2]));
		parsed.push({ name, params });
	}
	return parsed;
}

/** Every limit the answer reports, its policy joined in by name; empty when the call is not limited. */
export function rateLimitsOf(headers: Headers): RateLimitState[] {
	const policies = new Map(members(headers.get("RateLimit-Policy")).map((member) => [member.name, member.params]));
	return members(headers.get("RateLimit")).flatMap(({ name, params }) => {
		const remaining = params.get("r");
		const resetSeconds = params.get("t");
		if (remaining === undefined || resetSeconds === undefined) return [];
		const state: RateLimitState = { name, remaining, resetSeconds };
		const quota = policies.get(name)?.get("q");
		const windowSeconds = policies.get(name)?.get("w");
		if (quota !== undefined) state.quota = quota;
		if (windowSeconds !== undefined) state.windowSeconds = windowSeconds;
		return [state];
	});
}

/** The limit closest to refusing: the smallest share of its quota left (fewest remaining where the policy is not given), then the latest reset. */
export function tightestLimit(limits: readonly RateLimitState[]): RateLimitState | undefined {
	const left = (limit: RateLimitState) => (limit.quota ? limit.remaining / limit.quota : limit.remaining);
	return [...limits].sort((a, b) => left(a) - left(b) || b.resetSeconds - a.resetSeconds)[0];
}

/**
 * `Retry-After` in seconds (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), or undefined when
 * absent or unreadable. The draft (§5) gives it precedence over the reset of `RateLimit`.
 */
export function retryAfterSeconds(headers: Headers, now: number = Date.now()): number | undefined {
	const value = headers.get("Retry-After")?.trim();
	if (!value) return undefined;
	if (/^\d+$/.test(value)) return Number(value);
	const at = Date.parse(value);
	return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
