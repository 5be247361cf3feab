import { keyringConfig } from "../config";
import { keyringFor } from "../crypto/keyring";
import type { Env } from "../env";
import { reportForgedRows } from "./forged-row-report";
import { refreshLegacyState } from "./legacy-rows";
import { RowTrust } from "./row-trust";

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
			const reported = reportForgedRows(env, rows, Date.now(), ctx);
			if (ctx) ctx.waitUntil(reported);
		},
	);
}
