import { type RateLimitState, rateLimitsOf, retryAfterSeconds } from "./rate-limit.ts";
import type { components } from "./vault-api.ts";

/** The problem details object (RFC 9457) as the vault's document types it. */
export type Problem = components["schemas"]["Problem"];

const STANDARD_MEMBERS = new Set(["type", "title", "status", "detail", "instance"]);

/**
 * A refusal or failure of the vault, thrown by the client's methods: the problem's `type` (a
 * stable URI such as `/problems/quota-exceeded`, to branch on), `title`, `status`, `detail` (what
 * to do next) and its extension members (`limit`, `errors`, `reason`, …), with what the answer's
 * headers said about retrying.
 */
export class VaultProblem extends Error {
	readonly type: string;
	readonly title: string;
	readonly status: number;
	readonly detail: string | undefined;
	readonly instance: string | undefined;
	/** Every member beyond the five of RFC 9457 §3.1. */
	readonly extensions: Readonly<Record<string, unknown>>;
	/** The problem object as received. */
	readonly problem: Problem;
	/** `Retry-After`, in seconds, on 429 and 503. */
	readonly retryAfterSeconds: number | undefined;
	/** The RateLimit fields of the answer (a refused lookup or reveal carries them). */
	readonly rateLimits: readonly RateLimitState[];

	constructor(problem: Problem, headers: Headers = new Headers()) {
		super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
		this.name = "VaultProblem";
		this.problem = problem;
		this.type = problem.type;
		this.title = problem.title;
		this.status = problem.status;
		this.detail = problem.detail ?? undefined;
		this.instance = problem.instance ?? undefined;
		this.extensions = Object.fromEntries(Object.entries(problem).filter(([member]) => !STANDARD_MEMBERS.has(member)));
		this.retryAfterSeconds = retryAfterSeconds(headers);
		this.rateLimits = rateLimitsOf(headers);
	}

	/** The problem of a failed answer, whether or not its body is a problem object (a proxy's 502 is not). */
	static of(response: Response, body: unknown): VaultProblem {
		const problem: Problem = isProblem(body) ? body : { type: "about:blank", title: response.statusText || `HTTP ${response.status}`, status: response.status };
		return new VaultProblem(problem, response.headers);
	}

	/** Whether the problem's `type` is the vault's `/problems/{slug}` (compared by slug, whatever origin the URI carries). */
	is(slug: string): boolean {
		return this.type === `/problems/${slug}` || this.type.endsWith(`/problems/${slug}`);
	}
}

function isProblem(body: unknown): body is Problem {
	if (typeof body !== "object" || body === null) return false;
	const { type, title, status } = body as Record<string, unknown>;
	return typeof type === "string" && typeof title === "string" && typeof status === "number";
}
