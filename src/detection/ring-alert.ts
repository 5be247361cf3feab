import type { AlertStore } from "./alert-store";
import { ringAlertDue } from "./ring";

/**
 * Raises the depot's ring alert when `threshold` of its employees reached their daily quota in the
 * last day and none was raised since (DESIGN: several employees of one depot at quota look like a
 * ring splitting the work). Read after the quota alerts that may complete it are in D1.
 */
export async function raiseRingAlertIfDue(alerts: AlertStore, depot: string, threshold: number, now: number, webhookConfigured: boolean): Promise<boolean> {
	const atQuota = await alerts.employeesAtQuota(depot, now);
	if (!ringAlertDue(atQuota, threshold, await alerts.raisedSince(depot, "depot_ring_suspected", now - 86_400_000))) return false;
	const alert = { severity: "critical" as const, kind: "depot_ring_suspected", details: { employees_at_quota: atQuota, threshold }, subject: null, depot };
	await alerts.insert(alert, now, webhookConfigured).run();
	return true;
}
