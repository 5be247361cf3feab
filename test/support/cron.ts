import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Env } from "../../src/env";
import worker from "../../src/index";

/** Runs the scheduled handler as Cron would, at `scheduledTime`, optionally with some variables changed. */
export async function runCron(cron: "* * * * *" | "17 * * * *", scheduledTime = Date.now(), withEnv: Env = env): Promise<void> {
	await worker.scheduled(createScheduledController({ scheduledTime, cron }), withEnv);
}
