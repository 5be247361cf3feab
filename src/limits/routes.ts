import { createRoute, z } from "@hono/zod-openapi";
import { ActivityStore } from "../audit/activity-store";
import { actorOf } from "../audit/actor";
import { forgedEntriesForRead } from "../audit/forged-entries";
import { PRINCIPAL_KINDS } from "../auth/principal";
import { issuerOf, layerIssuer } from "../http/issuer-query";
import { jsonBody } from "../http/json-body";
import { etagHeader, ifMatchRequest } from "../http/openapi-headers";
import { authenticatedErrors, bodyErrors, conflict, jsonBodyOf, jsonResponse, problem, unprocessable } from "../http/openapi-responses";
import { opsOnly } from "../http/ops";
import { checkPreconditions } from "../http/preconditions";
import { ProblemError } from "../http/problem";
import { createRouter } from "../http/router";
import { WireTime, wireTime, wireTimeOrNull } from "../http/wire-time";
import type { LegPolicy } from "../shipments/leg-policy";
import { listPrincipals } from "./employee-listing";
import { reachLimiter } from "./limiter-client";
import {
	DAY_SECONDS,
	layerErrors,
	layerInputOf,
	POLICY_LAYERS,
	POLICY_MODES,
	type PolicyLayer,
	type PolicyRow,
	type Rule,
	type RuleKind,
	resolvePolicy,
} from "./policy";
import { forgetCachedPolicies } from "./policy-store";
import { PRINCIPAL_STATUSES, type PrincipalStatus } from "./principal-status";
import {
	EffectiveQuery,
	KindQuery,
	LayerIssuerQuery,
	LayerParams,
	ListQuery,
	PolicyInput,
	PolicyView,
	ReasonInput,
	StatusQuery,
	SubjectParam,
} from "./schemas";
import { StandingView, standingView } from "./standing-view";

const ops = opsOnly();

/** One resolved rule on the wire: snake_case like every other member. */
const RuleView = z
	.object({
		kind: z
			.string()
			.openapi({ description: "`burst`, `daily`, `distinct`; under `activity`: `lookup_burst`, `lookup_daily`, `misses`, `refusals`; `plaintext_phone`." }),
		limit: z.number().int(),
		window_seconds: z.number().int(),
		mode: z.enum(POLICY_MODES),
		layer: z.enum(POLICY_LAYERS).openapi({ description: "The layer the rule comes from." }),
		target: z.string(),
	})
	.openapi("PolicyRule");

const ruleView = (rule: Rule<RuleKind>) => ({
	kind: rule.kind,
	limit: rule.limit,
	window_seconds: rule.windowSeconds,
	mode: rule.mode,
	layer: rule.layer,
	target: rule.target,
});

/** A layer on the wire: as stored, with its time in wire format. */
const policyView = (row: PolicyRow) => ({ ...row, updated_at: wireTime(row.updated_at) });

/** Whether reveals need live work for this principal (src/shipments/leg-policy.ts), on the wire. */
const LegPolicyView = z
	.object({
		require_active_leg: z.boolean().openapi({ description: "Asks without an open leg are refused (403 `no-active-leg`)." }),
		report_only: z
			.boolean()
			.openapi({ description: "The requirement is on trial: asks it would refuse are granted and their grant records `leg_would_refuse`." }),
		grace_seconds: z.number().int().openapi({ description: "How long a delivered, picked-up or returned leg still allows reveals (the depot's or default)." }),
		stale_window_seconds: z.number().int().openapi({ description: "Asks about legs that closed or moved away this recently are stale, never probing." }),
		case_limit: z.number().int().nullable().openapi({ description: "customer_service reveals per rolling 24 hours; null for no limit of its own." }),
	})
	.openapi("LegPolicy");

const legPolicyView = (legs: LegPolicy) => ({
	require_active_leg: legs.requireActiveLeg,
	report_only: legs.reportOnly,
	grace_seconds: legs.graceSeconds,
	stale_window_seconds: legs.staleWindowSeconds,
	case_limit: legs.caseLimit,
});

export const policyRoutes = createRouter();

policyRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		summary: "Every policy layer",
		tags: ["ops"],
		middleware: [ops] as const,
		responses: { 200: jsonResponse("Layers, as stored.", z.object({ policies: z.array(PolicyView) })), ...authenticatedErrors },
	}),
	async (c) => c.json({ policies: (await c.var.services.policyStore.all()).map(policyView) }, 200),
);

policyRoutes.openapi(
	createRoute({
		method: "get",
		path: "/effective",
		summary: "The limits that apply to one principal, as resolved from the layers",
		tags: ["ops"],
		middleware: [ops] as const,
		request: { query: EffectiveQuery },
		responses: {
			200: jsonResponse(
				"Enforced rules, report-only rules evaluated beside them, the ring threshold, and whether reveals need live work (`legs`).",
				z.object({
					enforced: z.array(RuleView),
					shadow: z.array(RuleView),
					activity: z.object({ enforced: z.array(RuleView), shadow: z.array(RuleView) }),
					ring_threshold: z.number().int(),
					depot_daily_budget: z.number().int(),
					legs: LegPolicyView,
					plaintext_phone: RuleView.openapi({
						description:
							'Plaintext phone reveals for delivery or pickup per 24 hours (DESIGN "Calls instead of numbers"), from the most specific enforcing layer setting `plaintext_phone_limit`, else the role\'s built-in (`layer: "role"`).',
					}),
					calls: z.array(RuleView).openapi({
						description:
							'The call limits (`burst`, `daily`, `distinct`; answered to calls as `call_burst`, `call_daily`, `call_distinct`), each from the most specific enforcing layer setting its `call_*` column, else the role\'s built-in (`layer: "role"`).',
					}),
				}),
			),
			...authenticatedErrors,
		},
	}),
	async (c) => {
		const query = c.req.valid("query");
		const services = c.var.services;
		const issuer = issuerOf(services.issuers, query.issuer);
		const principal = query.role
			? { kind: "employee" as const, issuer, subject: query.subject, role: query.role, depot: query.depot }
			: { kind: "service" as const, issuer, subject: query.subject };
		const effective = resolvePolicy(await services.policyStore.all(), principal);
		return c.json(
			{
				enforced: effective.enforced.map(ruleView),
				shadow: effective.shadow.map(ruleView),
				activity: { enforced: effective.activity.enforced.map(ruleView), shadow: effective.activity.shadow.map(ruleView) },
				ring_threshold: effective.ringThreshold,
				depot_daily_budget: effective.depotDailyBudget,
				legs: legPolicyView(effective.legs),
				plaintext_phone: ruleView(effective.plaintextPhone),
				calls: effective.calls.map(ruleView),
			},
			200,
		);
	},
);

/** A layer's strong ETag (RFC 9110 §8.8.3): its version, which every change increments. */
const layerTag = (row: Pick<PolicyRow, "version">) => `"${row.version}"`;

const preconditionsOf = (c: { req: { header(name: string): string | undefined } }) => ({
	ifMatch: c.req.header("If-Match"),
	ifNoneMatch: c.req.header("If-None-Match"),
});

/**
 * Another change landed between the read and the conditional write: for a request that named the
 * version it read, its precondition no longer holds (412); for a creation, the layer now exists (409).
 */
function lostRace(conditional: boolean): ProblemError {
	return conditional
		? new ProblemError("precondition-failed", { detail: "Another change to this layer landed first; read it again and retry with its new ETag." })
		: new ProblemError("conflict", { detail: "The layer was created meanwhile; read it and change it with If-Match." });
}

/**
 * Writes one layer. Changing a layer that exists needs `If-Match` with the ETag read (RFC 9110
 * §13.1.1, 428 without it, 412 when it does not match), so no change made since is overwritten
 * unseen; creating one needs nothing, or `If-None-Match: *` to be sure it is new. An employee
 * layer names its employee by the pair (issuer, subject).
 */
async function putLayer(
	c: Parameters<Parameters<typeof policyRoutes.openapi>[1]>[0],
	layer: PolicyLayer,
	targetIssuer: string,
	target: string,
	input: z.infer<typeof PolicyInput>,
) {
	const values = layerInputOf(input);
	const errors = layerErrors(layer, target, values);
	if (errors.length > 0) throw new ProblemError("validation-failed", { detail: "The layer breaks a policy rule; see errors.", extensions: { errors } });
	const principal = c.get("principal");
	if (layer === "employee" && target === principal.subject && targetIssuer === principal.issuer) {
		throw new ProblemError("forbidden", { detail: "Nobody sets their own limits: another operator must make this change." });
	}
	const store = c.var.services.policyStore;
	const current = await store.get(layer, targetIssuer, target);
	const { conditional } = checkPreconditions(preconditionsOf(c), current ? layerTag(current) : null, "GET of this layer's path");
	const now = Date.now();
	const row: PolicyRow = {
		layer,
		target_issuer: targetIssuer,
		target,
		...values,
		version: (current?.version ?? 0) + 1,
		updated_by: principal.subject,
		updated_at: now,
	};
	const { results } = await c.var.services.audit.appendWith(
		{
			kind: "policy.changed",
			at: now,
			actor: actorOf(principal),
			recordId: null,
			details: { layer, target_issuer: targetIssuer, target, before: current ? { ...current } : null, after: { ...row } },
		},
		[await store.upsert(row, current?.version ?? 0)],
		{ onlyIfChanged: true },
	);
	if ((results[0]?.meta.changes ?? 0) === 0) throw lostRace(conditional);
	forgetCachedPolicies();
	c.header("ETag", layerTag(row));
	return c.json(policyView(row), current ? 200 : 201);
}

const preconditionErrors = {
	412: problem("If-Match (or If-None-Match) does not hold: the layer changed since it was read, or does not exist. Read it again and retry with its ETag."),
	428: problem("The layer exists and the request has no If-Match: send the ETag read from GET of the layer, or `*`."),
} as const;

const putResponses = {
	200: { ...jsonResponse("Changed; effective within seconds on every isolate.", PolicyView), headers: etagHeader },
	201: { ...jsonResponse("Created.", PolicyView), headers: etagHeader },
	...bodyErrors,
	400: problem("Malformed JSON, or a malformed If-Match or If-None-Match header."),
	...authenticatedErrors,
	...conflict("The layer was created by another request meanwhile (a PUT without If-Match that meant to create it)."),
	...preconditionErrors,
	...unprocessable("The body, path or `issuer` fails validation, or the layer breaks a policy rule; `errors` names each field."),
} as const;

/** Reads one layer with its ETag, the version a change names in If-Match. */
async function getLayer(c: Parameters<Parameters<typeof policyRoutes.openapi>[1]>[0], layer: PolicyLayer, targetIssuer: string, target: string) {
	const row = await c.var.services.policyStore.get(layer, targetIssuer, target);
	if (!row) throw new ProblemError("not-found", { detail: "No such layer: GET /v1/policies lists the layers there are, and PUT creates one." });
	c.header("ETag", layerTag(row));
	return c.json(policyView(row), 200);
}

const getResponses = {
	200: { ...jsonResponse("The layer, as stored.", PolicyView), headers: etagHeader },
	...authenticatedErrors,
	404: problem("No such layer."),
} as const;

policyRoutes.openapi(
	createRoute({
		method: "get",
		path: "/default",
		summary: "The default layer, with its ETag",
		tags: ["ops"],
		middleware: [ops] as const,
		responses: getResponses,
	}),
	(c) => getLayer(c as never, "default", "", ""),
);

policyRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{layer}/{target}",
		summary: "One role, depot or employee layer, with its ETag",
		tags: ["ops"],
		middleware: [ops] as const,
		request: { params: LayerParams, query: LayerIssuerQuery },
		responses: { ...getResponses, ...unprocessable("Bad layer, target or `issuer`; `errors` names each.") },
	}),
	(c) => {
		const { layer, target } = c.req.valid("param");
		return getLayer(c as never, layer, layerIssuer(c.var.services.issuers, layer, c.req.valid("query").issuer), target) as never;
	},
);

policyRoutes.openapi(
	createRoute({
		method: "put",
		path: "/default",
		summary: "Set the default layer",
		tags: ["ops"],
		middleware: [ops, jsonBody()] as const,
		request: { headers: ifMatchRequest, body: jsonBodyOf(PolicyInput) },
		responses: putResponses,
	}),
	(c) => putLayer(c as never, "default", "", "", c.req.valid("json")),
);

policyRoutes.openapi(
	createRoute({
		method: "put",
		path: "/{layer}/{target}",
		summary: "Create or change a role, depot or employee layer",
		tags: ["ops"],
		middleware: [ops, jsonBody()] as const,
		request: { params: LayerParams, query: LayerIssuerQuery, headers: ifMatchRequest, body: jsonBodyOf(PolicyInput) },
		responses: putResponses,
	}),
	(c) => {
		const { layer, target } = c.req.valid("param");
		const targetIssuer = layerIssuer(c.var.services.issuers, layer, c.req.valid("query").issuer);
		return putLayer(c as never, layer, targetIssuer, target, c.req.valid("json"));
	},
);

policyRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{layer}/{target}",
		summary: "Remove a role, depot or employee layer (the default layer stays)",
		tags: ["ops"],
		middleware: [ops] as const,
		request: { params: LayerParams, query: LayerIssuerQuery, headers: ifMatchRequest },
		responses: {
			204: { description: "Removed." },
			400: problem("A malformed If-Match header."),
			...authenticatedErrors,
			404: problem("No such layer."),
			...preconditionErrors,
			...unprocessable("Bad layer, target or `issuer`; `errors` names each."),
		},
	}),
	async (c) => {
		const { layer, target } = c.req.valid("param");
		const services = c.var.services;
		const targetIssuer = layerIssuer(services.issuers, layer, c.req.valid("query").issuer);
		const store = services.policyStore;
		const current = await store.get(layer, targetIssuer, target);
		if (!current) throw new ProblemError("not-found", { detail: "No such layer: GET /v1/policies lists the layers there are." });
		checkPreconditions(preconditionsOf(c), layerTag(current), "GET of this layer's path");
		const principal = c.get("principal");
		const { results } = await services.audit.appendWith(
			{
				kind: "policy.deleted",
				at: Date.now(),
				actor: actorOf(principal),
				recordId: null,
				details: { layer, target_issuer: targetIssuer, target, before: { ...current } },
			},
			[store.delete(layer, targetIssuer, target, current.version)],
			{ onlyIfChanged: true },
		);
		if ((results[0]?.meta.changes ?? 0) === 0) throw lostRace(true);
		forgetCachedPolicies();
		return c.body(null, 204);
	},
);

export const employeeRoutes = createRouter();

/** How many suspensions and reinstatements a principal's status shows. */
const HISTORY_LIMIT = 50;

const Suspension = z
	.object({
		at: WireTime("When the suspension began."),
		reason: z.string().openapi({ description: "`honeytoken`, `out_of_scope_probing` (detection) or `ops`." }),
		by: z.string(),
	})
	.openapi("Suspension");

const StatusView = z
	.object({
		subject: z.string(),
		issuer: z.string(),
		issuer_alias: z.string(),
		kind: z.enum(PRINCIPAL_KINDS),
		role: z.string().nullable().openapi({ description: "As given, or as the principal's latest audit entry names it." }),
		depot: z.string().nullable(),
		suspension: Suspension.nullable(),
		grants_last_24h: z.number().int(),
		distinct_records_last_24h: z.number().int(),
		out_of_scope_asks_last_hour: z.number().int(),
		limits: z.array(StandingView).openapi({ description: "Each enforced limit of the principal's policy and how much of it is used now." }),
		calls_last_24h: z.number().int().openapi({ description: "Calls (privacy-number bindings) counted in the last 24 hours." }),
		call_limits: z.array(StandingView).openapi({
			description: "Each call limit (`burst`, `daily`, `distinct`: answered to calls as `call_burst`, …) and how much of it is used now; empty for a service.",
		}),
		history: z
			.array(
				z.object({
					at: WireTime("When the change was made."),
					status: z.enum(["suspended", "reinstated"]),
					reason: z.string().nullable().openapi({ description: "Detection's reason (`honeytoken`, `out_of_scope_probing`) or the operator's words." }),
					by: z.string().openapi({ description: "`detection`, or the ops `sub` who made the change." }),
					seq: z.number().int().openapi({ description: "The audit entry that records it." }),
				}),
			)
			.openapi({
				description: `Suspensions and reinstatements, newest first (at most ${HISTORY_LIMIT}), from the audit log: a reinstated principal still shows it was suspended.`,
			}),
	})
	.openapi("PrincipalStatus");

const ListedView = z
	.object({
		issuer: z.string(),
		issuer_alias: z.string().openapi({ description: "How ops paths name the issuer: `?issuer=` takes it." }),
		subject: z.string(),
		kind: z.string(),
		role: z.string().nullable(),
		depot: z.string().nullable(),
		status: z.enum(PRINCIPAL_STATUSES).openapi({ description: "As last recorded in D1; the principal's limiter is the authority (GET /v1/employees/{sub})." }),
		reason: z.string().nullable(),
		changed_by: z.string().nullable(),
		changed_at: WireTime("When the status last changed.").nullable(),
		last_seen_at: WireTime("Latest audit entry of this employee in the last 24 hours.").nullable(),
	})
	.openapi("ListedPrincipal");

employeeRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		summary: "Principals whose status changed, and employees active in the last 24 hours; newest first",
		tags: ["ops"],
		middleware: [ops] as const,
		request: { query: ListQuery },
		responses: { 200: jsonResponse("Listing (at most 500 of each source).", z.object({ principals: z.array(ListedView) })), ...authenticatedErrors },
	}),
	async (c) => {
		const { status, depot } = c.req.valid("query");
		const services = c.var.services;
		const statuses = services.statuses;
		const log = new ActivityStore(c.env.DB, await forgedEntriesForRead(c.env));
		const since = Date.now() - DAY_SECONDS * 1000;
		const activity = await log.employeesSince(since, depot, 500);
		// The active principals' own status rows too, whatever they say: a suspended employee is active
		// in the log (their last ask), and must not be listed as active for it.
		const [listed, ofActive] = await Promise.all([statuses.list(status, depot), statuses.ofPrincipals(activity)]);
		// And where those with a status row were last seen: one who moved depot is listed where they are now.
		const key = (row: { issuer: string; subject: string }) => `${row.issuer}\n${row.subject}`;
		const active = new Set(activity.map(key));
		const elsewhere = await log.latestAmong(
			listed.filter((row) => !active.has(key(row))),
			since,
		);
		const rows = new Map([...listed, ...ofActive].map((row) => [key(row), row]));
		const principals = listPrincipals([...rows.values()], [...activity, ...elsewhere], { status, depot });
		return c.json(
			{
				principals: principals.map((row) => ({
					...row,
					issuer_alias: services.issuers.aliasOf(row.issuer),
					changed_at: wireTimeOrNull(row.changed_at),
					last_seen_at: wireTimeOrNull(row.last_seen_at),
				})),
			},
			200,
		);
	},
);

employeeRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{subject}",
		summary: "A principal's status, and its usage against each enforced limit, from its limiter",
		tags: ["ops"],
		middleware: [ops] as const,
		request: { params: SubjectParam, query: StatusQuery },
		responses: {
			200: jsonResponse("Status and usage.", StatusView),
			...authenticatedErrors,
			404: problem("The vault has never seen this principal: no audit entry, no status row, no limiter state."),
			...unprocessable("Bad kind, role, depot or `issuer`; `errors` names each."),
		},
	}),
	async (c) => {
		const { subject } = c.req.valid("param");
		const query = c.req.valid("query");
		const services = c.var.services;
		const issuer = issuerOf(services.issuers, query.issuer);
		// The policy depends on role and depot, which only tokens carry: take them from the query, or
		// from the principal's latest audit entry.
		const activity = new ActivityStore(c.env.DB, await forgedEntriesForRead(c.env));
		const [seen, rows, history] = await Promise.all([
			activity.latestOf({ issuer, subject }),
			services.statuses.ofPrincipals([{ issuer, subject }]),
			activity.statusHistory({ issuer, subject }, HISTORY_LIMIT),
		]);
		const role = query.kind === "service" ? null : (query.role ?? seen?.role ?? null);
		const depot = query.kind === "service" ? null : (query.depot ?? seen?.depot ?? null);
		const policy = resolvePolicy(
			await services.policyStore.all(),
			query.kind === "service"
				? { kind: "service", issuer, subject }
				: { kind: "employee", issuer, subject, role: role ?? undefined, depot: depot ?? undefined },
		);
		const status = await reachLimiter(() => services.limiter({ kind: query.kind, issuer, subject }).status(policy, { issuer, subject }));
		// A principal the vault has never seen (no audit entry, no status row, nothing in its limiter)
		// is a 404, not a row of zeros: a mistyped subject must not read as an idle employee.
		if (!seen && rows.length === 0 && status.suspension === null && status.grantsLast24h === 0 && status.callsLast24h === 0 && status.probesLastHour === 0) {
			throw new ProblemError("not-found", {
				detail: `No ${query.kind} ${subject} of this issuer has been seen: check the subject, \`kind\` and \`issuer\`, or GET /v1/employees for those there are.`,
			});
		}
		return c.json(
			{
				subject,
				issuer,
				issuer_alias: services.issuers.aliasOf(issuer),
				kind: query.kind,
				role,
				depot,
				suspension: status.suspension && { ...status.suspension, at: wireTime(status.suspension.at) },
				grants_last_24h: status.grantsLast24h,
				distinct_records_last_24h: status.distinctRecordsLast24h,
				out_of_scope_asks_last_hour: status.probesLastHour,
				limits: status.standing.map(standingView),
				calls_last_24h: status.callsLast24h,
				// A service makes no calls (POST /v1/calls is for employees): it has no call limits to show.
				call_limits: query.kind === "service" ? [] : status.callStanding.map(standingView),
				history: history.map((change) => ({ ...change, at: wireTime(change.at) })),
			},
			200,
		);
	},
);

for (const action of ["suspend", "reinstate"] as const) {
	employeeRoutes.openapi(
		createRoute({
			method: "post",
			path: `/{subject}/${action}`,
			summary: action === "suspend" ? "Suspend a principal: asks get 423 and none of its tokens redeem" : "Reinstate a suspended principal",
			tags: ["ops"],
			middleware: [ops, jsonBody()] as const,
			request: { params: SubjectParam, query: KindQuery, body: jsonBodyOf(ReasonInput) },
			responses: {
				200: jsonResponse("The status after the change.", z.object({ subject: z.string(), issuer: z.string(), status: z.enum(PRINCIPAL_STATUSES) })),
				...bodyErrors,
				...authenticatedErrors,
			},
		}),
		async (c) => {
			const { subject } = c.req.valid("param");
			const query = c.req.valid("query");
			const kind = query.kind;
			const { reason } = c.req.valid("json");
			const principal = c.get("principal");
			const services = c.var.services;
			const issuer = issuerOf(services.issuers, query.issuer);
			if (subject === principal.subject && issuer === principal.issuer)
				throw new ProblemError("forbidden", { detail: "Nobody changes their own status: another operator must make this change." });
			const limiter = services.limiter({ kind, issuer, subject });
			const current = (await reachLimiter(() => limiter.status(undefined, { issuer, subject }))).suspension;
			const now = Date.now();
			const status: PrincipalStatus = action === "suspend" ? "suspended" : "active";
			// Audit first: a change to a security control is never in effect without its entry. If the
			// limiter then fails, the entry records an attempt the 503 tells the caller did not land.
			await services.audit.appendWith(
				{
					kind: action === "suspend" ? "principal.suspended" : "principal.reinstated",
					at: now,
					actor: actorOf(principal),
					recordId: null,
					details: { subject, issuer, kind, reason, previous: current ? { reason: current.reason, by: current.by, at: current.at } : null },
				},
				[await services.statuses.record({ kind, issuer, subject }, status, reason, principal.subject, now)],
			);
			await reachLimiter(() => (action === "suspend" ? limiter.suspend(principal.subject, { issuer, subject }) : limiter.reinstate({ issuer, subject })));
			return c.json({ subject, issuer, status }, 200);
		},
	);
}
