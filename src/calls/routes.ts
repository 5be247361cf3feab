import { createRoute } from "@hono/zod-openapi";
import { actorOf } from "../audit/actor";
import type { EmployeePrincipal } from "../auth/principal";
import { authorize } from "../http/auth";
import { jsonBody } from "../http/json-body";
import { rateLimitHeaders as rateLimitDoc, retryAfterHeader } from "../http/openapi-headers";
import { authenticatedErrors, bodyErrors, jsonBodyOf, jsonResponse, ProblemSchema, problem } from "../http/openapi-responses";
import { createRouter } from "../http/router";
import { reachLimiter } from "../limits/limiter-client";
import type { PolicyRow } from "../limits/policy";
import { type LegPolicyRow, resolveLegPolicy } from "../shipments/leg-policy";
import { endCall } from "./end-calls";
import { makeCall } from "./make-call";
import { CallBinding, CallIdParam, CallInput } from "./schemas";
import { telephonyProvider } from "./telephony-for-env";

const limited = (description: string) => ({ description, content: { "application/problem+json": { schema: ProblemSchema } }, headers: rateLimitDoc });

/** The leg columns of the policy layers, where the layers carry them (migration 0008); a layer without them defers. */
function legPolicyRows(rows: readonly PolicyRow[]): LegPolicyRow[] {
	return rows.map((row) => {
		const legs = row as PolicyRow & Partial<LegPolicyRow>;
		return {
			layer: row.layer,
			target_issuer: row.target_issuer,
			target: row.target,
			mode: row.mode,
			require_active_leg: legs.require_active_leg ?? null,
			leg_grace_seconds: legs.leg_grace_seconds ?? null,
			stale_window_seconds: legs.stale_window_seconds ?? null,
			case_limit: legs.case_limit ?? null,
		};
	});
}

export const callRoutes = createRouter();

callRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		summary: "Call a customer through a privacy number: binds your phone and theirs behind a virtual number until the leg ends",
		description:
			'DESIGN "Calls instead of numbers". Judged like a reveal of `phone` (scope, open leg, suspension; a honeytoken suspends) and counted under call limits of your role (`call_burst`, `call_daily`, `call_distinct`, in RateLimit). Your own phone is the `phone_number` claim of your token (E.164). Asking again for the same record and leg while the binding lives returns that binding and counts nothing. The customer\'s number is never answered, logged or audited.',
		tags: ["calls"],
		middleware: [authorize({ employee: ["reveal"] }), jsonBody()] as const,
		request: { body: jsonBodyOf(CallInput) },
		responses: {
			201: { ...jsonResponse("The binding: dial `virtual_number` before `expires_at`.", CallBinding), headers: rateLimitDoc },
			...bodyErrors,
			...authenticatedErrors,
			422: problem("Body fails validation (`validation-failed`), or your token has no `phone_number` claim in E.164 (`phone-number-required`)."),
			404: limited("No record with this id."),
			403: limited(
				"Out of scope (not your record), the purpose does not cover this party (`reason`), or no open leg (`no-open-leg`, `reason`: `no_open_leg`, `stale`, `case_required`); or the token lacks `reveal` (no `RateLimit`).",
			),
			409: {
				...problem(
					"Your earlier call on this leg was ended (by you or by ops) and the provider has not let it go yet (`call-ending`): it is handed out to nobody, nothing was counted; try again after `Retry-After`.",
				),
				headers: retryAfterHeader,
			},
			423: limited("Calls and reveals are suspended for you (honeytoken touched, repeated out-of-scope asks, or ops)."),
			429: {
				...limited("A call limit is reached (`limit`), or too many of your requests were refused (`too-many-refusals`)."),
				headers: { ...rateLimitDoc, ...retryAfterHeader },
			},
			502: problem(
				"The provider refused the binding (`telephony-refused`, `provider_code`), or refused the vault's credentials (`telephony-misconfigured`, `variable`: TELEPHONY). No number is handed out.",
			),
			503: problem(
				"TELEPHONY is missing or malformed (`configuration-unavailable`), the provider is down or has no number free (`telephony-unavailable`, `telephony-no-number`), or a dependency is unavailable. Never a fallback to the customer's number.",
			),
		},
	}),
	async (c) => {
		const input = c.req.valid("json");
		const principal = c.get("principal") as EmployeePrincipal;
		const services = c.var.services;
		const now = Date.now();
		const limiter = services.limiter(principal);
		const actor = actorOf(principal);
		const made = await makeCall(
			{
				records: services.records,
				calls: services.calls,
				keyring: services.keyring,
				provider: () => telephonyProvider(c.env),
				policy: services.policyOf(principal, now),
				legPolicy: services.policies(now).then((rows) =>
					resolveLegPolicy(legPolicyRows(rows), {
						kind: principal.kind,
						issuer: principal.issuer,
						subject: principal.subject,
						role: principal.role,
						depot: principal.depot,
					}),
				),
				limiter: (ask, policy, draft) => reachLimiter(() => limiter.call(ask, policy, actor, draft)),
				failed: (recordId, countedAt, release, event) => reachLimiter(() => limiter.callFailed(recordId, countedAt, release, event)),
				refuse: (reason, recordId, policy, event) => reachLimiter(() => limiter.refuse(reason, recordId, policy, actor, event, "calls")),
			},
			principal,
			{ recordId: input.record_id, purpose: input.purpose, caseId: input.case_id },
			now,
		);
		for (const [name, value] of Object.entries(made.headers)) c.header(name, value);
		// The number is for this employee, now: no cache keeps it (RFC 9111 §5.2.2.5).
		c.header("Cache-Control", "no-store");
		return c.json({ call_id: made.callId, virtual_number: made.virtualNumber, expires_at: new Date(made.expiresAt).toISOString() }, 201);
	},
);

callRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{call_id}",
		summary: "End a call's binding early: the virtual number stops connecting",
		description: "Only the employee who made the call, or ops. A binding already over ends again without complaint (204).",
		tags: ["calls"],
		middleware: [authorize({ employee: ["reveal"], service: ["ops"] })] as const,
		request: { params: CallIdParam },
		responses: {
			204: { description: "Ended (or already over)." },
			...authenticatedErrors,
			404: problem("No call of yours has this id."),
			422: problem("Not a call id."),
			502: problem("The provider refused the unbind (`telephony-refused`, `telephony-misconfigured`); the vault retries every minute."),
			503: problem("TELEPHONY is missing or malformed, or the provider is down (`telephony-unavailable`); the vault retries every minute."),
		},
	}),
	async (c) => {
		const { call_id } = c.req.valid("param");
		const services = c.var.services;
		await endCall({ calls: services.calls, provider: () => telephonyProvider(c.env) }, c.get("principal"), call_id, Date.now());
		return c.body(null, 204);
	},
);
