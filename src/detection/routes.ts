import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "../audit/actor";
import { jsonBody } from "../http/json-body";
import { authenticatedErrors, bodyErrors, conflict, jsonBodyOf, jsonResponse, problem } from "../http/openapi-responses";
import { opsOnly } from "../http/ops";
import { ProblemError } from "../http/problem";
import { createRouter } from "../http/router";
import { WireTime, WireTimeQuery, wireTime } from "../http/wire-time";
import { alertTriageContent } from "../integrity/row-contents";
import { courierIssuerOf } from "../records/courier-issuer";
import { prepareRecord } from "../records/prepare";
import { expiryFor } from "../records/retention";
import { retentionPolicy } from "../records/retention-policy";
import { issuerName, RecordInput, subject } from "../records/schemas";
import { ALERT_STATES } from "./alert-store";
import { OPEN_TRIAGE, triageAfter } from "./alert-triage";
import { AlertView, alertViews } from "./alert-view";
import { HoneytokenStore } from "./honeytoken-store";

const ops = opsOnly();

export const alertRoutes = createRouter();

alertRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		summary: "Alerts, newest first, with their delivery and triage state",
		tags: ["ops"],
		middleware: [ops] as const,
		request: {
			query: z.strictObject({
				limit: z.coerce.number().int().min(1).max(500).default(100),
				before: WireTimeQuery.optional().openapi({ description: "The `at` of the last alert of the previous page (RFC 3339, or ms since the epoch)." }),
				state: z.enum(ALERT_STATES).optional().openapi({ description: "Only alerts in this triage state." }),
			}),
		},
		responses: {
			200: jsonResponse("Alerts; pass the last `at` as `before` for the next page.", z.object({ alerts: z.array(AlertView) })),
			...authenticatedErrors,
		},
	}),
	async (c) => {
		const { limit, before, state } = c.req.valid("query");
		const alerts = await c.var.services.alerts.page(limit, before, state);
		return c.json({ alerts: await alertViews(alerts, c.var.services.rowTrust) }, 200);
	},
);

/**
 * An alert's id as GET /v1/alerts lists it, percent-encoded in the path (RFC 3986 §2.1). Ids are
 * the vault's own and may hold what they are about: a `row_mac_failed` id names the row's key, and
 * a policy layer's key holds its issuer URL and slashes (`employee/https://…/sub`), a status row's
 * a space. Anything but control characters, bound in length; the id only ever reaches D1 as a
 * bound value.
 */
const AlertIdParam = z.object({
	id: z
		.string()
		.regex(/^[ -~\u00a0-\uffff]{1,1024}$/, "is not an alert id")
		.openapi({
			param: { name: "id", in: "path" },
			description: "The alert's `id`, percent-encoded (encodeURIComponent): a `row_mac_failed` id may hold `/`, `:` and spaces.",
		}),
});

const TriageInput = z
	.strictObject({ note: z.string().trim().min(1).max(500).openapi({ description: "What was done or found; kept with the alert and in its audit entry." }) })
	.openapi("AlertTriageInput");

for (const action of ["acknowledge", "resolve"] as const) {
	alertRoutes.openapi(
		createRoute({
			method: "post",
			path: `/{id}/${action}`,
			summary:
				action === "acknowledge"
					? "Acknowledge an open alert with a note: someone is on it (audited; a repeat changes nothing)"
					: "Resolve an alert with a note (audited; a repeat changes nothing)",
			description:
				action === "acknowledge"
					? "Idempotent: an alert already acknowledged or resolved is answered as it is, and no second entry is written; the first note stays."
					: "An open or acknowledged alert becomes resolved. Idempotent: a resolved alert is answered as it is, and no second entry is written; the first note stays.",
			tags: ["ops"],
			middleware: [ops, jsonBody()] as const,
			request: { params: AlertIdParam, body: jsonBodyOf(TriageInput) },
			responses: {
				200: jsonResponse("The alert after the change (or as it already was).", AlertView),
				...bodyErrors,
				...authenticatedErrors,
				404: problem("No such alert."),
			},
		}),
		async (c) => {
			const { id } = c.req.valid("param");
			const { note } = c.req.valid("json");
			const principal = c.get("principal");
			const services = c.var.services;
			const now = Date.now();
			const store = services.alerts;
			const trust = services.rowTrust;
			const read = await store.get(id);
			if (!read) throw new ProblemError("not-found", { detail: "No alert with this id: GET /v1/alerts lists them." });
			// A triage that fails its MAC is not acted on: the alert is open, and ops' action writes a triage of their own.
			const current = (await trust.alertTriage(read)).verified ? read : { ...read, ...OPEN_TRIAGE };
			const next = triageAfter(current, action, principal.subject, note, now);
			if (next) {
				const seal = await trust.seal("alerts", alertTriageContent({ id, ...next }));
				// The change and its entry commit together, and the entry only if the change did something.
				await services.audit.appendWith(
					{
						kind: action === "acknowledge" ? "alert.acknowledged" : "alert.resolved",
						at: now,
						actor: actorOf(principal),
						recordId: null,
						details: { alert_id: id, note },
					},
					[store.setTriage(id, next, seal, read)],
					{ onlyIfChanged: true },
				);
			}
			const alert = (await store.get(id)) ?? read;
			return c.json((await alertViews([alert], trust))[0] as z.infer<typeof AlertView>, 200);
		},
	);
}

export const honeytokenRoutes = createRouter();

const HoneytokenView = z
	.object({
		record_id: z.string(),
		depot: z.string().nullable(),
		label: z.string().nullable(),
		planted_by: z.string(),
		planted_at: WireTime("When it was first planted (a renewal keeps the date)."),
		renewed_from: z.string().nullable().openapi({ description: "The record this one continues after retention renewed it; null for one planted by ops." }),
		for_issuer: z.string().nullable().openapi({ description: "A canary's person (`iss`, with `for_subject`); null for a depot-wide honeytoken." }),
		for_subject: z.string().nullable(),
	})
	.openapi("Honeytoken");

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
		responses: { 200: jsonResponse("Every honeytoken, newest first.", z.object({ honeytokens: z.array(HoneytokenView) })), ...authenticatedErrors },
	}),
	async (c) =>
		c.json(
			{
				honeytokens: (await new HoneytokenStore(c.env.DB).list()).map((row) => ({
					record_id: row.record_id,
					depot: row.depot,
					label: row.label,
					planted_by: row.planted_by,
					planted_at: wireTime(row.planted_at),
					renewed_from: row.renewed_from ?? null,
					for_issuer: row.for_issuer ?? null,
					for_subject: row.for_subject ?? null,
				})),
			},
			200,
		),
);
