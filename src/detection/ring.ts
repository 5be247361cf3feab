/**
 * Several employees of one depot at their daily quota on the same day looks like a ring splitting
 * the work between them: one alert per depot per day once `threshold` of them are. Pure, so the
 * harvest simulation runs the same rule.
 */
export function ringAlertDue(employeesAtQuota: number, threshold: number, alreadyRaisedToday: boolean): boolean {
	return employeesAtQuota >= threshold && !alreadyRaisedToday;
}
