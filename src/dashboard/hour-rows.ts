import type { HourCount } from "../audit/recorded-asks";
import type { CallHourCount } from "../audit/recorded-calls";

export interface HourRow {
	hour: number;
	depot: string | null;
	reveals: number;
	refused: number;
	calls: number;
	callsRefused: number;
}

/**
 * Reveal asks and calls of the same depot-hour side by side: one row for each depot-hour with
 * either, oldest hour first, then by depot (services, which make no calls, last). Pure.
 */
export function hourRows(asks: readonly HourCount[], calls: readonly CallHourCount[]): HourRow[] {
	const rows = new Map<string, HourRow>();
	const rowOf = (hour: number, depot: string | null) => {
		const key = `${hour}\n${depot ?? ""}`;
		const row = rows.get(key) ?? { hour, depot, reveals: 0, refused: 0, calls: 0, callsRefused: 0 };
		rows.set(key, row);
		return row;
	};
	for (const ask of asks) {
		const row = rowOf(ask.hour, ask.depot);
		row.reveals += ask.granted;
		row.refused += ask.denied;
	}
	for (const call of calls) {
		const row = rowOf(call.hour, call.depot);
		row.calls += call.granted;
		row.callsRefused += call.denied;
	}
	const depotOrder = (depot: string | null) => (depot === null ? "\uffff" : depot);
	return [...rows.values()].sort(
		(a, b) => a.hour - b.hour || (depotOrder(a.depot) < depotOrder(b.depot) ? -1 : depotOrder(a.depot) > depotOrder(b.depot) ? 1 : 0),
	);
}
