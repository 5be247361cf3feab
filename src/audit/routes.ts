import { createRoute, z } from "@hono/zod-openapi";
import { auditCheckpointInterval, previousSigningKeysConfig, signingJwkConfig } from "../config";
import { signingKeyFor, verificationKeysFor } from "../crypto/signing-key";
import type { Env } from "../env";
import { authenticatedErrors, jsonResponse, unprocessable } from "../http/openapi-responses";
import { opsOnly } from "../http/ops";
import { createRouter } from "../http/router";
import { auditLogFor } from "./audit-log-for";
import { checkpointHead } from "./checkpointing";
import { CheckpointStore } from "./checkpoints";
import type { AuditEntry } from "./entry";
import { AuditPage, AuditQuery, CheckpointView, ExportQuery, ExportView, VerifyReportView } from "./schemas";
import { verifyAuditLog } from "./verify";

const ops = opsOnly();
const EXPORT_PAGE = 5000;

/**
 * Every key a checkpoint may have been signed with: the current one and each previous one, for as
 * long as it is configured (unlike reveal tokens, checkpoints never expire). Previous keys carry
 * `retired_at`, so whoever verifies offline can apply the same rule as `checkCheckpoint`.
 */
const checkpointKeys = (env: Env) => verificationKeysFor(signingJwkConfig(env), previousSigningKeysConfig(env));

const CheckpointJwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi({
	description: "Public keys of every checkpoint signature: the current key, then previous keys with `retired_at`.",
});

function view(entry: AuditEntry) {
	return {
		seq: entry.seq,
		at: new Date(entry.at).toISOString(),
		kind: entry.kind,
		actor: entry.actor === null ? null : { subject: entry.actor, issuer: entry.actor_issuer, role: entry.actor_role, depot: entry.actor_depot },
		record_id: entry.record_id,
		details: JSON.parse(entry.details) as Record<string, unknown>,
		prev_hash: entry.prev_hash,
		hash: entry.hash,
	};
}

export const auditRoutes = createRouter();

auditRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		summary: "Audit entries, newest first, filtered by actor, record, kind and time",
		tags: ["ops"],
		middleware: [ops] as const,
		request: { query: AuditQuery },
		responses: {
			200: jsonResponse("A page of entries; pass next_cursor as cursor for the next.", AuditPage),
			...authenticatedErrors,
			...unprocessable("Bad filter."),
		},
	}),
	async (c) => {
		const query = c.req.valid("query");
		const entries = await auditLogFor(c.env).query(
			{
				actor: query.actor,
				recordId: query.record_id,
				kind: query.kind,
				from: query.from,
				to: query.to,
				beforeSeq: query.cursor === undefined ? undefined : Number(query.cursor),
			},
			query.limit,
		);
		const last = entries.at(-1);
		return c.json({ entries: entries.map(view), next_cursor: entries.length === query.limit && last ? String(last.seq) : null }, 200);
	},
);

auditRoutes.openapi(
	createRoute({
		method: "get",
		path: "/verify",
		summary: "Walk the hash chain from the start and check every signed checkpoint; reports the first broken link",
		tags: ["ops"],
		middleware: [ops] as const,
		responses: { 200: jsonResponse("The verification report; `ok` is false on any break.", VerifyReportView), ...authenticatedErrors },
	}),
	async (c) => {
		const keys = await checkpointKeys(c.env);
		return c.json(await verifyAuditLog(auditLogFor(c.env), new CheckpointStore(c.env.DB), keys, auditCheckpointInterval(c.env), Date.now()), 200);
	},
);

auditRoutes.openapi(
	createRoute({
		method: "get",
		path: "/checkpoints",
		summary: "Signed checkpoints of the audit chain",
		tags: ["ops"],
		middleware: [ops] as const,
		responses: {
			200: jsonResponse(
				"Every checkpoint, ascending, with the public keys that verify them.",
				z.object({ checkpoints: z.array(CheckpointView), jwks: CheckpointJwks }),
			),
			...authenticatedErrors,
		},
	}),
	async (c) => {
		const keys = await checkpointKeys(c.env);
		return c.json({ checkpoints: await new CheckpointStore(c.env.DB).list(0, Number.MAX_SAFE_INTEGER), jwks: { keys: keys.map((key) => key.publicJwk) } }, 200);
	},
);

auditRoutes.openapi(
	createRoute({
		method: "post",
		path: "/checkpoints",
		summary: "Sign a checkpoint of the current head now",
		tags: ["ops"],
		middleware: [ops] as const,
		responses: {
			201: jsonResponse("The new checkpoint, or null if the head is already covered.", z.object({ checkpoint: CheckpointView.nullable() })),
			...authenticatedErrors,
		},
	}),
	async (c) => {
		const key = await signingKeyFor(signingJwkConfig(c.env));
		return c.json({ checkpoint: await checkpointHead(auditLogFor(c.env), new CheckpointStore(c.env.DB), key, Date.now()) }, 201);
	},
);

auditRoutes.openapi(
	createRoute({
		method: "get",
		path: "/export",
		summary: "A segment of the chain as stored, with the checkpoints and public keys an auditor needs to verify it offline",
		tags: ["ops"],
		middleware: [ops] as const,
		request: { query: ExportQuery },
		responses: { 200: jsonResponse(`Up to ${EXPORT_PAGE} entries; continue from next_from_seq.`, ExportView), ...authenticatedErrors },
	}),
	async (c) => {
		const { from_seq, to_seq } = c.req.valid("query");
		const log = auditLogFor(c.env);
		const entries = await log.range(from_seq, EXPORT_PAGE, to_seq);
		const last = entries.at(-1)?.seq ?? from_seq - 1;
		// Every key, not only those this segment's checkpoints name: the export verifies on its own.
		const keys = await checkpointKeys(c.env);
		return c.json(
			{
				entries,
				checkpoints: await new CheckpointStore(c.env.DB).list(from_seq, last),
				jwks: { keys: keys.map((key) => key.publicJwk) },
				next_from_seq: entries.length === EXPORT_PAGE ? last + 1 : null,
			},
			200,
		);
	},
);
