import type { Checkpoint, CheckpointLink } from "../crypto/checkpoint-token";

export interface StoredCheckpoint extends Checkpoint {
	signature: string;
}

const COLUMNS = "seq, hash, at, signature";

export class CheckpointStore {
	constructor(private readonly db: D1Database) {}

	/** Idempotent: a second copy of the same checkpoint (two signers settling it) is ignored. */
	async save(checkpoint: StoredCheckpoint): Promise<void> {
		await this.saveAll([checkpoint]);
	}

	/** Several checkpoints in one D1 round trip (one bound parameter, json_each), each idempotent. */
	async saveAll(checkpoints: readonly StoredCheckpoint[]): Promise<void> {
		if (checkpoints.length === 0) return;
		const rows = checkpoints.map(({ seq, hash, at, signature }) => ({ seq, hash, at, signature }));
		await this.db
			.prepare(
				`INSERT INTO audit_checkpoints (${COLUMNS})
				 SELECT value ->> '$.seq', value ->> '$.hash', value ->> '$.at', value ->> '$.signature' FROM json_each(?1) WHERE true
				 ON CONFLICT (seq) DO NOTHING`,
			)
			.bind(JSON.stringify(rows))
			.run();
	}

	async latest(): Promise<StoredCheckpoint | null> {
		return this.db.prepare(`SELECT ${COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`).first<StoredCheckpoint>();
	}

	/** The newest checkpoint D1 holds, as the next checkpoint's link names it. */
	async latestLink(): Promise<CheckpointLink | null> {
		const latest = await this.latest();
		return latest ? { seq: latest.seq, hash: latest.hash } : null;
	}

	async list(fromSeq: number, toSeq: number): Promise<StoredCheckpoint[]> {
		const { results } = await this.db
			.prepare(`SELECT ${COLUMNS} FROM audit_checkpoints WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq`)
			.bind(fromSeq, toSeq)
			.all<StoredCheckpoint>();
		return results;
	}

	/**
	 * The checkpoints at these seqs that exist, and how many exist from `countFrom` on: one round
	 * trip for verification's spot checks against the witness.
	 */
	async spotCheck(seqs: readonly number[], countFrom: number): Promise<{ found: StoredCheckpoint[]; count: number }> {
		const [found, counted] = await this.db.batch([
			this.db.prepare(`SELECT ${COLUMNS} FROM audit_checkpoints WHERE seq IN (SELECT value FROM json_each(?1)) ORDER BY seq`).bind(JSON.stringify(seqs)),
			this.db.prepare("SELECT count(*) AS n FROM audit_checkpoints WHERE seq >= ?1").bind(countFrom),
		]);
		return { found: (found?.results ?? []) as StoredCheckpoint[], count: ((counted?.results[0] as { n: number } | undefined)?.n ?? 0) as number };
	}
}
