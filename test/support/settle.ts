import { env } from "cloudflare:workers";
import { limiterOf } from "../../src/limits/limiter-client";
import { decodePart } from "./reveal-tokens";

/**
 * A limiter commits a decision's audit entries and alerts in its own storage and flushes them to
 * D1 seconds later (a timer, with an alarm behind it). Tests that read the audit log or alerts
 * right after a request drive that flush for the principals of these bearer tokens.
 */
export async function settle(...bearers: string[]): Promise<void> {
	for (const bearer of bearers) {
		const claims = decodePart(bearer, 1) as { iss: string; sub: string; role?: string };
		await limiterOf(env, { kind: claims.role ? "employee" : "service", issuer: claims.iss, subject: claims.sub }).flushNow();
	}
}
