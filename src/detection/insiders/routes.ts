import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "../../audit/actor";
import { jsonBody } from "../../http/json-body";
import { authenticatedErrors, bodyErrors, conflict, jsonBodyOf, jsonResponse } from "../../http/openapi-responses";
import { opsOnly } from "../../http/ops";
import { ProblemError } from "../../http/problem";
import { createRouter } from "../../http/router";
import { DETECTOR_MODES, DETECTOR_NAMES, DETECTOR_SETTINGS, type DetectorName } from "./detector-settings";
import { type DetectorRow, DetectorStore } from "./detector-store";

const ops = opsOnly();

const DetectorView = z
	.object({
		name: z.enum(DETECTOR_NAMES as [DetectorName, ...DetectorName[]]),
		mode: z.enum(DETECTOR_MODES),
		settings: z.record(z.string(), z.number()).openapi({ description: "The detector's thresholds (see PUT for each detector's fields and bounds)." }),
		version: z.number().int(),
		updated_by: z.string(),
		updated_at: z.string().openapi({ format: "date-time", description: "UTC; 1970 for the built-in defaults." }),
	})
	.openapi("Detector");

const DetectorInput = z
	.strictObject({
		mode: z
			.enum(DETECTOR_MODES)
			.openapi({ description: "`enforce` raises delivered alerts; `report-only` stores them marked as a trial, undelivered; `off` runs nothing." }),
		settings: z.record(z.string(), z.number()).openapi({
			description: `All of the detector's settings. ${DETECTOR_NAMES.map((name) => `\`${name}\`: ${Object.keys(DETECTOR_SETTINGS[name].shape).join(", ")}`).join("; ")}.`,
		}),
	})
	.openapi("DetectorInput");

const view = (row: DetectorRow) => ({ ...row, settings: row.settings as Record<string, number>, updated_at: new Date(row.updated_at).toISOString() });

/**
 * The careful-insider detectors (src/detection/insiders/): near-quota streaks, rings near quota,
 * reveals per leg held against peers, reveals after legs closed. They run hourly and raise alerts
 * naming the employee; ops tune them here, every change audited.
 */
export const detectorRoutes = createRouter();

detectorRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		operationId: "listDetectors",
		summary: "The careful-insider detectors with their modes and thresholds",
		tags: ["ops"],
		middleware: [ops] as const,
		responses: { 200: jsonResponse("Every detector.", z.object({ detectors: z.array(DetectorView) })), ...authenticatedErrors },
	}),
	async (c) => c.json({ detectors: (await new DetectorStore(c.env.DB).all()).map(view) }, 200),
);

detectorRoutes.openapi(
	createRoute({
		method: "put",
		path: "/{detector}",
		operationId: "putDetector",
		summary: "Set a detector's mode and thresholds (audited as detector.changed)",
		tags: ["ops"],
		middleware: [ops, jsonBody()] as const,
		request: { params: z.object({ detector: z.enum(DETECTOR_NAMES as [DetectorName, ...DetectorName[]]) }), body: jsonBodyOf(DetectorInput) },
		responses: {
			200: jsonResponse("The detector as stored.", DetectorView),
			...bodyErrors,
			...authenticatedErrors,
			...conflict("Another operator changed this detector meanwhile: read it again and retry."),
		},
	}),
	async (c) => {
		const { detector: name } = c.req.valid("param");
		const input = c.req.valid("json");
		const parsed = DETECTOR_SETTINGS[name].safeParse(input.settings);
		if (!parsed.success) {
			throw new ProblemError("validation-failed", {
				detail: `The settings break a rule of the ${name} detector; see errors, fix them and send all its settings again.`,
				extensions: {
					errors: parsed.error.issues.map((issue) => ({ pointer: `/settings/${issue.path.join("/")}`, code: issue.code, message: issue.message })),
				},
			});
		}
		const store = new DetectorStore(c.env.DB);
		const current = (await store.all()).find((row) => row.name === name) as DetectorRow;
		const principal = c.get("principal");
		const now = Date.now();
		const next: DetectorRow = { name, mode: input.mode, settings: parsed.data, version: current.version + 1, updated_by: principal.subject, updated_at: now };
		const { results } = await c.var.services.audit.appendWith(
			{
				kind: "detector.changed",
				at: now,
				actor: actorOf(principal),
				recordId: null,
				details: {
					detector: name,
					before: { mode: current.mode, settings: current.settings as Record<string, number> },
					after: { mode: next.mode, settings: next.settings as Record<string, number> },
				},
			},
			[store.put(next, current.version)],
			{ onlyIfChanged: true },
		);
		if ((results[0]?.meta.changes ?? 0) === 0) {
			throw new ProblemError("conflict", { detail: "Another operator changed this detector meanwhile: GET /v1/detectors and send your change again." });
		}
		return c.json(view(next), 200);
	},
);
