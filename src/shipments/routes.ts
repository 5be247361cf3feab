import { createRoute, z } from "@hono/zod-openapi";
import { type Admits, authorize } from "../http/auth";
import { executionContextOf } from "../http/execution-context";
import { jsonBody } from "../http/json-body";
import { authenticatedErrors, bodyErrors, conflict, jsonBodyOf, jsonResponse, unprocessable } from "../http/openapi-responses";
import { opsOnly } from "../http/ops";
import { createRouter } from "../http/router";
import { idempotencyKeyFrom } from "../records/create";
import { isOpen, type Leg } from "./legs";
import { reportShipmentEvents } from "./report-events";
import { LegList, ShipmentEventsAccepted, ShipmentEventsInput, ShipmentIdParam } from "./schemas";

const IdempotencyHeader = z.object({
	"idempotency-key": z.string().optional().openapi({ description: "Retries with the same key and body return the first response; a different body is 422." }),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Who may report shipment events, shared with the Workers RPC entrypoint (src/rpc/). */
export const SHIPMENT_EVENTS_ADMITS: Admits = { service: ["records:write"] };

export const shipmentEventRoutes = createRouter();

shipmentEventRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		summary: "Report up to 1000 shipment events, all or nothing: they open and close the legs that make reveals legitimate",
		description:
			"DESIGN \"Reveals follow the work\". out_for_delivery {courier, depot?} opens (or moves) the recipient's delivery leg and assigns the recipient record to that courier; delivery_attempted keeps it open; delivered closes it after the grace period; pickup_scheduled {courier} / picked_up open and close the sender's pickup leg; return_started {courier?} / returned open and close a return leg over both parties; cancelled closes every leg at once. Events may arrive late and out of order: legs follow the events sorted by `at`. One audit entry per request, with shipment ids and event types.",
		tags: ["shipments"],
		middleware: [authorize(SHIPMENT_EVENTS_ADMITS), jsonBody()] as const,
		request: { headers: IdempotencyHeader, body: jsonBodyOf(ShipmentEventsInput) },
		responses: {
			200: jsonResponse("Recorded; legs recomputed.", ShipmentEventsAccepted),
			...bodyErrors,
			...authenticatedErrors,
			...conflict("Other events for the same shipments kept arriving at once; retry."),
			...unprocessable(
				"Validation failed (an unknown shipment is named by its pointer, /events/<i>/shipment_id), or the Idempotency-Key was used with another body.",
			),
		},
	}),
	async (c) => {
		const call = { principal: c.get("principal"), input: c.req.valid("json"), idempotencyKey: idempotencyKeyFrom(c.req.header("Idempotency-Key")) };
		const result = await reportShipmentEvents(c.var.services, c.env, call, Date.now(), executionContextOf(c));
		if (result.replayed) c.header("Idempotent-Replayed", "true");
		return c.json({ accepted: result.accepted, shipments: result.shipments }, 200);
	},
);

export const shipmentRoutes = createRouter();

function legView(leg: Leg, now: number) {
	return {
		kind: leg.kind,
		parties: leg.parties,
		courier: leg.courier?.subject ?? null,
		courier_issuer: leg.courier?.issuer ?? null,
		depot: leg.depot,
		opened_at: iso(leg.openedAt) as string,
		closed_at: iso(leg.closedAt),
		close_after: iso(leg.closeAfter),
		open: isOpen(leg, now),
		at: iso(leg.at) as string,
	};
}

shipmentRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{shipment_id}/legs",
		summary: "The legs of a shipment, oldest first (ops): who held which work when; no contact data",
		tags: ["shipments"],
		middleware: [opsOnly()] as const,
		request: { params: ShipmentIdParam },
		responses: {
			200: jsonResponse("The legs; an empty list for a shipment without events.", LegList),
			...authenticatedErrors,
			...unprocessable("Not a shipment id."),
		},
	}),
	async (c) => {
		const { shipment_id } = c.req.valid("param");
		const now = Date.now();
		const legs = await c.var.services.legs.legsOf(shipment_id);
		return c.json({ shipment_id, legs: legs.map((leg) => legView(leg, now)) }, 200);
	},
);
