import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "../audit/actor";
import { previousSigningKeysConfig, revealTokenTtlSeconds, signingJwkConfig } from "../config";
import { verificationKeysFor } from "../crypto/signing-key";
import { publishedKeys } from "../crypto/verification-keys";
import { authorize } from "../http/auth";
import { jsonBody } from "../http/json-body";
import { noStoreHeaders, rateLimitHeaders as rateLimitDoc } from "../http/openapi-headers";
import { authenticatedErrors, bodyErrors, conflict, gone, ProblemSchema } from "../http/openapi-responses";
import { createRouter } from "../http/router";
import { reachLimiter } from "../limits/limiter-client";
import { DAY_SECONDS } from "../limits/policy";
import { rateLimitHeaders } from "../limits/rate-limit-headers";
import { OwnStandingView, ownStandingView } from "../limits/standing-view";
import { askReveal } from "./ask";
import { redeemReveal } from "./redeem";
import { RedeemInput, RevealAskInput, RevealedFields, RevealTicket } from "./schemas";

const QuotaView = z
	.object({
		suspended: z.boolean().openapi({ description: "Whether your asks are refused until ops reinstate you." }),
		limits: z.array(OwnStandingView),
		call_limits: z.array(OwnStandingView).openapi({
			description:
				'Your call limits (DESIGN "Calls instead of numbers": `burst`, `daily`, `distinct`, answered to calls as `call_burst`, …) and how much of each is used; empty for a service, which makes no calls.',
		}),
	})
	.openapi("RevealQuota");

const revealer = authorize({ employee: ["reveal"], service: ["reveal"] });
const refused = (description: string) => ({ description, content: { "application/problem+json": { schema: ProblemSchema } } });
/** An ask's answer decided by or after the limiter: it carries the principal's standing. */
const limited = (description: string) => ({ ...refused(description), headers: rateLimitDoc });

export const revealRoutes = createRouter();

revealRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		summary: "Ask to reveal fields of one record for a purpose; returns a short-lived, single-use reveal token",
		tags: ["reveals"],
		middleware: [revealer, jsonBody()] as const,
		request: { body: { required: true, content: { "application/json": { schema: RevealAskInput } } } },
		responses: {
			201: { description: "Granted.", content: { "application/json": { schema: RevealTicket } }, headers: rateLimitDoc },
			...bodyErrors,
			...authenticatedErrors,
			404: limited("No record with this id. Carries `RateLimit` like every answer the limiter decides."),
			403: limited(
				'Out of scope (not your record); `no-active-leg`: no open leg of yours covers it (DESIGN "Reveals follow the work"); `call-first`: a phone for delivery or pickup is revealed only after a call on the leg (POST /v1/calls; never counted toward suspension); `stale-work`: the work you held on it closed or moved away recently, so refresh your list (never counted toward suspension); or the purpose does not allow these fields (`reason`); each with `RateLimit`. Or the token lacks `reveal` (decided before the limiter: no `RateLimit`).',
			),
			423: limited("Reveals are suspended for you (honeytoken touched, repeated out-of-scope asks, or ops)."),
			429: limited(
				"A limit is reached (`limit`: `burst`, `daily`, `distinct`, `cases`, or `plaintext_phone`, the phones of deliveries and pickups per day), or too many of your requests were refused in the last hour (`too-many-refusals`); `Retry-After` says when. `RateLimit-Policy` and `RateLimit` are on every answer the limiter decides (not on 400, 401, 413, 415, 422 or 503, decided before it).",
			),
		},
	}),
	async (c) => {
		const input = c.req.valid("json");
		const principal = c.get("principal");
		const services = c.var.services;
		const now = Date.now();
		const limiter = services.limiter(principal);
		const actor = actorOf(principal);
		const ticket = await askReveal(
			{
				records: services.records,
				signingKey: await services.signingKey,
				ttlSeconds: revealTokenTtlSeconds(c.env),
				policy: services.policyOf(principal, now),
				limiter: (ask, policy, draft) => reachLimiter(() => limiter.ask(ask, policy, actor, draft, principal.kind)),
				refuse: (reason, recordId, policy, event) => reachLimiter(() => limiter.refuse(reason, recordId, policy, actor, event)),
				boundCallLegs: (recordId) => services.calls.boundLegs(principal.issuer, principal.subject, recordId, now - DAY_SECONDS * 1000),
			},
			principal,
			{ recordId: input.record_id, fields: input.fields, purpose: input.purpose, caseId: input.case_id },
			now,
		);
		for (const [name, value] of Object.entries(ticket.headers)) c.header(name, value);
		return c.json({ reveal_token: ticket.token, expires_at: new Date(ticket.expiresAt).toISOString() }, 201);
	},
);

revealRoutes.openapi(
	createRoute({
		method: "get",
		path: "/quota",
		summary: "Your own reveal and call limits: how much of each is used and left, and whether you are suspended",
		description: "What a terminal shows before the first ask. Reads your limiter; asks nothing and is not audited.",
		tags: ["reveals"],
		middleware: [revealer] as const,
		responses: {
			200: {
				description: "Your standing. `RateLimit-Policy` and `RateLimit` headers say the same as on an ask.",
				content: { "application/json": { schema: QuotaView } },
				headers: rateLimitDoc,
			},
			...authenticatedErrors,
		},
	}),
	async (c) => {
		const principal = c.get("principal");
		const services = c.var.services;
		const policy = await services.policyOf(principal, Date.now());
		const status = await reachLimiter(() => services.limiter(principal).status(policy, { issuer: principal.issuer, subject: principal.subject }));
		for (const [name, value] of Object.entries(rateLimitHeaders(status.standing))) c.header(name, value);
		return c.json(
			{
				suspended: status.suspension !== null,
				limits: status.standing.map(ownStandingView),
				call_limits: principal.kind === "employee" ? status.callStanding.map(ownStandingView) : [],
			},
			200,
		);
	},
);

revealRoutes.openapi(
	createRoute({
		method: "post",
		path: "/redeem",
		summary: "Redeem a reveal token: the plaintext of the granted fields, once",
		tags: ["reveals"],
		middleware: [revealer, jsonBody()] as const,
		request: { body: { required: true, content: { "application/json": { schema: RedeemInput } } } },
		responses: {
			200: { description: "The revealed fields. Never cached.", content: { "application/json": { schema: RevealedFields } }, headers: noStoreHeaders },
			...bodyErrors,
			...authenticatedErrors,
			...gone,
			403: refused(
				"The reveal token is not valid, expired, or not yours; or the record is no longer in your scope; or its work closed or moved away since the ask (`stale-work`, `no-active-leg`).",
			),
			...conflict("The reveal token was already redeemed."),
			423: refused("Reveals are suspended for you: no outstanding token of yours redeems."),
			429: refused("Too many of your requests were refused in the last hour (`too-many-refusals`); `Retry-After` says when."),
		},
	}),
	async (c) => {
		const { reveal_token } = c.req.valid("json");
		const principal = c.get("principal");
		const services = c.var.services;
		const now = Date.now();
		const limiter = services.limiter(principal);
		const actor = actorOf(principal);
		const policy = () => services.policyOf(principal, now);
		const revealed = await redeemReveal(
			{
				records: services.records,
				// The current key, and previous keys only while the JWKS still lists them.
				verificationKeys: publishedKeys(
					await verificationKeysFor(signingJwkConfig(c.env), previousSigningKeysConfig(c.env)),
					revealTokenTtlSeconds(c.env),
					now,
				),
				keyring: await services.keyring,
				legPolicy: async () => (await policy()).legs,
				redeem: async (draft) => {
					const limits = await policy();
					return reachLimiter(() => limiter.redeem(draft, limits, actor));
				},
				void: (draft, reason, release) => reachLimiter(() => limiter.voidRedemption(draft, reason, release, actor)),
				refuse: async (reason, recordId, event) => {
					const limits = await policy();
					return reachLimiter(() => limiter.refuse(reason, recordId, limits, actor, event));
				},
			},
			principal,
			reveal_token,
			now,
		);
		// Plaintext: no cache of any kind may keep it (RFC 9111 §5.2.2.5).
		c.header("Cache-Control", "no-store");
		c.header("Pragma", "no-cache");
		return c.json({ record_id: revealed.recordId, purpose: revealed.purpose, fields: revealed.fields }, 200);
	},
);
