import { auditCheckpointInterval, keyringConfig, signingJwkConfig } from "../config";
import { keyringFor } from "../crypto/keyring";
import { signingKeyFor } from "../crypto/signing-key";
import type { Env } from "../env";
import { reportForgedRows } from "../integrity/forged-row-report";
import { settleCheckpoints } from "./checkpointing";
import { CheckpointStore } from "./checkpoints";
import { type EntryMacs, entryMacsOf } from "./entry-macs";
import { type AppendedEntry, AuditLog, type SealWitness } from "./log";
import { reportVanishedEntries } from "./vanished-entry-report";
import { auditWitnessFor } from "./witness-client";

/**
 * Critical alerts one seal raises for entries whose MAC failed, at most: one D1 batch of an insert
 * each, which the seal waits for. The witness keeps every one of them and verification lists them.
 */
const FORGED_ALERTS_PER_SEAL = 50;

/** Thrown by a seal when the deployment has no witness: sealing waits, like when it is unreachable. */
export class WitnessMissingError extends Error {
	override name = "WitnessMissingError";
}

/**
 * Every seal is told to the witness before D1 gets its hashes. If the witness cannot be reached
 * the seal throws and writes nothing: the entries stay unsealed (the database keeps them
 * append-only), appends go on, and the next seal (every SEAL_EVERY appends, every minute, and
 * before verification) takes them. Nothing is lost; sealing is only late.
 *
 * The witness answers with the checkpoints due (every multiple of AUDIT_CHECKPOINT_INTERVAL,
 * planned and linked by the witness in seq order): they are signed and stored once the seal is
 * written.
 */
export function witnessedSealing(env: Env): SealWitness {
	return async (from, linked, judged) => {
		const witness = auditWitnessFor(env);
		if (!witness) throw new WitnessMissingError("the AUDIT_WITNESS binding is missing");
		const store = new CheckpointStore(env.DB);
		const report = { from, heads: [...linked], interval: auditCheckpointInterval(env), at: Date.now(), ...(judged ? { entries: judged } : {}) };
		let answer = await witness.sealing(report);
		if (answer.anchorRequired) {
			// The first call already kept what it found of the entries (vanished ones are found once): keep its word on them.
			const first = answer;
			answer = await witness.sealing({ ...report, anchor: await store.latestLink() });
			answer = { ...answer, vanished: [...first.vanished, ...answer.vanished] };
		}
		if (answer.conflicts.length > 0) {
			// Hashes only: which seqs were witnessed differently, for whoever reads the worker's log.
			console.error(JSON.stringify({ event: "audit_witness_conflict", seqs: answer.conflicts.map((conflict) => conflict.seq) }));
		}
		// An entry whose MAC failed is linked like any other (the chain has no hole) and kept by the
		// witness as forged; its alert goes before the hashes are written, so a seal whose writes fail
		// judges it again when retried and raises it then (the alert's id makes that once a day).
		if (answer.forged.length > 0) {
			await reportForgedRows(env, answer.forged.slice(0, FORGED_ALERTS_PER_SEAL), Date.now()).catch((error: Error) => {
				console.error(JSON.stringify({ event: "forged_entry_report_failed", name: error.name }));
			});
		}
		if (answer.vanished.length > 0) {
			await reportVanishedEntries(env, answer.vanished, Date.now()).catch((error: Error) => {
				console.error(JSON.stringify({ event: "vanished_entry_report_failed", name: error.name }));
			});
		}
		const { pending } = answer;
		if (pending.length === 0) return undefined;
		return async () => {
			await settleCheckpoints(witness, store, await signingKeyFor(signingJwkConfig(env)), pending, Date.now());
		};
	};
}

/**
 * The audit log of the database a request, a cron run or an object's flush writes to. With `ctx`,
 * each append tells the witness what it wrote and entries are sealed every SEAL_EVERY appends, both
 * after the response (`waitUntil`), off the request's path, witnessed as above. Neither step can
 * fail the append: failures are logged, and the cron seals anyway.
 */
export function auditLogFor(env: Env, ctx?: Pick<ExecutionContext, "waitUntil">): AuditLog {
	const witness = witnessedSealing(env);
	const macs = entryMacsFor(env);
	if (!ctx) return new AuditLog(env.DB, macs, witness);
	const sealer = new AuditLog(env.DB, macs, witness);
	return new AuditLog(env.DB, macs, witness, (entries) => {
		const told = tellWitnessAppended(env, entries, ctx);
		ctx.waitUntil(told);
		// Sealing after every append would put three D1 statements behind each request (measured:
		// it held the single local D1 writer long enough to add milliseconds to the next ask); every
		// SEAL_EVERY entries (and the every-minute cron, and verification) keeps the unsealed tail
		// short. Unsealed entries are still append-only: the database refuses any other update.
		if (entries.some((entry) => entry.seq % SEAL_EVERY === 0)) {
			// After the witness was told, so the seal compares these entries with what it noted.
			ctx.waitUntil(
				told.then(() =>
					sealer.seal().catch((error: Error) => {
						console.error(JSON.stringify({ event: "audit_seal_failed", name: error.name, message: error.message }));
					}),
				),
			);
		}
		return told;
	});
}

/**
 * Tells the witness what an append wrote (seqs and MACs): after the response for a request's
 * append, before the entries leave its outbox for an object's flush. Until a seal links them, that
 * is what shows an entry deleted from D1's unsealed tail (witness.ts, `noteAppended`). It cannot
 * fail the append: a failure is logged, and the entries are sealed as any others.
 */
async function tellWitnessAppended(env: Env, entries: AppendedEntry[], ctx: Pick<ExecutionContext, "waitUntil">): Promise<void> {
	try {
		const witness = auditWitnessFor(env);
		if (!witness) return;
		const vanished = await witness.noteAppended(entries, Date.now());
		await reportVanishedEntries(env, vanished, Date.now(), ctx);
	} catch (error) {
		console.error(JSON.stringify({ event: "audit_append_note_failed", name: (error as Error).name }));
	}
}

/**
 * Seal once an append writes a seq that is a multiple of this. A seal's cost is mostly fixed (the
 * head and a page read, the witness's call and commit, one batch of updates), so how often it runs
 * matters more than how much it seals: at 16, 32 concurrent full reveals in `npm run bench` (about
 * 100 entries a second) started about six seals a second; at 64, a quarter as many. The tail this
 * leaves unsealed is still bounded in time by the every-minute cron, which at a few entries a
 * second is the bound that acts.
 */
export const SEAL_EVERY = 64;

/** The entries' MACs under VAULT_KEYRING, parsed on first use: a broken keyring fails (closed) only what writes or seals an entry. */
export function entryMacsFor(env: Env): EntryMacs {
	return entryMacsOf(() => keyringFor(keyringConfig(env)));
}
