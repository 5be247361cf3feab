import { createRoute, z } from "@hono/zod-openapi";
import { auditCheckpointInterval, signingJwkConfig } from "../config";
import { signingKeyFor } from "../crypto/signing-key";
import type { Env } from "../env";
import { authenticatedErrors, jsonResponse, unprocessable } from "../http/openapi-responses";
import { opsOnly } from "../http/ops";
import { createRouter } from "../http/router";
import { wireDetails, wireTime } from "../http/wire-time";
import { ROW_SCAN_PAGE, ROW_SCAN_PAGES_PER_SLICE } from "../integrity/row-scan";
import { ROW_CHECK_QUERY_BOUND, verifyRows } from "../integrity/verify-rows";
import { auditLogFor } from "./audit-log-for";
import { checkpointHead } from "./checkpointing";
import { CheckpointStore, type StoredCheckpoint } from "./checkpoints";
import type { AuditEntry } from "./entry";
import { auditFreshness } from "./freshness";
import { startFullVerification } from "./full-verification";
import { checkpointKeys } from "./housekeeping";
import { AuditPage, AuditQuery, CheckpointView, ExportQuery, ExportView, FullVerificationView, VerifyReportView } from "./schemas";
import { fullView, verifyAuditLog } from "./verify";
import { FULL_PAGES_PER_SLICE, FULL_SLICE_QUERY_BOUND, VERIFY_PAGE, VERIFY_PAGES_PER_REQUEST, VERIFY_QUERY_BOUND } from "./verify-budget";
import { auditWitnessFor, forgedEntriesUnread, requiredWitness } from "./witness-client";

const ops = opsOnly();
const EXPORT_PAGE = 5000;

/**
 * `checkpointKeys`: every key a checkpoint may have been signed with, the current one and each
 * previous one, for as long as it is configured (unlike reveal tokens, checkpoints never expire).
 * Previous keys carry `retired_at`, so whoever verifies offline can apply the same rule as
 * `checkCheckpoint`.
 */

const VERIFY_DESCRIPTION = `Seals what is pending (the witness sees every seal first), then verifies from the last verified checkpoint towards the sealed head: every entry's hash and link, every checkpoint's signature, entry and link to the checkpoint before, and D1 against the witness (a Durable Object outside D1): a tail shorter than the witness's head (\`tail_truncated\`), a different hash at a witnessed seq (\`hash_differs\`, \`sealed_differently\`), a chain sealed past what any seal told the witness (\`sealed_unwitnessed\`), an entry linked whose MAC failed as it was sealed (\`entry_forged\`), an entry appended and deleted from D1 before its seal (\`entry_vanished\`), a checkpoint missing or altered, an archived segment that D1 no longer matches, each with its seq.

Bounded at any size of the chain: one request walks at most ${VERIFY_PAGES_PER_REQUEST * VERIFY_PAGE} entries and makes at most ${VERIFY_QUERY_BOUND} D1 queries; \`complete\` is false while the chain past the last verified checkpoint is longer, and the next request continues. The full re-verification from the genesis runs as a job, ${FULL_PAGES_PER_SLICE * VERIFY_PAGE} entries a minute from the cron (started hourly once the last has finished, or now with \`POST /v1/audit/verify/full\`); its progress and findings are \`full_verification\`. Beside the chain, each slice of that job scans every MACed row (policy layers, status rows, records with their honeytoken bit, legs, shipment events, alert triage) in primary-key order, ${ROW_SCAN_PAGES_PER_SLICE * ROW_SCAN_PAGE} rows a minute, at most ${FULL_SLICE_QUERY_BOUND} D1 queries per slice in all; forged rows are alerted and listed in \`full_verification.rows\`.

\`ok\` is true only when nothing was found, the witness was compared, and the last full re-verification found nothing. When the witness cannot be reached, \`witness.status\` says so, \`ok\` is false, and sealing waits (\`sealing.status: delayed\`) without losing an entry.

\`rows\` checks the rows that grant or withhold access against their MACs (policy layers and status rows all of them, records and shipment events those a reader found forged, kept by the witness, legs that grant now, alerts past open), in at most ${ROW_CHECK_QUERY_BOUND} more D1 queries; any row whose MAC fails now makes \`ok\` false, and so does any the last finished full scan found (\`full_verification.rows\`).`;

const CheckpointJwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi({
	description: "Public keys of every checkpoint signature: the current key, then previous keys with `retired_at`.",
});

function view(entry: AuditEntry, forged: ReadonlySet<number>) {
	return {
		seq: entry.seq,
		at: new Date(entry.at).toISOString(),
		kind: entry.kind,
		actor: entry.actor === null ? null : { subject: entry.actor, issuer: entry.actor_issuer, role: entry.actor_role, depot: entry.actor_depot },
		record_id: entry.record_id,
		details: wireDetails(JSON.parse(entry.details)) as Record<string, unknown>,
		prev_hash: entry.prev_hash,
		hash: entry.hash,
		forged: entry.hash === null ? null : forged.has(entry.seq),
	};
}

/** Which entries of a page the witness judged forged as they were sealed: only sealed ones were judged. */
async function forgedOf(env: Env, entries: readonly AuditEntry[]): Promise<Set<number>> {
	const sealed = entries.filter((entry) => entry.hash !== null).map((entry) => entry.seq);
	if (sealed.length === 0) return new Set();
	// A page read without the witness would show a forged entry as genuine: refused, as leak attribution is.
	const witness = requiredWitness(env);
	try {
		return new Set(await witness.forgedAmong(sealed));
	} catch (cause) {
		throw forgedEntriesUnread(cause);
	}
}

/** A checkpoint on the wire; its signature's payload keeps the instant as signed. */
const checkpointView = ({ seq, hash, at, signature }: StoredCheckpoint) => ({ seq, hash, at: wireTime(at), signature });

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
		const log = auditLogFor(c.env);
		const [entries, freshness] = await Promise.all([
			log.query(
				{
					actor: query.actor,
					recordId: query.record_id,
					kind: query.kind,
					from: query.from,
					to: query.to,
					beforeSeq: query.cursor === undefined ? undefined : Number(query.cursor),
				},
				query.limit,
			),
			auditFreshness(log),
		]);
		const last = entries.at(-1);
		const forged = await forgedOf(c.env, entries);
		return c.json(
			{ entries: entries.map((entry) => view(entry, forged)), next_cursor: entries.length === query.limit && last ? String(last.seq) : null, freshness },
			200,
		);
	},
);

auditRoutes.openapi(
	createRoute({
		method: "get",
		path: "/verify",
		summary: "Verify the audit chain against its signed checkpoints, its witness and its archive, in bounded steps",
		description: VERIFY_DESCRIPTION,
		tags: ["ops"],
		middleware: [ops] as const,
		responses: { 200: jsonResponse("The verification report; `ok` is false on any finding.", VerifyReportView), ...authenticatedErrors },
	}),
	async (c) => {
		const keys = await checkpointKeys(c.env);
		const log = auditLogFor(c.env);
		const chain = await verifyAuditLog(log, new CheckpointStore(c.env.DB), auditWitnessFor(c.env), keys, auditCheckpointInterval(c.env), Date.now());
		const [rows, freshness] = await Promise.all([verifyRows(c.env, Date.now(), c.executionCtx), auditFreshness(log)]);
		return c.json({ ...chain, ok: chain.ok && rows.problems.length === 0, rows, freshness }, 200);
	},
);

auditRoutes.openapi(
	createRoute({
		method: "post",
		path: "/verify/full",
		summary: "Start a full re-verification of the audit chain now",
		description: `Restarts the job that walks the whole chain from the genesis to the current sealed head, ${FULL_PAGES_PER_SLICE * VERIFY_PAGE} entries per every-minute cron run, and scans every MACed row, ${ROW_SCAN_PAGES_PER_SLICE * ROW_SCAN_PAGE} rows per run (at most ${FULL_SLICE_QUERY_BOUND} D1 queries per run in all); \`GET /v1/audit/verify\` reports its progress as \`full_verification\`.`,
		tags: ["ops"],
		middleware: [ops] as const,
		responses: {
			202: jsonResponse("The job as started.", z.object({ full_verification: FullVerificationView })),
			...authenticatedErrors,
		},
	}),
	async (c) => {
		const witness = requiredWitness(c.env);
		const run = await startFullVerification(auditLogFor(c.env), witness, await checkpointKeys(c.env), auditCheckpointInterval(c.env), Date.now());
		const view = fullView(run ?? (await witness.state(0)).full);
		if (!view) throw new Error("full verification did not start");
		return c.json({ full_verification: view }, 202);
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
		return c.json(
			{
				checkpoints: (await new CheckpointStore(c.env.DB).list(0, Number.MAX_SAFE_INTEGER)).map(checkpointView),
				jwks: { keys: keys.map((key) => key.publicJwk) },
			},
			200,
		);
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
		const witness = requiredWitness(c.env);
		const key = await signingKeyFor(signingJwkConfig(c.env));
		const log = auditLogFor(c.env);
		await log.seal();
		const checkpoint = await checkpointHead(log, new CheckpointStore(c.env.DB), witness, key, Date.now());
		return c.json({ checkpoint: checkpoint && checkpointView(checkpoint) }, 201);
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
		const [keys, freshness] = await Promise.all([checkpointKeys(c.env), auditFreshness(log)]);
		return c.json(
			{
				entries,
				checkpoints: (await new CheckpointStore(c.env.DB).list(from_seq, last)).map(checkpointView),
				jwks: { keys: keys.map((key) => key.publicJwk) },
				next_from_seq: entries.length === EXPORT_PAGE ? last + 1 : null,
				freshness,
			},
			200,
		);
	},
);
