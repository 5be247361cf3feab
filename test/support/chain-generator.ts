import { env } from "cloudflare:workers";
import { witnessedSealing } from "../../src/audit/audit-log-for";
import { type AuditEntry, entryHash, GENESIS_HASH } from "../../src/audit/entry";
import type { Head } from "../../src/audit/log";
import type { Env } from "../../src/env";
import { asDba } from "./dba";

const ROWS_PER_STATEMENT = 1000;
const STATEMENTS_PER_BATCH = 50;
/** Heads per report to the witness: what a long run of seals would have told it. */
const HEADS_PER_REPORT = 5000;

const COLUMNS = "seq, at, kind, actor, actor_issuer, actor_role, actor_depot, record_id, details, prev_hash, hash";
/** One bound parameter per statement however many rows (D1 allows 100), as log.ts appends. */
const INSERT_FROM_JSON = `INSERT INTO audit_log (${COLUMNS})
SELECT value ->> '$.seq', value ->> '$.at', value ->> '$.kind', value ->> '$.actor', value ->> '$.actor_issuer', value ->> '$.actor_role',
       value ->> '$.actor_depot', value ->> '$.record_id', value ->> '$.details', value ->> '$.prev_hash', value ->> '$.hash'
FROM json_each(?1) ORDER BY key`;

/**
 * Appends `count` sealed entries after the current head, fast: hashed here, inserted with plain SQL
 * in batches (triggers dropped, as only a generator may), and told to the witness exactly as the
 * sealer tells it, so the checkpoints at every multiple of the interval are planned, signed and
 * stored by the vault's own code. Returns the new head.
 */
export async function generateChain(count: number, withEnv: Env): Promise<Head> {
	const start = (await env.DB.prepare("SELECT seq, hash FROM audit_log WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1").first<Head>()) ?? {
		seq: 0,
		hash: GENESIS_HASH,
	};
	const witness = witnessedSealing(withEnv);
	const t0 = Date.now();
	let head = start;
	let statements: D1PreparedStatement[] = [];
	let rows: AuditEntry[] = [];
	let pendingHeads: Head[] = [];
	let reportedFrom = start;
	const flushRows = () => {
		if (rows.length > 0) statements.push(env.DB.prepare(INSERT_FROM_JSON).bind(JSON.stringify(rows)));
		rows = [];
	};
	const flushStatements = async () => {
		if (statements.length > 0) await asDba(() => env.DB.batch(statements));
		statements = [];
	};
	const report = async () => {
		if (pendingHeads.length === 0) return;
		const afterWrite = await witness(reportedFrom, pendingHeads);
		await flushRows();
		await flushStatements();
		await afterWrite?.();
		reportedFrom = pendingHeads.at(-1) as Head;
		pendingHeads = [];
	};
	for (let i = 1; i <= count; i++) {
		const seq = start.seq + i;
		const content = {
			seq,
			at: t0 + i,
			kind: i % 3 === 0 ? "reveal.granted" : "record.created",
			actor: `actor-${i % 97}`,
			actor_issuer: "https://issuer.test.contact-vault",
			actor_role: i % 3 === 0 ? "courier" : null,
			actor_depot: i % 3 === 0 ? `D${i % 13}` : null,
			record_id: `rec-${seq}`,
			details: i % 3 === 0 ? '{"fields":["phone"],"purpose":"delivery"}' : "{}",
			prev_hash: head.hash,
		};
		const hash = await entryHash(content);
		rows.push({ ...content, hash });
		head = { seq, hash };
		pendingHeads.push(head);
		if (rows.length === ROWS_PER_STATEMENT) flushRows();
		if (statements.length === STATEMENTS_PER_BATCH) await flushStatements();
		if (pendingHeads.length === HEADS_PER_REPORT) await report();
	}
	await report();
	return head;
}
