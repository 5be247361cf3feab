import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "../audit/actor";
import { jsonBody } from "../http/json-body";
import { authenticatedErrors, bodyErrors, conflict, jsonResponse } from "../http/openapi-responses";
import { opsOnly } from "../http/ops";
import { ProblemError } from "../http/problem";
import { createRouter } from "../http/router";
import { courierIssuerOf } from "../records/courier-issuer";
import { prepareRecord } from "../records/prepare";
import { expiryFor } from "../records/retention";
import { retentionPolicy } from "../records/retention-policy";
import { issuerName, RecordInput, subject } from "../records/schemas";
import { AlertStore } from "./alert-store";
import { HoneytokenStore } from "./honeytoken-store";

const ops = opsOnly();

export const alertRoutes = createRouter();

alertRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		summary: "Alerts, newest first, with their delivery state",
		tags: ["ops"],
		middleware: [ops] as const,
		request: { query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100), before: z.coerce.number().int().optional() }) },
		responses: {
			200: jsonResponse("Alerts; pass the last `at` as `before` for the next page.", z.object({ alerts: z.array(z.record(z.string(), z.unknown())) })),
			...authenticatedErrors,
		},
	}),
	async (c) => {
		const { limit, before } = c.req.valid("query");
		const alerts = await new AlertStore(c.env.DB).list(limit, before);
		return c.json({ alerts: alerts.map((alert) => ({ ...alert, details: JSON.parse(alert.details) as unknown })) }, 200);
	},
);

export const honeytokenRoutes = createRouter();

const PlantInput = z
	.strictObject({
		record: RecordInput,
		label: z.string().max(100).optional().openapi({ description: "For ops only: where this decoy was planted and why." }),
		for: z.strictObject({ subject: subject(), issuer: issuerName().optional() }).optional().openapi({
			description:
				"Plant a canary for one courier: the record is assigned to them (overriding `record.courier`), so only they can see it, like any parcel of theirs. A leaked list holding it, or an ask for it, names them. `issuer` by alias or `iss`; without it, the employee issuer.",
		}),
	})
	.openapi("HoneytokenPlant");

honeytokenRoutes.openapi(
	createRoute({
		method: "post",
		path: "/",
		summary: "Plant a honeytoken: a record like any other that no real job needs; any reveal ask for it suspends the asker",
		tags: ["ops"],
		middleware: [ops, jsonBody()] as const,
		request: { body: { required: true, content: { "application/json": { schema: PlantInput } } } },
		responses: {
			201: jsonResponse("Planted.", z.object({ record_id: z.string() })),
			...bodyErrors,
			...authenticatedErrors,
			...conflict("A live record exists for that shipment and party."),
		},
	}),
	async (c) => {
		const { record: given, label, for: owner } = c.req.valid("json");
		// A canary is the courier's own parcel as far as anyone can tell: assigned to them like any other.
		const input = owner ? { ...given, courier: owner.subject, courier_issuer: owner.issuer } : given;
		const principal = c.get("principal");
		const now = Date.now();
		const retention = retentionPolicy(c.env, [input.retention_days], () => "/record/retention_days");
		const services = c.var.services;
		const courierIssuer = courierIssuerOf(services.issuers, input.courier_issuer, owner ? "/for/issuer" : "/record/courier_issuer");
		const record = await prepareRecord(
			await services.keyring,
			input,
			{ courierIssuer },
			principal.subject,
			now,
			expiryFor(input.retention_days, retention, now),
		);
		const plant = new HoneytokenStore(c.env.DB).plant({
			record_id: record.id,
			depot: input.depot,
			label: label ?? null,
			planted_by: principal.subject,
			planted_at: now,
			for_issuer: owner ? courierIssuer : null,
			for_subject: owner?.subject ?? null,
		});
		const outcome = await services.records.insert(
			[{ ...record, honeytoken: true }],
			[plant],
			[
				{
					kind: "honeytoken.planted",
					at: now,
					actor: actorOf(principal),
					recordId: record.id,
					details: { depot: input.depot, label: label ?? null, ...(owner ? { for: { issuer: courierIssuer, subject: owner.subject } } : {}) },
				},
			],
		);
		if (outcome !== "inserted") throw new ProblemError("conflict", { detail: "A live record exists for that shipment and party." });
		return c.json({ record_id: record.id }, 201);
	},
);

honeytokenRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		summary: "Planted honeytokens",
		tags: ["ops"],
		middleware: [ops] as const,
		responses: { 200: jsonResponse("Every honeytoken.", z.object({ honeytokens: z.array(z.record(z.string(), z.unknown())) })), ...authenticatedErrors },
	}),
	async (c) => c.json({ honeytokens: await new HoneytokenStore(c.env.DB).list() }, 200),
);
