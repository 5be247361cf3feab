export interface HoneytokenRow {
	record_id: string;
	depot: string | null;
	label: string | null;
	planted_by: string;
	planted_at: number;
}

export class HoneytokenStore {
	constructor(private readonly db: D1Database) {}

	plant(row: HoneytokenRow): D1PreparedStatement {
		return this.db
			.prepare("INSERT INTO honeytokens (record_id, depot, label, planted_by, planted_at) VALUES (?1, ?2, ?3, ?4, ?5)")
			.bind(row.record_id, row.depot, row.label, row.planted_by, row.planted_at);
	}

	async list(): Promise<HoneytokenRow[]> {
		return (await this.db.prepare("SELECT * FROM honeytokens ORDER BY planted_at DESC").all<HoneytokenRow>()).results;
	}
}
