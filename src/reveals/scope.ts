import type { Principal } from "../auth/principal";
import type { ContactField } from "../crypto/envelope";
import { isAssignedTo } from "../records/assignment";
import type { Party, StoredRecord } from "../records/store";

export const PURPOSES = ["delivery", "pickup", "return", "customer_service", "notify"] as const;
export type Purpose = (typeof PURPOSES)[number];

interface PurposeRule {
	/** Which kind of principal may state this purpose. */
	principal: Principal["kind"];
	parties: readonly Party[];
	fields: readonly ContactField[];
}

const ALL_FIELDS: readonly ContactField[] = ["name", "phone", "address"];

/** DESIGN "Purposes and the fields they may reveal": the one table every reveal is judged by. */
export const PURPOSE_RULES: Readonly<Record<Purpose, PurposeRule>> = {
	delivery: { principal: "employee", parties: ["recipient"], fields: ALL_FIELDS },
	pickup: { principal: "employee", parties: ["sender"], fields: ALL_FIELDS },
	return: { principal: "employee", parties: ["sender", "recipient"], fields: ALL_FIELDS },
	customer_service: { principal: "employee", parties: ["sender", "recipient"], fields: ["phone"] },
	notify: { principal: "service", parties: ["sender", "recipient"], fields: ["phone"] },
};

export type ScopeRefusal = "purpose_not_for_principal" | "not_assigned" | "party_not_in_purpose" | "field_not_in_purpose";

export type ScopeDecision = { allowed: true } | { allowed: false; reason: ScopeRefusal };

/**
 * Whether `principal` may reveal `fields` of `record` for `purpose`. Pure: same inputs, same answer.
 * Assignment is checked before purpose and fields, so asking for someone else's parcel always
 * counts as out of scope, whatever purpose the ask states. Fields are refused, never trimmed.
 */
export function revealScope(
	principal: Principal,
	record: Pick<StoredRecord, "party" | "depot" | "courier" | "courierIssuer"> & Pick<Partial<StoredRecord>, "assignmentForged">,
	purpose: Purpose,
	fields: readonly ContactField[],
): ScopeDecision {
	const rule = PURPOSE_RULES[purpose];
	// A forged assignment grants nothing, to services either (their reach is not by assignment).
	if (record.assignmentForged) return { allowed: false, reason: "not_assigned" };
	if (principal.kind === "employee" && !isAssignedTo(principal, record)) return { allowed: false, reason: "not_assigned" };
	if (rule.principal !== principal.kind) return { allowed: false, reason: "purpose_not_for_principal" };
	if (!rule.parties.includes(record.party)) return { allowed: false, reason: "party_not_in_purpose" };
	if (fields.length === 0 || !fields.every((field) => rule.fields.includes(field))) return { allowed: false, reason: "field_not_in_purpose" };
	return { allowed: true };
}
