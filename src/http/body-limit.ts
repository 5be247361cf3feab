import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { maxBodyBytes } from "../config";
import type { AppEnv } from "./app-env";
import { ProblemError } from "./problem";

/** Refuses bodies over MAX_BODY_BYTES with 413 before anything parses them, streamed or not. */
export function limitBody(): MiddlewareHandler<AppEnv> {
	return (c, next) => {
		const maxSize = maxBodyBytes(c.env);
		return bodyLimit({
			maxSize,
			onError: () => {
				throw new ProblemError("payload-too-large", {
					detail: `Request bodies are limited to ${maxSize} bytes: split a batch into smaller ones.`,
					extensions: { max_bytes: maxSize },
				});
			},
		})(c, next);
	};
}
