type Scalar = string | number | boolean | null;
/**
 * What a problem's extension members hold: scalars (`limit`, `reason`, `max_bytes`, `key_id`, …)
 * and lists or objects of scalars (`errors`: `[{pointer, code, message}]`). Not a recursive JSON
 * type: RPC's type mapping would have to unfold it without end.
 */
export type ProblemMember = Scalar | Scalar[] | { [key: string]: Scalar } | { [key: string]: Scalar }[];

/**
 * The problem details object (RFC 9457 §3) as HTTP sends it. Its extension members are typed as
 * what they hold rather than `unknown` because RPC's types drop what they cannot prove serializable: with
 * `unknown`, a caller's type of the failed outcome would vanish.
 */
export interface RpcProblem {
	type: string;
	title: string;
	status: number;
	detail?: string;
	instance?: string;
	[member: string]: ProblemMember | undefined;
}

/**
 * What every RPC method answers: a value or a problem, never a thrown error, because an error
 * crossing Workers RPC keeps only its message and the caller could not tell a 429 from a 404.
 * `headers` carries what HTTP would have said in headers: `RateLimit-Policy` and `RateLimit` on
 * a lookup, `Retry-After` on a 429.
 */
export type RpcOutcome<T> = { ok: true; value: T; headers: Record<string, string> } | { ok: false; problem: RpcProblem; headers: Record<string, string> };
