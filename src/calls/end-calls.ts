/**
 * Ending bindings: early, by the employee who made the call or by ops (`DELETE /v1/calls/{id}`),
 * and when they outlive their leg (closed, cancelled, moved to someone else), from the shipment
 * events that close it and from the minute cron, which also retries unbinds that failed. A binding
 * past its expiry is already gone at the provider (it honours Expiration): it is only marked.
 */
import { actorOf } from "../audit/actor";
import { auditLogFor } from "../audit/audit-log-for";
import type { AuditEvent } from "../audit/entry";
import type { Principal } from "../auth/principal";
import type { Env } from "../env";
import { ProblemError } from "../http/problem";
import { rowTrustFor } from "../integrity/row-trust-for";
import { storedIssuerOf } from "../integrity/sign-legacy-rows";
import type { LegRow } from "../shipments/stored-rows";
import { CallStore, type DueCall, type EndReason } from "./call-store";
import { telephonyProvider } from "./telephony-for-env";
import { telephonyProblem } from "./telephony-problem";
import { TelephonyError, type TelephonyProvider } from "./telephony-provider";

export interface EndCallDeps {
	calls: CallStore;
	provider: () => TelephonyProvider;
}

/**
 * Ends one binding now. Only its caller or ops may, and to anyone else it does not exist (404).
 * Ending one already over is done (204). A provider failure is audited, kept for the minute cron
 * to retry, and answered as the provider problem.
 */
export async function endCall(deps: EndCallDeps, principal: Principal, callId: string, now: number): Promise<void> {
	const call = await deps.calls.get(callId);
	const ops = principal.kind === "service" && principal.scopes.has("ops");
	if (!call || (!ops && (call.issuer !== principal.issuer || call.subject !== principal.subject))) {
		throw new ProblemError("not-found", { detail: "No call of yours has this id." });
	}
	if (call.ended_at !== null || call.expires_at <= now) return;
	const provider = deps.provider();
	const reason: EndReason = ops ? "ended_by_ops" : "ended_by_caller";
	const actor = actorOf(principal);
	try {
		await provider.unbind({ bindingId: call.binding_id, virtualNumber: call.virtual_number });
	} catch (error) {
		if (!(error instanceof TelephonyError)) throw error;
		const failed: AuditEvent = {
			kind: "call.failed",
			at: now,
			actor,
			recordId: call.record_id,
			details: {
				call_id: call.id,
				provider: error.provider,
				action: error.action,
				failure: error.failure,
				...(error.providerCode ? { provider_code: error.providerCode } : {}),
				retry: "minute",
			},
		};
		await deps.calls.unbindFailed([call.id], reason, now, failed);
		throw telephonyProblem(error);
	}
	await deps.calls.end([{ id: call.id, reason }], now, {
		kind: "call.ended",
		at: now,
		actor,
		recordId: call.record_id,
		details: { call_id: call.id, reason },
	});
}

/** Whether each leg's MAC holds (src/integrity/row-trust.ts); the failing ones are reported. */
export type LegTrust = (legs: readonly LegRow[]) => Promise<boolean[]>;

export interface EndDueReport {
	ended: number;
	expired: number;
	failed: number;
}

/** Unbinds at most this many at once: the provider throttles bursts. */
const PARALLEL = 8;

/**
 * Ends every binding due at `now` (at most `limit`; `shipmentIds` narrows it to shipments whose
 * events just changed): unbound at the provider, then marked with one `call.ended` entry naming
 * each call and why. Failures stay live and are counted; the next run tries them again. Without a
 * provider (TELEPHONY missing or malformed) only the expired ones are marked.
 */
export async function endDueCalls(
	calls: CallStore,
	provider: TelephonyProvider | null,
	now: number,
	options: { limit: number; shipmentIds?: readonly string[]; legTrust?: LegTrust },
): Promise<EndDueReport> {
	const due = await calls.due(now, options.limit, options.shipmentIds);
	if (options.legTrust) {
		// Bindings the SQL finds held by an open leg, whose leg fails its MAC: due as if the leg were closed.
		const held = await calls.heldOpenByLegs(now, options.limit, options.shipmentIds);
		const admitted = await options.legTrust(held.map((call) => JSON.parse(call.leg) as LegRow));
		const listed = new Set(due.map((call) => call.id));
		for (const [i, { leg: _, ...call }] of held.entries()) if (!admitted[i] && !listed.has(call.id)) due.push(call);
	}
	const ended: DueCall[] = [];
	const failed: DueCall[] = [];
	const queue = [...due];
	const worker = async () => {
		for (let call = queue.shift(); call; call = queue.shift()) {
			if (call.reason === "expired") ended.push(call);
			else if (!provider || provider.provider !== call.provider) failed.push(call);
			else {
				try {
					await provider.unbind({ bindingId: call.binding_id, virtualNumber: call.virtual_number });
					ended.push(call);
				} catch (error) {
					if (!(error instanceof TelephonyError)) throw error;
					failed.push(call);
				}
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(PARALLEL, due.length) }, worker));
	if (ended.length > 0) {
		await calls.end(
			ended.map((call) => ({ id: call.id, reason: call.reason })),
			now,
			{
				kind: "call.ended",
				at: now,
				actor: null,
				recordId: null,
				details: { calls: ended.map((call) => ({ call_id: call.id, reason: call.reason })), by: "vault" },
				recordIds: [...new Set(ended.map((call) => call.record_id))],
			},
		);
	}
	if (failed.length > 0) {
		await calls.unbindFailed(
			failed.map((call) => call.id),
			null,
			now,
		);
		console.warn(
			JSON.stringify({ event: "call_unbind_failed", count: failed.length, max_attempts: Math.max(...failed.map((call) => call.unbind_attempts + 1)) }),
		);
	}
	return {
		ended: ended.filter((call) => call.reason !== "expired").length,
		expired: ended.filter((call) => call.reason === "expired").length,
		failed: failed.length,
	};
}

/** Bindings ended per run of the minute cron, and per shipment-events request. */
export const END_DUE_LIMIT = 200;

/** `endDueCalls` with the deployment's own store and provider (the cron, and the shipment events' background work). */
export async function endDueCallsIn(env: Env, now: number, shipmentIds?: readonly string[], ctx?: Pick<ExecutionContext, "waitUntil">): Promise<EndDueReport> {
	// A deployment without telephony has no bindings to end but expired ones; it is not told so every minute.
	let provider: TelephonyProvider | null = null;
	if (env.TELEPHONY) {
		try {
			provider = telephonyProvider(env);
		} catch {
			provider = null;
		}
	}
	const trust = rowTrustFor(env, ctx);
	const stored = storedIssuerOf(env);
	const legTrust: LegTrust = async (legs) => {
		const meant = legs.map((leg) => ({
			...leg,
			courier_issuer: leg.courier === null ? null : stored(leg.courier_issuer),
			mac: leg.mac ?? null,
			mac_key: leg.mac_key ?? null,
		}));
		const admitted = new Set(await trust.legs(meant));
		return meant.map((leg) => admitted.has(leg));
	};
	return endDueCalls(new CallStore(env.DB, auditLogFor(env, ctx)), provider, now, {
		limit: END_DUE_LIMIT,
		legTrust,
		...(shipmentIds ? { shipmentIds } : {}),
	});
}
