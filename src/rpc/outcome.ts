import type { ProblemBody } from "../http/problem";

/**
 * What every RPC method answers: a value or a problem, never a thrown error, because an error
 * crossing Workers RPC keeps only its message and the caller could not tell a 429 from a 404.
 * `headers` carries what HTTP would have said in headers: `RateLimit-Policy` and `RateLimit` on
 * a lookup, `Retry-After` on a 429.
 */
export type RpcOutcome<T> = { ok: true; value: T; headers: Record<string, string> } | { ok: false; problem: ProblemBody; headers: Record<string, string> };
