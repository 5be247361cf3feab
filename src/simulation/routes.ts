import { createRoute } from "@hono/zod-openapi";
import { forgedEntriesForRead } from "../audit/forged-entries";
import { RecordedAsks } from "../audit/recorded-asks";
import { RecordedCalls } from "../audit/recorded-calls";
import { layerIssuer } from "../http/issuer-query";
import { jsonBody } from "../http/json-body";
import { authenticatedErrors, bodyErrors, jsonBodyOf, jsonResponse } from "../http/openapi-responses";
import { opsOnly } from "../http/ops";
import { type FieldError, ProblemError } from "../http/problem";
import { createRouter } from "../http/router";
import { wireTime } from "../http/wire-time";
import { DAY_SECONDS, layerErrors, layerInputOf, layerKey, type PolicyRow } from "../limits/policy";
import { replay } from "./replay";
import { SimulationInput, SimulationView } from "./schemas";

/** Recorded asks one simulation replays at most (window and warm-up day together). */
export const MAX_REPLAYED_ASKS = 100_000;
/** Recorded calls one simulation replays at most, beside the asks. */
export const MAX_REPLAYED_CALLS = 100_000;
/** Principals named in the answer, most refused first. */
const PRINCIPAL_ROWS = 200;

const TARGET = /^[A-Za-z0-9._:@-]{1,128}$/;

export const simulationRoutes = createRouter();

simulationRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		summary: "What-if: the recorded asks of the last 1–14 days replayed with proposed layers beside today's",
		description: `Replays every reveal ask and call the audit log recorded in the last \`days\` (optionally of one \`depot\`) through the limiter's own decision code, once with today's layers and once with today's layers changed by \`layers\` (nothing is saved), and answers how many asks (and, under \`calls\`, calls) each would refuse and why, which principals would be refused or flagged and how often, and per role the distribution of daily use with a daily limit above honest use. \`current.disagreements\` counts asks whose replay under today's layers differs from what was recorded (the layers changed in the window): 0 means the replay is the vault's own record.

Entries the audit witness judged forged as they were sealed are not replayed (503 without its word).

Bounded work: the witness's list of forged entries and three D1 reads (the asks of the window and one warm-up day before it, index \`audit_log_asks_at\`, or \`audit_log_asks_depot_at\` with \`depot\`; the calls of the same days, index \`audit_log_calls_at\`, or \`audit_log_calls_depot_at\` with \`depot\`; and the window's suspensions and reinstatements), at most ${MAX_REPLAYED_ASKS.toLocaleString("en")} asks and ${MAX_REPLAYED_CALLS.toLocaleString("en")} calls (more is a 422: fewer days, or one depot), two decisions per ask and per call. At the simulated carrier's traffic (about 92,000 honest asks a day over 20 depots, 4,600 a depot), 14 days and the warm-up of one depot are about 69,000 asks, and about as many calls (a courier calls each parcel): measured 8.2 s of CPU for both decisions of each, and 15 s at the bounds (100,000 asks and 100,000 calls; \`bench/policy-replay.ts\`), within a paid Worker's default 30 s CPU limit. A whole carrier's fortnight is past the bound: simulate it depot by depot.`,
		tags: ["ops"],
		middleware: [opsOnly(), jsonBody()] as const,
		request: { body: jsonBodyOf(SimulationInput) },
		responses: {
			200: jsonResponse("Both outcomes, side by side.", SimulationView),
			...bodyErrors,
			...authenticatedErrors,
		},
	}),
	async (c) => {
		const input = c.req.valid("json");
		const services = c.var.services;
		const principal = c.get("principal");
		const now = Date.now();
		const errors: FieldError[] = [];
		const proposed: PolicyRow[] = [];
		const seen = new Set<string>();
		input.layers.forEach((given, i) => {
			const { layer, target, issuer, ...rest } = given;
			const at = `/layers/${i}`;
			if (layer === "default" ? target !== "" : !TARGET.test(target)) {
				errors.push({
					pointer: `${at}/target`,
					code: "invalid_format",
					message: layer === "default" ? "the default layer has no target" : "must be 1–128 letters, digits or . _ : @ -",
				});
				return;
			}
			const values = layerInputOf(rest);
			errors.push(...layerErrors(layer, target, values).map((error) => ({ ...error, pointer: `${at}${error.pointer}` })));
			let targetIssuer: string;
			try {
				targetIssuer = layerIssuer(services.issuers, layer, issuer);
			} catch {
				errors.push({
					pointer: `${at}/issuer`,
					code: "invalid_value",
					message: layer === "employee" ? "is not a trusted issuer" : "only employee layers take an issuer",
				});
				return;
			}
			const key = layerKey(layer, targetIssuer, target);
			if (seen.has(key)) errors.push({ pointer: at, code: "custom", message: "the same layer is proposed twice" });
			seen.add(key);
			proposed.push({ layer, target_issuer: targetIssuer, target, ...values, version: 0, updated_by: principal.subject, updated_at: now });
		});
		if (errors.length > 0)
			throw new ProblemError("validation-failed", { detail: "A proposed layer breaks a policy rule; see errors.", extensions: { errors } });

		const from = now - input.days * DAY_SECONDS * 1000;
		const warmUp = from - DAY_SECONDS * 1000;
		// What the log recorded, less what the witness judged forged: a forged ask replays as nobody's.
		const forged = await forgedEntriesForRead(c.env);
		const store = new RecordedAsks(c.env.DB, forged);
		const [asks, calls, changes, today] = await Promise.all([
			store.between(warmUp, now + 1, input.depot, MAX_REPLAYED_ASKS + 1),
			new RecordedCalls(c.env.DB, forged).between(warmUp, now + 1, input.depot, MAX_REPLAYED_CALLS + 1),
			store.statusChanges(warmUp, now + 1),
			// Today's layers as stored now, not an isolate's cached copy.
			services.policyStore.all(),
		]);
		if (asks.length > MAX_REPLAYED_ASKS) {
			throw new ProblemError("validation-failed", {
				detail: `More than ${MAX_REPLAYED_ASKS.toLocaleString("en")} recorded asks in that window: simulate fewer days, or one depot.`,
				extensions: { errors: [{ pointer: "/days", code: "too_big", message: `the window holds more than ${MAX_REPLAYED_ASKS} recorded asks` }] },
			});
		}
		if (calls.length > MAX_REPLAYED_CALLS) {
			throw new ProblemError("validation-failed", {
				detail: `More than ${MAX_REPLAYED_CALLS.toLocaleString("en")} recorded calls in that window: simulate fewer days, or one depot.`,
				extensions: { errors: [{ pointer: "/days", code: "too_big", message: `the window holds more than ${MAX_REPLAYED_CALLS} recorded calls` }] },
			});
		}
		const changed = new Map(proposed.map((row) => [layerKey(row.layer, row.target_issuer, row.target), row]));
		const withProposed = [...today.filter((row) => !changed.has(layerKey(row.layer, row.target_issuer, row.target))), ...proposed];
		const result = replay(asks, changes, today, withProposed, from, now, calls);
		const outcome = (o: { refused: number; byReason: Record<string, number>; flagged: number }) => ({
			refused: o.refused,
			by_reason: o.byReason,
			flagged: o.flagged,
		});
		const named = result.principals
			.filter((p) => p.current.refused + p.proposed.refused + p.current.flagged + p.proposed.flagged + p.calls.current + p.calls.proposed > 0)
			// Whom the change hits first: most asks refused beyond what today's layers refuse.
			.sort(
				(a, b) =>
					b.proposed.refused - b.current.refused - (a.proposed.refused - a.current.refused) ||
					b.proposed.refused - a.proposed.refused ||
					b.calls.proposed - b.calls.current - (a.calls.proposed - a.calls.current) ||
					b.proposed.flagged - a.proposed.flagged,
			)
			.slice(0, PRINCIPAL_ROWS);
		return c.json(
			{
				from: wireTime(from),
				to: wireTime(now),
				days: input.days,
				depot: input.depot ?? null,
				asks: result.asks,
				recorded: result.recorded,
				current: { ...outcome(result.current), disagreements: result.current.disagreements },
				proposed: outcome(result.proposed),
				principals: named.map((p) => ({ ...p, issuer_alias: services.issuers.aliasOf(p.issuer) })),
				roles: result.roles.map((role) => ({
					role: role.role,
					days: role.days,
					p50: role.p50,
					p90: role.p90,
					p99: role.p99,
					max: role.max,
					honest: role.honest,
					suggested_daily_limit: role.suggestedDailyLimit,
				})),
				calls: {
					calls: result.calls.calls,
					recorded: result.calls.recorded,
					current: outcome(result.calls.current),
					proposed: outcome(result.calls.proposed),
				},
				bound: { max_asks: MAX_REPLAYED_ASKS, asks_read: asks.length, max_calls: MAX_REPLAYED_CALLS, calls_read: calls.length },
			},
			200,
		);
	},
);
