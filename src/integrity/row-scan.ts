import { LEGACY_SETS, type LegacySet } from "../audit/witness";
import type { Keyring } from "../crypto/keyring";
import type { ForgedRow } from "./forged-row-report";
import { type LegacyState, RowJudge } from "./row-judge";
import { type RowMacStore, SCANNED_TABLES, type ScanKey, type ScannedTable } from "./row-mac-store";

/** Rows per page of the scan. */
export const ROW_SCAN_PAGE = 500;
/** Pages one slice of the scan reads at most (one slice per every-minute cron run, with the chain's). */
export const ROW_SCAN_PAGES_PER_SLICE = 10;
/** D1 round trips of one slice of the scan: its pages, and one batch for the alerts of what it found. */
export const ROW_SCAN_QUERY_BOUND = ROW_SCAN_PAGES_PER_SLICE + 1;
/** Findings a scan keeps by name: the first ones say where to look; `found` counts them all. */
const MAX_LISTED = 50;

/**
 * The scan of every MACed row (issue 16 item 2), part of the full re-verification's run and kept
 * with it in the witness, where D1's administrator cannot reset it. Where `GET /v1/audit/verify`
 * checks bounded samples (the legs that grant now, the newest triaged alerts, the records of
 * earlier findings), this walks each table whole, in primary-key order, ROW_SCAN_PAGES_PER_SLICE
 * pages a slice: an old closed leg, an old record no finding names, a triage of long ago.
 */
export interface RowScan {
	/** The row-MAC keys the scan judges under: another keyring starts it over. */
	fingerprint: string;
	/** The table being walked, null once every table is. */
	table: ScannedTable | null;
	/** The primary key of the last row judged in `table` (null: from its start). */
	after: ScanKey | null;
	checked: Record<ScannedTable, number>;
	/** Rows whose MAC failed, the first MAX_LISTED. */
	problems: ForgedRow[];
	found: number;
	pages: number;
}

/** The keys a scan's verdicts depend on: ids only (a key's material under the same id does not change; a rotation adds an id). */
export const rowScanFingerprint = (keyring: Keyring) => JSON.stringify(keyring.keyIds());

export function newRowScan(fingerprint: string): RowScan {
	return {
		fingerprint,
		table: SCANNED_TABLES[0],
		after: null,
		checked: { policies: 0, principal_status: 0, records: 0, legs: 0, shipment_events: 0, alerts: 0 },
		problems: [],
		found: 0,
		pages: 0,
	};
}

export interface RowScanDeps {
	store: RowMacStore;
	keyring: Keyring;
	/** Where each migration's legacy window stands (the witness says). */
	legacy: Readonly<Record<LegacySet, LegacyState>>;
	stored: (issuer: string | null) => string;
	/** Raises the alerts of the rows found and tells the witness (one D1 batch). */
	report: (rows: ForgedRow[]) => Promise<void>;
}

/**
 * One slice of the scan: at most ROW_SCAN_PAGES_PER_SLICE pages, table after table. Returns the
 * state after it, to be saved only if the whole slice ran: a slice that fails midway is done
 * again from the saved cursor (its findings were reported once more, which repeats nothing: the
 * alert's id is per row and day). A keyring whose MAC keys changed starts the scan over, since a
 * row judged under the old keys may read differently under the new ones.
 */
export async function advanceRowScan(deps: RowScanDeps, scan: RowScan | null): Promise<RowScan> {
	const fingerprint = rowScanFingerprint(deps.keyring);
	let next: RowScan = scan && scan.fingerprint === fingerprint ? { ...scan, checked: { ...scan.checked } } : newRowScan(fingerprint);
	const judge = new RowJudge(deps.keyring, deps.legacy, deps.stored);
	const found: ForgedRow[] = [];
	for (let page = 0; page < ROW_SCAN_PAGES_PER_SLICE && next.table !== null; page++) {
		const table: ScannedTable = next.table;
		const { rows, last } = await deps.store.scanPage(table, next.after, ROW_SCAN_PAGE);
		found.push(...(await judgePage(judge, table, rows)));
		const done = rows.length < ROW_SCAN_PAGE;
		next = {
			...next,
			checked: { ...next.checked, [table]: next.checked[table] + rows.length },
			pages: next.pages + 1,
			...(done ? { table: SCANNED_TABLES[SCANNED_TABLES.indexOf(table) + 1] ?? null, after: null } : { after: last }),
		};
	}
	if (found.length > 0) await deps.report(found);
	return { ...next, problems: [...next.problems, ...found].slice(0, MAX_LISTED), found: next.found + found.length };
}

async function judgePage(judge: RowJudge, table: ScannedTable, rows: readonly unknown[]): Promise<ForgedRow[]> {
	switch (table) {
		case "policies":
			return judge.policies(rows as Parameters<RowJudge["policies"]>[0]);
		case "principal_status":
			return judge.statuses(rows as Parameters<RowJudge["statuses"]>[0]);
		case "records":
			return judge.records(rows as Parameters<RowJudge["records"]>[0]);
		case "legs":
			return judge.legs(rows as Parameters<RowJudge["legs"]>[0]);
		case "shipment_events":
			return judge.events(rows as Parameters<RowJudge["events"]>[0]);
		case "alerts":
			return judge.alerts(rows as Parameters<RowJudge["alerts"]>[0]);
	}
}

/** Each legacy set's state as the witness holds it. */
export async function legacyStates(signed: (set: LegacySet) => Promise<{ at: number } | null>): Promise<Record<LegacySet, LegacyState>> {
	const states = await Promise.all(LEGACY_SETS.map(async (set) => [set, (await signed(set)) ? "signed" : "signing"] as const));
	return Object.fromEntries(states) as Record<LegacySet, LegacyState>;
}
