import type { AlertTriage } from "./alert-store";

/** An alert's triage as raised: open, nobody on it. */
export const OPEN_TRIAGE: AlertTriage = {
	state: "open",
	acknowledged_by: null,
	acknowledged_at: null,
	acknowledged_note: null,
	resolved_by: null,
	resolved_at: null,
	resolved_note: null,
};

/**
 * The triage after ops acknowledge or resolve, or null when the action changes nothing (an
 * acknowledgement of an alert no longer open, a resolution of a resolved one: the first note
 * stays). `current` is the triage as it may be used: a forged one is passed as OPEN_TRIAGE, so
 * ops acting on it write a triage of their own, with its MAC. Pure.
 */
export function triageAfter(current: AlertTriage, action: "acknowledge" | "resolve", by: string, note: string, now: number): AlertTriage | null {
	if (action === "acknowledge") {
		if (current.state !== "open") return null;
		return { ...current, state: "acknowledged", acknowledged_by: by, acknowledged_at: now, acknowledged_note: note };
	}
	if (current.state === "resolved") return null;
	return { ...current, state: "resolved", resolved_by: by, resolved_at: now, resolved_note: note };
}
