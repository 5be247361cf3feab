import { keyringConfig } from "../config";
import { keyringFor } from "../crypto/keyring";
import type { Env } from "../env";
import { reportForgedRows } from "./forged-row-report";
import { refreshLegacyState } from "./legacy-rows";
import { RowTrust } from "./row-trust";

/**
 * A forged policy layer is met on every read of the layers (every few seconds per isolate): each
 * isolate reports a row once in this long. The alert is once a day anyway (its id); the witness
 * keeps the last time it was met.
 */
const REPORT_AGAIN_MS = 600_000;
const lastReported = new Map<string, number>();

/**
 * The row MACs of a request or job. The keyring is parsed on first use, so a broken VAULT_KEYRING
 * fails (closed, 503) only what reads or writes such a row. Forged rows are reported after the
 * response when there is one (`waitUntil`), else in the background of the job.
 */
export function rowTrustFor(env: Env, ctx?: Pick<ExecutionContext, "waitUntil">): RowTrust {
	refreshLegacyState(env, ctx, Date.now());
	return new RowTrust(
		() => keyringFor(keyringConfig(env)),
		(rows) => {
			const now = Date.now();
			const fresh = rows.filter((row) => {
				const key = `${row.table}\n${row.key}\n${row.reason}`;
				if (now - (lastReported.get(key) ?? 0) < REPORT_AGAIN_MS) return false;
				lastReported.set(key, now);
				return true;
			});
			const reported = reportForgedRows(env, fresh, now, ctx);
			if (ctx) ctx.waitUntil(reported);
		},
	);
}
