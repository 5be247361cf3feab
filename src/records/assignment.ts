import type { EmployeePrincipal } from "../auth/principal";
import type { StoredRecord } from "./store";

/**
 * Whether a record is assigned to an employee: a courier's own parcels, or any parcel of a
 * clerk's or supervisor's depot. The one definition of an employee's reach over records.
 */
export function isAssignedTo(employee: EmployeePrincipal, record: Pick<StoredRecord, "courier" | "depot">): boolean {
	return employee.role === "courier" ? record.courier === employee.subject : record.depot === employee.depot;
}
