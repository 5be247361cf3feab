import type { Principal } from "../auth/principal";
import type { Party, StoredRecord } from "../records/store";
import type { Purpose } from "../reveals/scope";
import type { LegKind } from "./events";
import type { LegPolicy } from "./leg-policy";
import { isOpen, type Leg } from "./legs";

/**
 * Why a reveal is refused for want of live work (DESIGN "Reveals follow the work"):
 * - no_open_leg: the asker holds no open leg for this party (probing, when the record was never theirs);
 * - stale: a leg for this party closed or moved away from the asker within the stale window: the
 *   terminal shows old work and should refresh; counted apart, never toward suspension;
 * - case_required: a customer_service reveal names no case.
 */
export const LEG_REFUSALS = ["no_open_leg", "stale", "case_required"] as const;
export type LegRefusal = (typeof LEG_REFUSALS)[number];

/** `wouldRefuse`: what a report-only requirement would have refused; the ask passes and the caller records it. */
export type LegDecision = { ok: true; wouldRefuse?: LegRefusal } | { ok: false; reason: LegRefusal };

export interface LegGateInput {
	principal: Principal;
	record: Pick<StoredRecord, "party" | "depot" | "courier" | "courierIssuer">;
	/** Every leg of the record's shipment (getForAsk returns them with the record). */
	legs: readonly Leg[];
	purpose: Purpose;
	caseId?: string | undefined;
	policy: LegPolicy;
	now: number;
}

/** The leg kind each work purpose needs; notify takes any open leg, customer_service a case instead. */
const KIND_OF: Partial<Record<Purpose, LegKind>> = { delivery: "delivery", pickup: "pickup", return: "return" };

const covers = (leg: Leg, party: Party) => leg.parties === "both" || leg.parties === party;

/** Whether the leg is the asker's work: a courier holds it by the pair (issuer, subject); a clerk or supervisor by depot. */
function heldBy(leg: Leg, principal: Principal, recordDepot: string): boolean {
	if (principal.kind === "service") return true;
	if (principal.role === "courier") return leg.courier !== null && leg.courier.subject === principal.subject && leg.courier.issuer === principal.issuer;
	return (leg.depot ?? recordDepot) === principal.depot;
}

/** The rule itself, as if the requirement were enforced. */
function refusal(input: LegGateInput): LegRefusal | null {
	const { principal, record, legs, purpose, now } = input;
	if (purpose === "customer_service") return input.caseId !== undefined && input.caseId.trim() !== "" ? null : "case_required";
	const kind = KIND_OF[purpose];
	const relevant = legs.filter((leg) => covers(leg, record.party) && (kind === undefined || leg.kind === kind) && heldBy(leg, principal, record.depot));
	if (relevant.some((leg) => isOpen(leg, now))) return null;
	// Closed (or moved away) recently: the asker's screen is behind the work, not probing for records.
	const windowStart = now - input.policy.staleWindowSeconds * 1000;
	if (relevant.some((leg) => leg.closeAfter !== null && leg.closeAfter > windowStart)) return "stale";
	return "no_open_leg";
}

/**
 * Whether a reveal (or a call) follows live work. Pure: the ask and redeem paths pass the legs read
 * with the record. A case id is always required for customer_service; the leg requirement follows
 * policy: off means no check, report-only means the would-be refusal is returned beside `ok: true`.
 */
export function legGate(input: LegGateInput): LegDecision {
	if (input.purpose === "customer_service") {
		const reason = refusal(input);
		return reason === null ? { ok: true } : { ok: false, reason };
	}
	if (!input.policy.requireActiveLeg && !input.policy.reportOnly) return { ok: true };
	const reason = refusal(input);
	if (reason === null) return { ok: true };
	return input.policy.requireActiveLeg ? { ok: false, reason } : { ok: true, wouldRefuse: reason };
}

/**
 * The open leg that makes a call (or reveal) for `purpose` the asker's work, the latest opened
 * when several are: what a privacy-number binding rides on and ends with. Null for customer_service
 * (a case, not a leg) and when none is open. The same filter as the gate's rule.
 */
export function openLegFor(input: Pick<LegGateInput, "principal" | "record" | "legs" | "purpose" | "now">): Leg | null {
	if (input.purpose === "customer_service") return null;
	const kind = KIND_OF[input.purpose];
	const open = input.legs.filter(
		(leg) =>
			covers(leg, input.record.party) &&
			(kind === undefined || leg.kind === kind) &&
			heldBy(leg, input.principal, input.record.depot) &&
			isOpen(leg, input.now),
	);
	return open.at(-1) ?? null;
}

/** How a parcel's work stands for whoever looks it up: what the terminal shows beside each contact. */
export const LEG_STATES = ["open", "closed", "none"] as const;
export type LegState = (typeof LEG_STATES)[number];

/**
 * The asker's work on one record at `now`, by the same filter as the gate (legs covering the
 * record's party, held by the courier or at the clerk's or supervisor's depot; any leg for a
 * service): `open` while one of them still allows reveals (grace included), `closed` when there
 * were some and all have ended, `none` when there never was one. `kind` is that of the latest such
 * leg (the latest open one when open). Pure; it shows only the asker's own work, never who else
 * holds the parcel.
 */
export function legStateFor(input: Pick<LegGateInput, "principal" | "record" | "legs" | "now">): { state: LegState; kind: LegKind | null } {
	const held = input.legs.filter((leg) => covers(leg, input.record.party) && heldBy(leg, input.principal, input.record.depot));
	const open = held.filter((leg) => isOpen(leg, input.now)).at(-1);
	if (open) return { state: "open", kind: open.kind };
	const last = held.at(-1);
	return last ? { state: "closed", kind: last.kind } : { state: "none", kind: null };
}
