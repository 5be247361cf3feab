import type { z } from "@hono/zod-openapi";
import type { Principal } from "../auth/principal";
import type { Env } from "../env";
import { ProblemError } from "../http/problem";
import type { Services } from "../http/services";
import { IdempotencyStore } from "../idempotency/store";
import { courierIssuerOf } from "../records/courier-issuer";
import { endCallsAfterEvents } from "./end-calls-after-events";
import { type IncomingEvent, recordEvents } from "./record-events";
import type { ShipmentEventsInput } from "./schemas";

/** Service clocks drift; an event further ahead than this is a bug in the sender, not news. */
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

export interface ReportCall {
	principal: Principal;
	input: z.infer<typeof ShipmentEventsInput>;
	idempotencyKey: string | undefined;
}

/**
 * Records a request's shipment events, all or nothing, at most once per Idempotency-Key, and ends
 * the calls of the legs they closed once the answer is out (`ctx`): the one path for
 * `POST /v1/shipment-events` and the Workers RPC entrypoint, so both unbind at once.
 */
export async function reportShipmentEvents(services: Services, env: Env, call: ReportCall, now: number, ctx: Pick<ExecutionContext, "waitUntil"> | undefined) {
	const events: IncomingEvent[] = call.input.events.map((event, index) => {
		const at = event.at === undefined ? now : Date.parse(event.at);
		if (at > now + FUTURE_TOLERANCE_MS) {
			throw new ProblemError("validation-failed", {
				detail: "An event is dated in the future.",
				extensions: { errors: [{ pointer: `/events/${index}/at`, code: "invalid_value", message: "is more than 5 minutes ahead of the vault's clock" }] },
			});
		}
		return {
			shipmentId: event.shipment_id,
			type: event.type,
			courier:
				event.courier === undefined
					? null
					: { subject: event.courier, issuer: courierIssuerOf(services.issuers, event.courier_issuer, `/events/${index}/courier_issuer`) },
			depot: event.depot ?? null,
			at,
		};
	});
	const result = await recordEvents(
		{ legs: services.legs, idempotency: new IdempotencyStore(env.DB), keyring: await services.keyring },
		{ principal: call.principal, idempotencyKey: call.idempotencyKey, body: call.input, events },
		now,
	);
	// A replay changed no leg: the first attempt under its key already ended what it closed.
	if (!result.replayed) endCallsAfterEvents(env, ctx, result.shipments, now);
	return result;
}
