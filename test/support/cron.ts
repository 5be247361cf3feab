import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Env } from "../../src/env";
import worker from "../../src/index";

/**
 * Runs the scheduled handler as Cron would, at `scheduledTime`, optionally with some variables
 * changed, and waits for what it left running after it returned (`waitUntil`).
 */
export async function runCron(cron: "* * * * *" | "17 * * * *", scheduledTime = Date.now(), withEnv: Env = env): Promise<void> {
	const ctx = createExecutionContext();
	try {
		await worker.scheduled(createScheduledController({ scheduledTime, cron }), withEnv, ctx);
	} finally {
		await waitOnExecutionContext(ctx);
	}
}
