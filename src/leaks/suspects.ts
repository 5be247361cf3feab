import { overlapScore } from "./hypergeometric";
import type { ActivityRow, CitedEntry, MatchedRow } from "./leak-store";

/** The entries that make someone a suspect: a reveal granted or redeemed (calls join here once they are audited). */
export const REVEAL_KINDS = ["reveal.granted", "reveal.redeemed"] as const;
/** Entries that say who held a record: its reassignments (a courier named). */
export const HOLD_KINDS = ["record.reassigned"] as const;
/** What counts as revealed: the plaintext left the vault. */
export const REVEALED_KIND = "reveal.redeemed";
/** Suspects named in an answer, its report and its audit entry: the top of the ranking. */
export const MAX_SUSPECTS = 100;

export interface Suspect {
	subject: string;
	issuer: string;
	kind: "employee" | "service";
	role?: string;
	depot?: string;
	/** Matched records whose plaintext they redeemed. */
	revealed: number;
	/** Per field, how many matched records they redeemed it for. */
	fields: Record<string, number>;
	/** Matched records they held (assigned to them, or in their depot for a clerk or supervisor) and did not reveal. */
	held: number;
	/** Distinct records they revealed in the period, the list's or not: K of the score. */
	touched: number;
	/** −log10 P(X ≥ revealed) under Hypergeometric(population, touched, draws): see README "Tracing a leak". */
	score: number;
	population: number;
	draws: number;
	/** The audit entries behind the figures, ascending seq. */
	entries: { seq: number; hash: string | null }[];
}

export interface SuspectInput {
	/** Matched live records that are not honeytokens. */
	records: readonly MatchedRow[];
	entries: readonly CitedEntry[];
	activity: readonly ActivityRow[];
	population: ReadonlyMap<string, number>;
	/** Who a courier named without an issuer is (records and entries written before issuers were stored). */
	employeeIssuer: string;
}

interface Tally {
	subject: string;
	issuer: string;
	role: string | null;
	depots: Map<string, number>;
	revealed: Set<string>;
	fields: Map<string, Set<string>>;
	held: Set<string>;
	entries: Map<number, string | null>;
}

const keyOf = (issuer: string, subject: string) => JSON.stringify([issuer, subject]);

function fieldsOf(details: string): string[] {
	try {
		const fields = (JSON.parse(details) as { fields?: unknown }).fields;
		return Array.isArray(fields) ? fields.filter((field): field is string => typeof field === "string") : [];
	} catch {
		return [];
	}
}

/**
 * The suspects of a list, ranked: everyone who revealed a matched record, and every courier who
 * held one, with the figures and the entries behind them. A pure function of what the store read.
 */
export function rankSuspects(input: SuspectInput): Suspect[] {
	const issuerOf = (issuer: string | null) => (issuer === null || issuer === "" ? input.employeeIssuer : issuer);
	const tallies = new Map<string, Tally>();
	const tally = (issuer: string, subject: string): Tally => {
		const key = keyOf(issuer, subject);
		let found = tallies.get(key);
		if (!found) {
			found = { subject, issuer, role: null, depots: new Map(), revealed: new Set(), fields: new Map(), held: new Set(), entries: new Map() };
			tallies.set(key, found);
		}
		return found;
	};
	const byId = new Map(input.records.map((record) => [record.id, record]));

	for (const entry of input.entries) {
		if (!byId.has(entry.record_id)) continue;
		if ((REVEAL_KINDS as readonly string[]).includes(entry.kind) && entry.actor !== null) {
			const suspect = tally(issuerOf(entry.actor_issuer), entry.actor);
			suspect.role ??= entry.actor_role;
			if (entry.actor_depot) suspect.depots.set(entry.actor_depot, (suspect.depots.get(entry.actor_depot) ?? 0) + 1);
			suspect.entries.set(entry.seq, entry.hash);
			if (entry.kind === REVEALED_KIND) {
				suspect.revealed.add(entry.record_id);
				for (const field of fieldsOf(entry.details)) {
					const records = suspect.fields.get(field) ?? new Set<string>();
					records.add(entry.record_id);
					suspect.fields.set(field, records);
				}
			}
		} else if ((HOLD_KINDS as readonly string[]).includes(entry.kind)) {
			const details = JSON.parse(entry.details) as { courier?: unknown; courier_issuer?: unknown };
			if (typeof details.courier !== "string") continue;
			const holder = tally(issuerOf(typeof details.courier_issuer === "string" ? details.courier_issuer : null), details.courier);
			holder.held.add(entry.record_id);
			holder.entries.set(entry.seq, entry.hash);
		}
	}
	// What the records say today: the courier each is assigned to holds it.
	for (const record of input.records) {
		if (record.courier === null) continue;
		const holder = tally(issuerOf(record.courier_issuer), record.courier);
		holder.held.add(record.id);
		if (holder.depots.size === 0) holder.depots.set(record.depot, 0);
		holder.role ??= "courier";
	}
	// A clerk or supervisor holds every record of their depot.
	for (const suspect of tallies.values()) {
		if (suspect.role !== "clerk" && suspect.role !== "supervisor") continue;
		for (const record of input.records) if (suspect.depots.has(record.depot)) suspect.held.add(record.id);
	}

	const activity = new Map(input.activity.map((row) => [keyOf(issuerOf(row.issuer), row.subject), row]));
	const totalPopulation = [...input.population.values()].reduce((sum, n) => sum + n, 0);
	const suspects: Suspect[] = [];
	for (const [key, suspect] of tallies) {
		const row = activity.get(key);
		const named = new Set<string>([...suspect.depots.keys(), ...parseDepots(row?.depots)]);
		const service = suspect.role === null && suspect.depots.size === 0;
		const inPopulation = (record: MatchedRow) => service || named.has(record.depot) || suspect.revealed.has(record.id);
		const draws = input.records.filter(inPopulation).length;
		const population = service ? totalPopulation : [...named].reduce((sum, depot) => sum + (input.population.get(depot) ?? 0), 0);
		const touched = Math.max(row?.touched ?? 0, suspect.revealed.size);
		const depot = [...suspect.depots.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
		suspects.push({
			subject: suspect.subject,
			issuer: suspect.issuer,
			kind: service ? "service" : "employee",
			...(suspect.role ? { role: suspect.role } : {}),
			...(depot ? { depot } : {}),
			revealed: suspect.revealed.size,
			fields: Object.fromEntries([...suspect.fields].map(([field, records]) => [field, records.size])),
			held: [...suspect.held].filter((id) => !suspect.revealed.has(id)).length,
			touched,
			score: overlapScore({ population, successes: touched, draws, observed: suspect.revealed.size }),
			population,
			draws,
			entries: [...suspect.entries].sort((a, b) => a[0] - b[0]).map(([seq, hash]) => ({ seq, hash })),
		});
	}
	return suspects.sort(
		(a, b) =>
			b.score - a.score || b.revealed - a.revealed || b.held - a.held || (a.issuer < b.issuer ? -1 : a.issuer > b.issuer ? 1 : a.subject < b.subject ? -1 : 1),
	);
}

function parseDepots(json: string | undefined): string[] {
	if (!json) return [];
	try {
		const depots = JSON.parse(json) as unknown;
		return Array.isArray(depots) ? depots.filter((depot): depot is string => typeof depot === "string") : [];
	} catch {
		return [];
	}
}
