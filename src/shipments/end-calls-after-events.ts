import { endDueCallsIn } from "../calls/end-calls";
import type { Env } from "../env";

/**
 * A leg these events closed (cancelled, moved to another courier, delivered without grace) ends
 * its calls' bindings (DESIGN "Calls instead of numbers"), after the answer: the courier service
 * does not wait on the telephony provider. What fails here, or closes later at the end of a grace
 * period, the minute cron ends; so does everything when there is no context to wait on.
 */
export function endCallsAfterEvents(env: Env, ctx: Pick<ExecutionContext, "waitUntil"> | undefined, shipments: string[], now: number): void {
	if (ctx === undefined || shipments.length === 0) return;
	ctx.waitUntil(
		endDueCallsIn(env, now, shipments, ctx).catch((error: unknown) => {
			console.warn(JSON.stringify({ event: "call_unbind_after_events_failed", name: (error as Error)?.name }));
		}),
	);
}
