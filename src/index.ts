import { app } from "./app";
import type { Env } from "./env";
import { IdempotencyStore } from "./idempotency/store";

export default {
	fetch: app.fetch,

	/** Hourly housekeeping (wrangler.toml `triggers.crons`). */
	async scheduled(controller, env) {
		const purged = await new IdempotencyStore(env.DB).purgeExpired(controller.scheduledTime);
		console.log(JSON.stringify({ event: "idempotency_keys_purged", count: purged }));
	},
} satisfies ExportedHandler<Env>;
