import type { AlertRow, AlertStore } from "./alert-store";

/** Exponential backoff from 30 s, capped at an hour: a webhook down for a day gets ~30 tries. */
export function nextAttemptAt(attempts: number, now: number): number {
	return now + Math.min(30_000 * 2 ** attempts, 3_600_000);
}

function payload(alert: AlertRow): string {
	return JSON.stringify({
		id: alert.id,
		at: new Date(alert.at).toISOString(),
		severity: alert.severity,
		kind: alert.kind,
		subject: alert.subject,
		subject_issuer: alert.subject_issuer,
		depot: alert.depot,
		details: JSON.parse(alert.details),
	});
}

/**
 * POSTs due alerts to the webhook, oldest first. A 2xx marks one delivered; anything else keeps
 * it pending for a later try. Alerts carry ids and reasons, never contact data.
 */
export async function deliverDueAlerts(
	store: AlertStore,
	webhookUrl: string,
	now: number,
	fetcher: typeof fetch = fetch,
): Promise<{ delivered: number; failed: number }> {
	let delivered = 0;
	let failed = 0;
	for (const alert of await store.due(now, 50)) {
		try {
			const response = await fetcher(webhookUrl, {
				method: "POST",
				headers: { "Content-Type": "application/json", "Idempotency-Key": alert.id },
				body: payload(alert),
				signal: AbortSignal.timeout(5_000),
			});
			if (!response.ok) throw new Error(`webhook answered ${response.status}`);
			await store.delivered(alert.id, now);
			delivered++;
		} catch (error) {
			await store.failed(alert.id, (error as Error).message, nextAttemptAt(alert.attempts, now));
			failed++;
		}
	}
	return { delivered, failed };
}
