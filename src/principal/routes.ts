import { createRoute, z } from "@hono/zod-openapi";
import { SCOPES } from "../auth/principal";
import { authorize } from "../http/auth";
import { authenticatedErrors, jsonResponse } from "../http/openapi-responses";
import { createRouter } from "../http/router";

const anyone = authorize({ service: [...SCOPES], employee: [...SCOPES] });

const PrincipalView = z
	.object({
		kind: z.enum(["service", "employee", "ops"]).openapi({
			description:
				"`ops` for an operator (a token with the `ops` scope, or a Cloudflare Access session), `service` for a courier service, `employee` for depot staff.",
		}),
		subject: z.string(),
		issuer: z.string(),
		scopes: z.array(z.string()),
		role: z.string().nullable(),
		depot: z.string().nullable(),
	})
	.openapi("Principal");

export const principalRoutes = createRouter();

principalRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		summary: "The caller, as the vault sees them: who, from which issuer, with which scopes",
		description: "What a page shows as 'signed in as', and how the ops console finds a Cloudflare Access session.",
		tags: ["public"],
		middleware: [anyone] as const,
		responses: { 200: jsonResponse("The caller.", PrincipalView), ...authenticatedErrors },
	}),
	(c) => {
		const principal = c.get("principal");
		return c.json(
			{
				// An operator is not a courier service, though both are non-employee tokens to the rules.
				kind: principal.kind === "service" && principal.scopes.has("ops") ? ("ops" as const) : principal.kind,
				subject: principal.subject,
				issuer: principal.issuer,
				scopes: [...principal.scopes].sort(),
				role: principal.kind === "employee" ? principal.role : null,
				depot: principal.kind === "employee" ? principal.depot : null,
			},
			200,
		);
	},
);
