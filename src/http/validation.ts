import type { z } from "zod";
import { type FieldError, ProblemError } from "./problem";

/** JSON Pointer (RFC 6901 §3) of a schema path. */
function pointer(path: readonly PropertyKey[]): string {
	return path.map((segment) => `/${String(segment).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/**
 * Names what is wrong with each field in words of our own: zod's messages can quote the input,
 * and a problem response must never echo a submitted value (it may be a customer's phone).
 */
function describe(issue: z.core.$ZodIssue): FieldError[] {
	const at = pointer(issue.path);
	switch (issue.code) {
		case "invalid_type":
			return [{ pointer: at, code: issue.code, message: issue.message.endsWith("received undefined") ? "is required" : `must be of type ${issue.expected}` }];
		case "too_big":
			return [
				{
					pointer: at,
					code: issue.code,
					message: `must be at most ${issue.maximum}${issue.origin === "string" ? " characters" : issue.origin === "array" ? " items" : ""}`,
				},
			];
		case "too_small":
			return [
				{
					pointer: at,
					code: issue.code,
					message: `must be at least ${issue.minimum}${issue.origin === "string" ? " characters" : issue.origin === "array" ? " items" : ""}`,
				},
			];
		case "unrecognized_keys":
			return issue.keys.map((key) => ({ pointer: pointer([...issue.path, key]), code: issue.code, message: "is not a known field" }));
		case "invalid_value":
			return [{ pointer: at, code: issue.code, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` }];
		case "invalid_format":
			return [{ pointer: at, code: issue.code, message: "has an invalid format" }];
		case "custom":
			// Custom messages are written by this codebase's schemas and never include the input.
			return [{ pointer: at, code: issue.code, message: issue.message }];
		default:
			return [{ pointer: at, code: issue.code, message: "is invalid" }];
	}
}

export function validationFailed(error: z.ZodError): ProblemError {
	return fieldsFailed(error.issues.flatMap(describe));
}

/** The 422 problem for field errors, whether a schema or a rule beyond it found them. */
export function fieldsFailed(errors: FieldError[]): ProblemError {
	return new ProblemError("validation-failed", {
		detail: `${errors.length} field${errors.length === 1 ? "" : "s"} failed validation: ${[...new Set(errors.map((e) => e.pointer || "/"))].join(", ")}. Correct them as errors says and send again.`,
		extensions: { errors },
	});
}
