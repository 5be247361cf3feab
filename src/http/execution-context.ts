/**
 * The request's ExecutionContext, or undefined when the app runs without one
 * (`app.fetch(request, env)`): Hono throws on `c.executionCtx` then, and no work can outlive the
 * response, so none is scheduled.
 */
export function executionContextOf(c: { readonly executionCtx: Pick<ExecutionContext, "waitUntil"> }): Pick<ExecutionContext, "waitUntil"> | undefined {
	try {
		return c.executionCtx;
	} catch {
		return undefined;
	}
}
