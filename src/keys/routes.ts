import { createRoute } from "@hono/zod-openapi";
import { keyRewrapBatchSize, keyringConfig } from "../config";
import { keyringFor } from "../crypto/keyring";
import type { Env } from "../env";
import { jsonBody } from "../http/json-body";
import { authenticatedErrors, bodyErrors, jsonResponse } from "../http/openapi-responses";
import { opsOnly } from "../http/ops";
import { createRouter } from "../http/router";
import { RowMacStore } from "../integrity/row-mac-store";
import { recordStoreFor } from "../records/record-store-for";
import { keyReport } from "./report";
import { rewrapToPrimary } from "./rewrap";
import { KeyIdParam, KeyReport, KeyUsage, RewrapInput, RewrapResult } from "./schemas";

const ops = opsOnly();

export const keyRoutes = createRouter();

keyRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		summary: "Keys in VAULT_KEYRING and in use: records per key id, and what the re-wrap job has left to move",
		tags: ["ops"],
		middleware: [ops] as const,
		responses: { 200: jsonResponse("Records per key id.", KeyReport), ...authenticatedErrors },
	}),
	async (c) => {
		const keyring = await keyringFor(keyringConfig(c.env));
		return c.json(keyReport(keyring, ...(await usage(c.env, c.executionCtx))), 200);
	},
);

keyRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{key_id}",
		summary: "Whether a key id is still in use, so it can be removed from VAULT_KEYRING safely",
		tags: ["ops"],
		middleware: [ops] as const,
		request: { params: KeyIdParam },
		responses: { 200: jsonResponse("The key's use; `removable` says whether removing it loses anything.", KeyUsage), ...authenticatedErrors },
	}),
	async (c) => {
		const { key_id } = c.req.valid("param");
		const keyring = await keyringFor(keyringConfig(c.env));
		const report = keyReport(keyring, ...(await usage(c.env, c.executionCtx)));
		const found = report.keys.find((key) => key.key_id === key_id) ?? { key_id, configured: false, primary: false, records: 0, macs: 0, removable: false };
		return c.json(found, 200);
	},
);

keyRoutes.openapi(
	createRoute({
		method: "post",
		path: "/rewrap",
		summary: "Run the re-wrap job now: move records from older keys to the primary, in batches",
		description:
			"The same job the every-minute cron runs. Resumable and idempotent: each batch is one transaction with its audit entry, and whatever is left under an old key is taken by the next call or cron run.",
		tags: ["ops"],
		middleware: [ops, jsonBody()] as const,
		request: { body: { required: true, content: { "application/json": { schema: RewrapInput } } } },
		responses: { 200: jsonResponse("What this run moved, and the progress after it.", RewrapResult), ...bodyErrors, ...authenticatedErrors },
	}),
	async (c) => {
		const input = c.req.valid("json");
		const keyring = await keyringFor(keyringConfig(c.env));
		const store = recordStoreFor(c.env, c.executionCtx);
		const run = await rewrapToPrimary(store, keyring, { now: Date.now(), batchSize: keyRewrapBatchSize(c.env), maxBatches: input.max_batches ?? 10 });
		return c.json({ ...run, progress: keyReport(keyring, ...(await usage(c.env, c.executionCtx))) }, 200);
	},
);

/** Records per data-key id, and rows per MAC key id: what a key is still needed for. */
async function usage(env: Env, ctx: Pick<ExecutionContext, "waitUntil">): Promise<[Record<string, number>, Record<string, number>]> {
	return Promise.all([recordStoreFor(env, ctx).countByKeyId(), new RowMacStore(env.DB).countByMacKey()]);
}
