export interface HoneytokenRow {
	record_id: string;
	depot: string | null;
	label: string | null;
	planted_by: string;
	planted_at: number;
	/** The record this one continues (see renew-honeytokens); null for one planted by ops. */
	renewed_from?: string | null;
	/** A canary planted for one person (assigned to that courier): who. Null for a depot-wide honeytoken. */
	for_issuer?: string | null;
	for_subject?: string | null;
}

/** The person a canary was planted for. */
export interface CanaryOwner {
	issuer: string;
	subject: string;
}

export class HoneytokenStore {
	constructor(private readonly db: D1Database) {}

	plant(row: HoneytokenRow): D1PreparedStatement {
		return this.db
			.prepare("INSERT INTO honeytokens (record_id, depot, label, planted_by, planted_at, for_issuer, for_subject) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
			.bind(row.record_id, row.depot, row.label, row.planted_by, row.planted_at, row.for_issuer ?? null, row.for_subject ?? null);
	}

	/** Lists `nextId` as the same trap as `previousId`, which stays listed: asking for either springs it. */
	renew(previousId: string, nextId: string): D1PreparedStatement {
		return this.db
			.prepare(
				"INSERT INTO honeytokens (record_id, depot, label, planted_by, planted_at, renewed_from, for_issuer, for_subject) SELECT ?2, depot, label, planted_by, planted_at, ?1, for_issuer, for_subject FROM honeytokens WHERE record_id = ?1",
			)
			.bind(previousId, nextId);
	}

	/** Whose canary a honeytoken is, or null for a depot-wide one (or no honeytoken at all). */
	async canaryOwner(recordId: string): Promise<CanaryOwner | null> {
		const row = await this.db
			.prepare("SELECT for_issuer AS issuer, for_subject AS subject FROM honeytokens WHERE record_id = ?1 AND for_subject IS NOT NULL")
			.bind(recordId)
			.first<CanaryOwner>();
		return row ?? null;
	}

	async list(): Promise<HoneytokenRow[]> {
		return (await this.db.prepare("SELECT * FROM honeytokens ORDER BY planted_at DESC").all<HoneytokenRow>()).results;
	}
}
