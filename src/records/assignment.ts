import type { EmployeePrincipal } from "../auth/principal";
import type { StoredRecord } from "./store";

/**
 * Whether a record is assigned to an employee: a courier's own parcels at their own depot, or any
 * parcel of a clerk's or supervisor's depot. The one definition of an employee's reach over
 * records. A courier is the pair (issuer, subject): another issuer's "courier-1" is someone else
 * (DESIGN "Identity"). A courier's reach ends when the parcel moves to another depot, even if
 * nobody has reassigned the courier yet.
 */
export function isAssignedTo(
	employee: EmployeePrincipal,
	record: Pick<StoredRecord, "courier" | "courierIssuer" | "depot"> & Pick<Partial<StoredRecord>, "assignmentForged">,
): boolean {
	// An assignment whose MAC failed (src/integrity/) is nobody's.
	if (record.assignmentForged || record.depot !== employee.depot) return false;
	return employee.role === "courier" ? record.courier === employee.subject && record.courierIssuer === employee.issuer : true;
}

/** The same rule as a condition the store can put in SQL, so it holds at the instant of a write. */
export interface AssignmentCondition {
	depot: string;
	/** Null for clerks and supervisors: the depot is their reach. */
	courier: { subject: string; issuer: string } | null;
}

export function assignmentCondition(employee: EmployeePrincipal): AssignmentCondition {
	return { depot: employee.depot, courier: employee.role === "courier" ? { subject: employee.subject, issuer: employee.issuer } : null };
}
