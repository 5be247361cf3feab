import { createRoute } from "@hono/zod-openapi";
import { actorOf } from "../audit/actor";
import { checkpointHead } from "../audit/checkpointing";
import { CheckpointStore } from "../audit/checkpoints";
import { FORGED_ENTRIES_READ } from "../audit/forged-entries";
import { requiredWitness } from "../audit/witness-client";
import { jsonBody } from "../http/json-body";
import { authenticatedErrors, bodyErrors, jsonBodyOf, jsonResponse } from "../http/openapi-responses";
import { opsOnly } from "../http/ops";
import { createRouter } from "../http/router";
import { attributeLeak } from "./attribute";
import { LeakStore } from "./leak-store";
import { AttributeInput, AttributionView } from "./schemas";

export const leakRoutes = createRouter();

leakRoutes.openapi(
	createRoute({
		method: "post",
		path: "/attribute",
		summary: "Trace a leaked list to the principals who revealed its records, with signed evidence",
		description: `Matches the list's phones through the blind index (every key of the ring), names the honeytokens in it (and, for a canary, its person), and ranks every principal who revealed or held a matched record by −log10 of the hypergeometric tail (README "Tracing a leak"). The list is never stored: only its SHA-256 and size, in a \`leak.attributed\` audit entry. \`report\` is a compact JWS (typ \`leak-report+jws\`) over the list's hash, the matched record ids and, per suspect, the audit entries (seq, hash) behind the figures and the checkpoint that covers them; \`npm run verify-evidence\` checks it against an audit export.

Bounded work: for 10,000 phones and a ring of R keys, ⌈10,000·R/1,000⌉ index reads, ⌈matched/500⌉ audit reads, one activity read, one population read, at most two checkpoint reads, at most 5 seal calls (21 round trips each), a checkpoint if the evidence is newer than the last, and one append: at most 10·R + ⌈matched/500⌉ + 140 D1 statements (180 with R = 2 and 10,000 matches), against the 1,000 per invocation D1 allows.`,
		tags: ["ops"],
		middleware: [opsOnly(), jsonBody()] as const,
		request: { body: jsonBodyOf(AttributeInput) },
		responses: { 200: jsonResponse("Matches, honeytokens, ranked suspects and the signed report.", AttributionView), ...bodyErrors, ...authenticatedErrors },
	}),
	async (c) => {
		const services = c.var.services;
		const [keyring, signingKey] = await Promise.all([services.keyring, services.signingKey]);
		const checkpoints = new CheckpointStore(c.env.DB);
		// Evidence needs the witness (what it judged forged, the checkpoint it plans): none, no report.
		const witness = () => requiredWitness(c.env);
		const view = await attributeLeak(
			{
				keyring,
				store: new LeakStore(c.env.DB),
				audit: services.audit,
				signingKey,
				employeeIssuer: services.issuers.employeeIssuer,
				forgedEntries: async () => witness().forgedEntrySeqs(FORGED_ENTRIES_READ),
				checkpointHead: async () => {
					const stub = witness();
					await services.audit.seal();
					await checkpointHead(services.audit, checkpoints, stub, signingKey, Date.now());
				},
			},
			c.req.valid("json"),
			actorOf(c.get("principal")),
			Date.now(),
		);
		return c.json(view, 200);
	},
);
