import type { Checkpoint } from "../crypto/checkpoint-token";

export interface StoredCheckpoint extends Checkpoint {
	signature: string;
}

export class CheckpointStore {
	constructor(private readonly db: D1Database) {}

	/** Idempotent: a second checkpoint of the same entry (cron and append racing) is ignored. */
	async save(checkpoint: StoredCheckpoint): Promise<void> {
		await this.db
			.prepare("INSERT INTO audit_checkpoints (seq, hash, at, signature) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (seq) DO NOTHING")
			.bind(checkpoint.seq, checkpoint.hash, checkpoint.at, checkpoint.signature)
			.run();
	}

	async latest(): Promise<StoredCheckpoint | null> {
		return this.db.prepare("SELECT seq, hash, at, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1").first<StoredCheckpoint>();
	}

	async list(fromSeq: number, toSeq: number): Promise<StoredCheckpoint[]> {
		const { results } = await this.db
			.prepare("SELECT seq, hash, at, signature FROM audit_checkpoints WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq")
			.bind(fromSeq, toSeq)
			.all<StoredCheckpoint>();
		return results;
	}
}
