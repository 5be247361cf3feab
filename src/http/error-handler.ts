import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { DecryptionFailedError, UnknownKeyIdError } from "../crypto/errors";
import { raiseKeyMissingAlert } from "../detection/key-missing-alert";
import type { Env } from "../env";
import { classifyD1Error, StorageUnavailableError } from "../storage/d1-errors";
import type { AppEnv } from "./app-env";
import { allowedMethods, type RouteEntry } from "./method-not-allowed";
import { ProblemError, problemResponse } from "./problem";
import type { ProblemSlug } from "./problem-types";

const STATUS_SLUGS: Record<number, ProblemSlug> = {
	400: "bad-request",
	401: "unauthorized",
	403: "forbidden",
	404: "not-found",
	413: "payload-too-large",
	415: "unsupported-media-type",
};

/**
 * The one place errors become responses. Expected failures are ProblemErrors; anything else is
 * logged by name and message (never request data) and answered with a bare 500.
 */
export function handleError(error: Error, c: Context<AppEnv>): Response {
	// The execution context is read only where an alert needs it (app.fetch without one throws on reading it).
	return problemResponse(problemOf(error, { env: c.env, ctx: () => c.executionCtx, path: c.req.path }));
}

/**
 * The problem an error is answered with, over HTTP or over Workers RPC (src/rpc/). `path` names
 * where it happened in the logs: a request path, or the RPC method.
 */
export function problemOf(error: unknown, where: { env: Env; ctx: () => Pick<ExecutionContext, "waitUntil">; path: string }): ProblemError {
	if (error instanceof ProblemError) return error;
	if (!(error instanceof Error)) {
		console.error(JSON.stringify({ event: "unhandled_error", name: typeof error, path: where.path }));
		return internalError();
	}
	if (error instanceof HTTPException && STATUS_SLUGS[error.status]) {
		return new ProblemError(STATUS_SLUGS[error.status] as ProblemSlug, {
			detail: error.status === 400 ? "The request could not be read: check its headers and body against /openapi.json and send it again." : undefined,
		});
	}
	if (error instanceof UnknownKeyIdError) {
		console.error(JSON.stringify({ event: "unknown_key_id", key_id: error.keyId, path: where.path }));
		raiseKeyMissingAlert(where.env, where.ctx(), error.keyId, where.path, Date.now());
		return new ProblemError("key-unavailable", {
			detail: `The record is encrypted under key id ${error.keyId}, which is not in VAULT_KEYRING. Ops are alerted and must restore that key; try again after.`,
			extensions: { key_id: error.keyId },
		});
	}
	if (error instanceof DecryptionFailedError) {
		console.error(JSON.stringify({ event: "decryption_failed", record_id: error.recordId, field: error.field }));
		return new ProblemError("internal-error", {
			detail: "Stored record data failed to authenticate; nothing was revealed. Report it to ops: the record may have been tampered with.",
		});
	}
	if (classifyD1Error(error) instanceof StorageUnavailableError) {
		// Storage is down or overloaded: fail closed, and say so as a 503 the client may retry.
		console.error(JSON.stringify({ event: "storage_unavailable", name: error.name, message: error.message, path: where.path }));
		return new ProblemError("dependency-unavailable", { detail: "Storage is unavailable; nothing was changed or revealed. Try again shortly." });
	}
	console.error(JSON.stringify({ event: "unhandled_error", name: error.name, message: error.message, path: where.path }));
	return internalError();
}

const internalError = () =>
	new ProblemError("internal-error", {
		detail: "The vault failed unexpectedly; nothing about the request is echoed. Try again; if it persists, tell ops the time of the call.",
	});

/**
 * Unmatched requests: a path some route answers under another method is a 405 with Allow; any
 * other is a 404. `routes` is read per request (cheap, and complete once the app is built).
 */
export function handleNotFound(routes: () => readonly RouteEntry[]) {
	return (c: Context<AppEnv>): Response => {
		const allow = allowedMethods(routes(), c.req.path);
		if (allow.length > 0) {
			return problemResponse(
				new ProblemError("method-not-allowed", {
					detail: `${c.req.method} is not answered here; use one of ${allow.join(", ")} (see /openapi.json).`,
					headers: { Allow: allow.join(", ") },
				}),
			);
		}
		return problemResponse(new ProblemError("not-found", { detail: "No such path; /openapi.json lists every operation." }));
	};
}
