import { z } from "@hono/zod-openapi";
import { issuerQueryField } from "../http/issuer-query";
import { principalFields } from "../http/principal-fields";
import { WireTime } from "../http/wire-time";
import { POLICY_LAYERS } from "../limits/policy";
import { PolicyInput } from "../limits/schemas";

/** A layer as PUT /v1/policies takes it, with what the path would name: layer, target and (employee layers) issuer. */
export const ProposedLayer = PolicyInput.safeExtend({
	layer: z.enum(POLICY_LAYERS),
	target: z
		.string()
		.max(128)
		.default("")
		.openapi({ description: "A role (courier, clerk, supervisor, service), a depot id or an employee sub; '' (or absent) for the default layer." }),
	issuer: issuerQueryField(),
}).openapi("ProposedPolicyLayer");

export const SimulationInput = z
	.strictObject({
		layers: z
			.array(ProposedLayer)
			.min(1)
			.max(20)
			.openapi({ description: "Layers that replace today's of the same layer and target (or are added); every other layer stays as it is." }),
		days: z.number().int().min(1).max(14).default(7).openapi({ description: "The last 1–14 days of recorded asks." }),
		depot: z.string().min(1).max(64).optional().openapi({ description: "Only the asks of employees of this depot." }),
	})
	.openapi("PolicySimulationRequest");

const Outcome = z.object({
	refused: z.number().int(),
	by_reason: z
		.record(z.string(), z.number().int())
		.openapi({ description: "Refusals by the reason the limiter names: `burst`, `daily`, `distinct`, `suspended`, `honeytoken`, `out_of_scope`, …" }),
	flagged: z
		.number()
		.int()
		.openapi({ description: "Asks a report-only rule would refuse, or that would raise an alert (a quota reached, probing, a honeytoken)." }),
});

const Use = { days: z.number().int(), p50: z.number().int(), p90: z.number().int(), p99: z.number().int(), max: z.number().int() };

export const SimulationView = z
	.object({
		from: WireTime("Start of the replayed window."),
		to: WireTime("End of the replayed window (now)."),
		days: z.number().int(),
		depot: z.string().nullable(),
		asks: z.number().int().openapi({ description: "Recorded asks of the window the limiter decided, replayed under both." }),
		recorded: z.object({ granted: z.number().int(), refused: z.number().int() }).openapi({ description: "What the vault answered them." }),
		current: Outcome.extend({
			disagreements: z
				.number()
				.int()
				.openapi({ description: "Asks whose replay under today's layers is not what was recorded (the layers changed in the window)." }),
		}).openapi({ description: "Today's layers." }),
		proposed: Outcome.openapi({ description: "Today's layers with the proposed ones." }),
		principals: z
			.array(
				z.object({
					...principalFields,
					asks: z.number().int(),
					current: z.object({ refused: z.number().int(), flagged: z.number().int() }),
					proposed: z.object({ refused: z.number().int(), flagged: z.number().int() }),
					calls: z
						.object({ replayed: z.number().int(), current: z.number().int(), proposed: z.number().int() })
						.openapi({ description: "Their calls of the window, and how many each set of layers refuses." }),
				}),
			)
			.openapi({
				description:
					"Principals refused or flagged under either; first those the proposal refuses most beyond today's layers, then the most refused; at most 200.",
			}),
		roles: z
			.array(
				z.object({
					role: z.string(),
					...Use,
					honest: z
						.object(Use)
						.openapi({ description: "Over employees detection did not flag in the window (no honeytoken, no out-of-scope ask, no suspension)." }),
					suggested_daily_limit: z.number().int().nullable().openapi({
						description: "The larger of 1.25 × the honest p99 and the honest maximum, rounded up to 10: no honest day would have been refused by it.",
					}),
				}),
			)
			.openapi({ description: "Per role, in-scope asks per employee and day (days with asks only), granted or refused by a limit." }),
		calls: z
			.object({
				calls: z.number().int().openapi({ description: "Recorded calls of the window the limiter decided, replayed under both." }),
				recorded: z.object({ granted: z.number().int(), refused: z.number().int() }).openapi({ description: "What the vault answered them." }),
				current: Outcome.openapi({ description: "Today's call limits." }),
				proposed: Outcome.openapi({ description: "The call limits with the proposed layers (`call_burst`, `call_daily`, `call_distinct` in `by_reason`)." }),
			})
			.openapi({
				description:
					"Calls (DESIGN \"Calls instead of numbers\") replayed beside the asks through the call decision, each under its side's call limits; a person's calls and reveals share one suspension and one probe count, as in their limiter.",
			}),
		bound: z.object({
			max_asks: z.number().int(),
			asks_read: z.number().int().openapi({ description: "Asks read, the warm-up day before the window included." }),
			max_calls: z.number().int(),
			calls_read: z.number().int().openapi({ description: "Calls read (granted, refused and failed bindings), the warm-up day included." }),
		}),
	})
	.openapi("PolicySimulation");
