import { createRoute } from "@hono/zod-openapi";
import { auditLogFor } from "../audit/audit-log-for";
import { keyringConfig, revealTokenTtlSeconds, signingJwkConfig } from "../config";
import { keyringFor } from "../crypto/keyring";
import { signingKeyFor } from "../crypto/signing-key";
import { authorize } from "../http/auth";
import { jsonBody } from "../http/json-body";
import { authenticatedErrors, bodyErrors, conflict, gone, notFound, ProblemSchema } from "../http/openapi-responses";
import { createRouter } from "../http/router";
import { recordStoreFor } from "../records/record-store-for";
import { askReveal } from "./ask";
import { redeemReveal } from "./redeem";
import { RedemptionStore } from "./redemption-store";
import { RedeemInput, RevealAskInput, RevealedFields, RevealTicket } from "./schemas";

const revealer = authorize({ employee: ["reveal"], service: ["reveal"] });
const refused = (description: string) => ({ description, content: { "application/problem+json": { schema: ProblemSchema } } });

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
			201: { description: "Granted.", content: { "application/json": { schema: RevealTicket } } },
			...bodyErrors,
			...authenticatedErrors,
			...notFound,
			403: refused("Out of scope (not your record), or the purpose does not allow these fields; or the token lacks `reveal`."),
		},
	}),
	async (c) => {
		const input = c.req.valid("json");
		const ticket = await askReveal(
			{
				records: recordStoreFor(c.env, c.executionCtx),
				audit: auditLogFor(c.env, c.executionCtx),
				signingKey: await signingKeyFor(signingJwkConfig(c.env)),
				ttlSeconds: revealTokenTtlSeconds(c.env),
			},
			c.get("principal"),
			{ recordId: input.record_id, fields: input.fields, purpose: input.purpose },
			Date.now(),
		);
		return c.json({ reveal_token: ticket.token, expires_at: new Date(ticket.expiresAt).toISOString() }, 201);
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
			200: { description: "The revealed fields. Never cached.", content: { "application/json": { schema: RevealedFields } } },
			...bodyErrors,
			...authenticatedErrors,
			...gone,
			403: refused("The reveal token is not valid, expired, or not yours; or the record is no longer in your scope."),
			...conflict("The reveal token was already redeemed."),
		},
	}),
	async (c) => {
		const { reveal_token } = c.req.valid("json");
		const revealed = await redeemReveal(
			{
				records: recordStoreFor(c.env, c.executionCtx),
				audit: auditLogFor(c.env, c.executionCtx),
				redemptions: new RedemptionStore(c.env.DB),
				verificationKeys: [await signingKeyFor(signingJwkConfig(c.env))],
				keyring: await keyringFor(keyringConfig(c.env)),
			},
			c.get("principal"),
			reveal_token,
			Date.now(),
		);
		// Plaintext: no cache of any kind may keep it (RFC 9111 §5.2.2.5).
		c.header("Cache-Control", "no-store");
		c.header("Pragma", "no-cache");
		return c.json({ record_id: revealed.recordId, purpose: revealed.purpose, fields: revealed.fields }, 200);
	},
);
