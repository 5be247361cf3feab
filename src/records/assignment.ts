import type { EmployeePrincipal } from "../auth/principal";
import type { StoredRecord } from "./store";

/**
 * Whether a record is assigned to an employee: a courier's own parcels at their own depot, or any
 * parcel of a clerk's or supervisor's depot. The one definition of an employee's reach over
 * records. A courier's reach ends when the parcel moves to another depot, even if nobody has
 * reassigned the courier yet.
 */
export function isAssignedTo(employee: EmployeePrincipal, record: Pick<StoredRecord, "courier" | "depot">): boolean {
	if (record.depot !== employee.depot) return false;
	return employee.role === "courier" ? record.courier === employee.subject : true;
}

/** The same rule as a condition the store can put in SQL, so it holds at the instant of a write. */
export function assignmentCondition(employee: EmployeePrincipal): { depot: string; courier: string | null } {
	return { depot: employee.depot, courier: employee.role === "courier" ? employee.subject : null };
}
