import { auditCheckpointInterval, keyringConfig, previousSigningKeysConfig, signingJwkConfig } from "../config";
import { keyringFor } from "../crypto/keyring";
import { signingKeyFor, verificationKeysFor } from "../crypto/signing-key";
import type { Env } from "../env";
import { reportForgedRows } from "../integrity/forged-row-report";
import { RowMacStore } from "../integrity/row-mac-store";
import { advanceRowScan, legacyStates } from "../integrity/row-scan";
import { storedIssuerOf } from "../integrity/sign-legacy-rows";
import { archivePastDays } from "./archive";
import { auditLogFor } from "./audit-log-for";
import { checkpointHead } from "./checkpointing";
import { CheckpointStore } from "./checkpoints";
import { advanceFullVerification, startFullVerification } from "./full-verification";
import { reportVanishedEntries } from "./vanished-entry-report";
import { auditWitnessFor } from "./witness-client";

/**
 * Seal calls per every-minute run at most: 5 × 2,000 entries, at most 120 D1 round trips. A
 * backlog left by a witness outage drains at 10,000 entries a minute.
 */
const SEAL_CALLS_PER_RUN = 5;

/** Every key a checkpoint may have been signed with: the current one and each previous one. */
export const checkpointKeys = (env: Env) => verificationKeysFor(signingJwkConfig(env), previousSigningKeysConfig(env));

/** Every minute: seal what is pending (witnessed first), as much as a run allows. */
export async function sealPending(env: Env): Promise<number> {
	const log = auditLogFor(env);
	let outcome = await log.sealSome();
	for (let call = 1; call < SEAL_CALLS_PER_RUN && outcome.more; call++) outcome = await log.sealSome();
	return outcome.head.seq;
}

/** Noted entries one every-minute check compares with D1 at most: one witness call and one D1 read. */
const TAIL_CHECKED_PER_RUN = 500;
/** Vanished entries whose alert is raised (again) per run at most: one D1 batch. */
const UNALERTED_RAISED_PER_RUN = 50;

/**
 * Every minute: the entries appended and not sealed yet, as the witness noted them, against D1. An
 * entry is noted only once D1 took it, and the database refuses to delete or change one, so a seq
 * D1 no longer holds, or holds with another MAC, is an entry deleted with raw database access
 * before any seal covered it: kept by the witness for good, and a critical alert, raised again
 * here for any finding whose alert D1 did not confirm (it failed, or its seal stopped before it).
 */
export async function checkUnsealedTail(
	env: Env,
	now: number,
	ctx?: Pick<ExecutionContext, "waitUntil">,
): Promise<string | { checked: number; vanished: number }> {
	const witness = auditWitnessFor(env);
	if (!witness) return "not_configured";
	const noted = await witness.unsealedAppended(TAIL_CHECKED_PER_RUN);
	const held = await auditLogFor(env).macsAt(noted.map((entry) => entry.seq));
	const gone = noted
		.filter((entry) => held.get(entry.seq) !== entry.mac)
		.map((entry) => ({ ...entry, found: held.has(entry.seq) ? (held.get(entry.seq) ?? "") : null }));
	const vanished = gone.length > 0 ? await witness.noteVanished(gone, now) : [];
	// Those just found are among the unalerted: one report raises them all.
	await reportVanishedEntries(env, await witness.unalertedVanished(UNALERTED_RAISED_PER_RUN), now, ctx);
	return { checked: noted.length, vanished: vanished.length };
}

/** Every minute: one slice of the full re-verification (the chain's and the row scan's), if one is running. */
export async function continueFullVerification(env: Env, now: number): Promise<string | { checked_through: number; finished: boolean }> {
	const witness = auditWitnessFor(env);
	if (!witness) return "not_configured";
	const run = await advanceFullVerification(
		auditLogFor(env),
		new CheckpointStore(env.DB),
		witness,
		await checkpointKeys(env),
		auditCheckpointInterval(env),
		async (scan) =>
			advanceRowScan(
				{
					store: new RowMacStore(env.DB),
					keyring: await keyringFor(keyringConfig(env)),
					legacy: await legacyStates((set) => witness.legacyRowsSigned(set)),
					stored: storedIssuerOf(env),
					report: (rows) => reportForgedRows(env, rows, now),
				},
				scan,
			),
		now,
	);
	return run ? { checked_through: run.next_seq - 1, finished: run.finished_at !== null } : "idle";
}

/** Hourly: a new full re-verification once the last one has finished. */
export async function startFullVerificationIfIdle(env: Env, now: number): Promise<string | number> {
	const witness = auditWitnessFor(env);
	if (!witness) return "not_configured";
	const { full } = await witness.state(0);
	if (full && full.finished_at === null) return "running";
	const run = await startFullVerification(auditLogFor(env), witness, await checkpointKeys(env), auditCheckpointInterval(env), now);
	return run ? run.target_seq : "raced";
}

/** Hourly: a signed checkpoint of the sealed head, so one exists at least hourly however quiet the vault is. */
export async function checkpointHourly(env: Env, now: number): Promise<number | null> {
	const witness = auditWitnessFor(env);
	if (!witness) throw new Error("the AUDIT_WITNESS binding is missing");
	const log = auditLogFor(env);
	await log.seal();
	return (await checkpointHead(log, new CheckpointStore(env.DB), witness, await signingKeyFor(signingJwkConfig(env)), now))?.seq ?? null;
}

/** Hourly: the sealed entries of past days to the archive bucket, as signed segments. */
export async function archiveHourly(env: Env, now: number): Promise<string | { segments: number; through_seq: number | null; stopped: string | null }> {
	const witness = auditWitnessFor(env);
	if (!witness || !env.AUDIT_ARCHIVE) return "not_configured";
	const run = await archivePastDays(auditLogFor(env), new CheckpointStore(env.DB), witness, env.AUDIT_ARCHIVE, await signingKeyFor(signingJwkConfig(env)), now);
	if (run.stopped) console.error(JSON.stringify({ event: "audit_archive_stopped", reason: run.stopped }));
	return { segments: run.written.length, through_seq: run.written.at(-1)?.last_seq ?? null, stopped: run.stopped };
}
