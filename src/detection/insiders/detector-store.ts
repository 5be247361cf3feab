import { classified } from "../../storage/d1-errors";
import { DEFAULT_DETECTORS, DETECTOR_NAMES, type DetectorMode, type DetectorName } from "./detector-settings";

export interface DetectorRow {
	name: DetectorName;
	mode: DetectorMode;
	settings: Record<string, unknown>;
	version: number;
	updated_by: string;
	updated_at: number;
}

/** The careful-insider detectors' settings (migration 0016). The one store that writes `detectors`. */
export class DetectorStore {
	constructor(private readonly db: D1Database) {}

	/** Every detector, the built-in defaults standing in for a row that is missing. */
	async all(): Promise<DetectorRow[]> {
		const { results } = await classified(
			this.db
				.prepare("SELECT name, mode, settings, version, updated_by, updated_at FROM detectors")
				.all<Omit<DetectorRow, "settings"> & { settings: string }>(),
		);
		const stored = new Map(results.map((row) => [row.name, { ...row, settings: JSON.parse(row.settings) as Record<string, unknown> }]));
		return DETECTOR_NAMES.map(
			(name) =>
				stored.get(name) ?? {
					name,
					...DEFAULT_DETECTORS[name],
					settings: { ...DEFAULT_DETECTORS[name].settings },
					version: 0,
					updated_by: "built-in",
					updated_at: 0,
				},
		);
	}

	/** Writes a detector's new mode and settings if its version is still `expectedVersion`; changes nothing otherwise. */
	put(row: DetectorRow, expectedVersion: number): D1PreparedStatement {
		return this.db
			.prepare(
				`INSERT INTO detectors (name, mode, settings, version, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4 + 1, ?5, ?6)
				 ON CONFLICT (name) DO UPDATE SET mode = excluded.mode, settings = excluded.settings, version = excluded.version,
				   updated_by = excluded.updated_by, updated_at = excluded.updated_at
				 WHERE detectors.version = ?4`,
			)
			.bind(row.name, row.mode, JSON.stringify(row.settings), expectedVersion, row.updated_by, row.updated_at);
	}
}
