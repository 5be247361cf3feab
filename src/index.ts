import { app } from "./app";
import { entriesFoundForged } from "./audit/forged-entries";
import { archiveHourly, checkpointHourly, checkUnsealedTail, continueFullVerification, sealPending, startFullVerificationIfIdle } from "./audit/housekeeping";
import { issuerDirectory } from "./auth/issuer-directory";
import { endDueCallsIn } from "./calls/end-calls";
import { keyRewrapBatchSize, keyringConfig, retentionDefaultDays, retentionEraseBatchSize, trustedIssuersConfig } from "./config";
import { keyringFor } from "./crypto/keyring";
import { AlertStore } from "./detection/alert-store";
import { deliverDueAlerts } from "./detection/deliver-alerts";
import { HoneytokenStore } from "./detection/honeytoken-store";
import { DetectorStore } from "./detection/insiders/detector-store";
import { scanForCarefulInsiders } from "./detection/insiders/scan";
import { WorkStatsStore } from "./detection/insiders/work-stats-store";
import { renewHoneytokens } from "./detection/renew-honeytokens";
import type { Env } from "./env";
import { IdempotencyStore } from "./idempotency/store";
import { legsFoundForged } from "./integrity/forged-legs";
import { remacToPrimary } from "./integrity/remac-rows";
import { rowTrustFor } from "./integrity/row-trust-for";
import { signLegacyRows } from "./integrity/sign-legacy-rows";
import { rewrapToPrimary } from "./keys/rewrap";
import { PolicyStore } from "./limits/policy-store";
import { recordEmployeeIssuer } from "./principal/record-employee-issuer";
import { eraseExpired } from "./records/erase-expired";
import { recordStoreFor } from "./records/record-store-for";
import { remaskStale } from "./records/remask";

/** Batches per minute: at the default sizes, 1,000 records re-wrapped and 10,000 expired records erased. */
const REWRAP_BATCHES_PER_RUN = 10;
const RETENTION_BATCHES_PER_RUN = 20;
const HONEYTOKENS_RENEWED_PER_RUN = 50;

export { AuditWitness } from "./audit/witness";
export { DepotLedger } from "./limits/depot-ledger";
export { PrincipalLimiter } from "./limits/principal-limiter";
/** Records over Workers RPC for courier services on Workers (README "Workers RPC"). */
export { CourierRecords } from "./rpc/courier-records";

export default {
	fetch: app.fetch,

	/** Housekeeping on the two schedules of wrangler.toml `triggers.crons`. */
	async scheduled(controller, env, ctx) {
		const now = controller.scheduledTime;
		const steps: Record<string, () => Promise<unknown>> = controller.cron === "* * * * *" ? everyMinute(env, now, ctx) : hourly(env, now);
		// Each step on its own: a broken signing key must not stop the purges, nor the other way round.
		const outcomes = await Promise.allSettled(Object.values(steps).map((step) => step()));
		const report = Object.fromEntries(
			Object.keys(steps).map((name, i) => [
				name,
				outcomes[i]?.status === "fulfilled" ? outcomes[i].value : `failed: ${(outcomes[i] as PromiseRejectedResult).reason?.name}`,
			]),
		);
		console.log(JSON.stringify({ event: "housekeeping", cron: controller.cron, ...report }));
		if (outcomes.some((outcome) => outcome.status === "rejected")) throw new Error("housekeeping step failed; see the log line before");
	},
} satisfies ExportedHandler<Env>;

/**
 * Every minute: seal the audit tail (witnessed), check the unsealed tail against what the witness noted, advance the full re-verification of the audit
 * chain by one slice, retry alert deliveries, end calls that outlived their leg, move records to the primary key (the re-wrap job)
 * and erase what has expired (the retention job). Each takes bounded batches per run and resumes
 * where it stopped.
 */
function everyMinute(env: Env, now: number, ctx: ExecutionContext): Record<string, () => Promise<unknown>> {
	// With the run's context, the jobs' audit entries tell the witness what they wrote, as a request's do.
	const store = () => recordStoreFor(env, ctx);
	return {
		audit_sealed: () => sealPending(env),
		audit_tail_checked: () => checkUnsealedTail(env, now, ctx),
		audit_full_verification: () => continueFullVerification(env, now),
		alerts_delivered: async () => (env.ALERT_WEBHOOK_URL ? deliverDueAlerts(new AlertStore(env.DB), env.ALERT_WEBHOOK_URL, now) : "not_configured"),
		rewrap: async () => {
			const keyring = await keyringFor(keyringConfig(env));
			// Only records under a configured old key are read (an index seek, nothing when the ring has
			// one key): counting every record per key each minute would read the whole table.
			const run = await rewrapToPrimary(store(), keyring, { now, batchSize: keyRewrapBatchSize(env), maxBatches: REWRAP_BATCHES_PER_RUN });
			return { ...run, failed: run.failed.length };
		},
		honeytokens_renewed: async () =>
			renewHoneytokens(store(), new HoneytokenStore(env.DB), await keyringFor(keyringConfig(env)), {
				now,
				limit: HONEYTOKENS_RENEWED_PER_RUN,
				defaultRetentionMs: retentionDefaultDays(env) * 86_400_000,
			}),
		issuers_recorded: () => recordEmployeeIssuer(env),
		// Privacy-number bindings that outlived their leg (a grace period ended) or whose unbind failed.
		calls_ended: () => endDueCallsIn(env, now, undefined, ctx),
		// Row MACs (src/integrity/): rows from before migration 0014 MACed as they are, then rows under an older key moved to the primary.
		row_macs_legacy: () => signLegacyRows(env),
		row_macs_renewed: () => remacToPrimary(env),
		// Masks computed by older rules, recomputed from the plaintext (src/records/remask.ts).
		remask: async () => {
			const run = await remaskStale(store(), await keyringFor(keyringConfig(env)));
			return { ...run, failed: run.failed.length };
		},
		retention: async () => {
			return eraseExpired(store(), {
				now,
				batchSize: retentionEraseBatchSize(env),
				maxBatches: RETENTION_BATCHES_PER_RUN,
				defaultRetentionMs: retentionDefaultDays(env) * 86_400_000,
			});
		},
	};
}

/**
 * Hourly: a signed checkpoint of the audit head (so one exists at least hourly however quiet the
 * vault is), a new full re-verification once the last has finished, past days' audit segments to
 * the archive, and purges.
 */
function hourly(env: Env, now: number): Record<string, () => Promise<unknown>> {
	return {
		checkpoint: () => checkpointHourly(env, now),
		audit_full_verification_started: () => startFullVerificationIfIdle(env, now),
		audit_archived: () => archiveHourly(env, now),
		idempotency_keys_purged: () => new IdempotencyStore(env.DB).purgeExpired(now),
		careful_insiders_scanned: async () =>
			scanForCarefulInsiders(
				{
					// Legs verification found forged count for nothing (src/integrity/forged-legs.ts says why not each leg's MAC here).
					// Entries the witness judged forged as they were sealed count for nothing either.
					stats: new WorkStatsStore(env.DB, await legsFoundForged(env), await entriesFoundForged(env)),
					alerts: new AlertStore(env.DB),
					detectors: await new DetectorStore(env.DB).all(),
					// Only layers whose MAC holds: a forged layer moves no detection threshold either.
					policies: await new PolicyStore(env.DB, (issuer) => issuerDirectory(trustedIssuersConfig(env)).stored(issuer), rowTrustFor(env)).all(),
					webhookConfigured: Boolean(env.ALERT_WEBHOOK_URL),
				},
				now,
			),
	};
}
