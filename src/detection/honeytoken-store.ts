export interface HoneytokenRow {
	record_id: string;
	depot: string | null;
	label: string | null;
	planted_by: string;
	planted_at: number;
	/** The record this one continues (see renew-honeytokens); null for one planted by ops. */
	renewed_from?: string | null;
}

export class HoneytokenStore {
	constructor(private readonly db: D1Database) {}

	plant(row: HoneytokenRow): D1PreparedStatement {
		return this.db
			.prepare("INSERT INTO honeytokens (record_id, depot, label, planted_by, planted_at) VALUES (?1, ?2, ?3, ?4, ?5)")
			.bind(row.record_id, row.depot, row.label, row.planted_by, row.planted_at);
	}

	/** Lists `nextId` as the same trap as `previousId`, which stays listed: asking for either springs it. */
	renew(previousId: string, nextId: string): D1PreparedStatement {
		return this.db
			.prepare(
				"INSERT INTO honeytokens (record_id, depot, label, planted_by, planted_at, renewed_from) SELECT ?2, depot, label, planted_by, planted_at, ?1 FROM honeytokens WHERE record_id = ?1",
			)
			.bind(previousId, nextId);
	}

	async list(): Promise<HoneytokenRow[]> {
		return (await this.db.prepare("SELECT * FROM honeytokens ORDER BY planted_at DESC").all<HoneytokenRow>()).results;
	}
}
