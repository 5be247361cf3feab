import type { Principal } from "../auth/principal";
import type { ContactField } from "../crypto/envelope";
import type { AskClass } from "../limits/decide";
import type { StoredRecord } from "../records/store";
import { type LegRefusal, legGate } from "../shipments/leg-gate";
import type { LegPolicy } from "../shipments/leg-policy";
import type { Leg } from "../shipments/legs";
import { type Purpose, revealScope, type ScopeRefusal } from "./scope";

export interface AskFacts {
	principal: Principal;
	record: Pick<StoredRecord, "party" | "depot" | "courier" | "courierIssuer">;
	/** Every leg of the record's shipment, read with the record (RecordStore.getForAsk). */
	legs: readonly Leg[];
	purpose: Purpose;
	fields: readonly ContactField[];
	caseId?: string | undefined;
	policy: LegPolicy;
	now: number;
	/** At the redeem the case was already checked when the token was asked for, and is not asked again. */
	stage?: "ask" | "redeem";
}

export interface AskJudgement {
	class: AskClass;
	/** Why it is refused, as the audit entry and the problem say; null when it may be granted. */
	reason: ScopeRefusal | LegRefusal | null;
	/** Under a report-only requirement: what it would have refused (recorded with the grant). */
	legWouldRefuse: LegRefusal | null;
}

/** The requirement as if enforced: used to tell stale work from probing whatever the policy says. */
const enforced = (policy: LegPolicy): LegPolicy => ({ ...policy, requireActiveLeg: true, reportOnly: false });

/** Purposes a leg is for: the only ones where holding the work can stand in for an assignment. */
const WORK_PURPOSES: readonly Purpose[] = ["delivery", "pickup", "return"];

/**
 * How the limiter must count an ask, from the scope rules and the leg gate together (DESIGN
 * "Reveals follow the work"). Pure. The order matters for suspension: an ask about a record that
 * is not the asker's (assignment) is probing unless the asker held work on it within the stale
 * window (a re-route moves the record and its leg to a colleague at once, while the asker's
 * screen still lists it): then it is stale, refused and never counted toward suspension. An ask
 * about the asker's own record without an open leg is probing too, unless a leg of theirs closed
 * recently (stale). A report-only requirement grants and says what it would have refused.
 *
 * Only out_for_delivery assigns a record (DESIGN's event table): a sender's record waiting for its
 * pickup has no courier, so the courier holding its open pickup (or return) leg has it in reach,
 * as an assignment would give it. A record assigned to someone else stays theirs whatever legs say.
 */
export function judgeAsk(facts: AskFacts): AskJudgement {
	const { principal, record, purpose } = facts;
	const caseId = facts.stage === "redeem" && purpose === "customer_service" ? "checked at the ask" : facts.caseId;
	const gateInput = { principal, record, legs: facts.legs, purpose, caseId, now: facts.now };
	let scope = revealScope(principal, record, purpose, facts.fields);
	if (!scope.allowed && scope.reason === "not_assigned") {
		const held = legGate({ ...gateInput, policy: enforced(facts.policy) });
		const work = WORK_PURPOSES.includes(purpose);
		if (held.ok && work && record.courier === null && principal.kind === "employee" && principal.role === "courier") {
			scope = revealScope(principal, { ...record, courier: principal.subject, courierIssuer: principal.issuer, depot: principal.depot }, purpose, facts.fields);
		} else {
			// Work the asker holds or held recently on a record now someone else's: their list is behind.
			const recent = work && (held.ok || held.reason === "stale");
			return recent ? { class: "stale", reason: "stale", legWouldRefuse: null } : { class: "out_of_scope", reason: "not_assigned", legWouldRefuse: null };
		}
	}
	if (!scope.allowed) {
		return scope.reason === "not_assigned"
			? { class: "out_of_scope", reason: "not_assigned", legWouldRefuse: null }
			: { class: "purpose_mismatch", reason: scope.reason, legWouldRefuse: null };
	}
	const gate = legGate({ ...gateInput, policy: facts.policy });
	if (gate.ok) return { class: "in_scope", reason: null, legWouldRefuse: gate.wouldRefuse ?? null };
	switch (gate.reason) {
		case "stale":
			return { class: "stale", reason: "stale", legWouldRefuse: null };
		case "no_open_leg":
			return { class: "no_open_leg", reason: "no_open_leg", legWouldRefuse: null };
		case "case_required":
			return { class: "purpose_mismatch", reason: "case_required", legWouldRefuse: null };
	}
}
