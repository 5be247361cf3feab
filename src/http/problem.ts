import { type ProblemSlug, problemTypes, problemTypeUri } from "./problem-types";

/** One invalid field, named by JSON Pointer (RFC 6901); never carries the submitted value. */
export interface FieldError {
	pointer: string;
	code: string;
	message: string;
}

export interface ProblemOptions {
	detail?: string;
	headers?: Record<string, string>;
	/** Extension members (RFC 9457 §3.2): never plaintext contact data or secrets. */
	extensions?: Record<string, unknown>;
	cause?: unknown;
}

/**
 * The one error type the HTTP layer turns into `application/problem+json`. Anything else that
 * reaches the error handler is an internal error and is reported without its message.
 */
export class ProblemError extends Error {
	readonly slug: ProblemSlug;
	readonly status: number;
	readonly detail: string | undefined;
	readonly headers: Record<string, string>;
	readonly extensions: Record<string, unknown>;

	constructor(slug: ProblemSlug, options: ProblemOptions = {}) {
		super(options.detail ?? problemTypes[slug].title, { cause: options.cause });
		this.name = "ProblemError";
		this.slug = slug;
		this.status = problemTypes[slug].status;
		this.detail = options.detail;
		this.headers = options.headers ?? {};
		this.extensions = options.extensions ?? {};
	}
}

/** The problem details object (RFC 9457 §3): the standard members over the extensions, which cannot override them. */
export function problemBody(error: ProblemError, instance?: string): ProblemBody {
	const { title, status } = problemTypes[error.slug];
	const body: ProblemBody = {
		...error.extensions,
		type: problemTypeUri(error.slug),
		title,
		status,
	};
	if (error.detail !== undefined) body.detail = error.detail;
	if (instance !== undefined) body.instance = instance;
	return body;
}

export interface ProblemBody {
	type: string;
	title: string;
	status: number;
	detail?: string;
	instance?: string;
	[member: string]: unknown;
}

export function problemResponse(error: ProblemError, instance?: string): Response {
	const { status } = problemTypes[error.slug];
	return new Response(JSON.stringify(problemBody(error, instance)), {
		status,
		headers: {
			"Content-Type": "application/problem+json",
			"Cache-Control": "no-store",
			...error.headers,
		},
	});
}
