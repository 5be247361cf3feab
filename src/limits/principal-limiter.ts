import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import {
	type AlertIntent,
	apply,
	type Decision,
	decide,
	EMPTY_STATE,
	type LimiterAsk,
	type LimiterState,
	PROBE_WINDOW_MS,
	type RuleStanding,
	type Suspension,
	standing,
} from "./decide";
import { DAY_SECONDS, type EffectivePolicy } from "./policy";

export interface LimiterStatus {
	suspension: Suspension | null;
	grantsLast24h: number;
	distinctRecordsLast24h: number;
	probesLastHour: number;
	/** Empty unless the caller passed the principal's policy. */
	standing: RuleStanding[];
}

const STATE_KEY = "state";
const OUTBOX_KEY = "outbox";

/** An alert raised by a decision, kept until the worker has written it to D1. */
export interface Notice {
	id: string;
	at: number;
	alert: AlertIntent;
	/** Whether the decision that raised it suspended the principal. */
	suspends: boolean;
}

/**
 * One per principal (named `employee:<sub>` or `service:<sub>`): the single, strongly consistent
 * place that counts a principal's reveals. Each call reads the state, decides with the pure
 * `decide`, and writes the result inside one synchronous SQLite transaction (`transactionSync`
 * over the synchronous KV API): no await, so no other call can interleave, and concurrent asks are
 * counted exactly. An await between read and write would let another call in (measured: 11 grants
 * of 100 concurrent asks against a limit of 10). State lives in durable storage: eviction loses nothing.
 */
export class PrincipalLimiter extends DurableObject<Env> {
	private read(): LimiterState {
		return this.ctx.storage.kv.get<LimiterState>(STATE_KEY) ?? EMPTY_STATE;
	}

	private update<T>(change: (state: LimiterState, now: number) => { next: LimiterState; result: T }): T {
		return this.ctx.storage.transactionSync(() => {
			const { next, result } = change(this.read(), Date.now());
			this.ctx.storage.kv.put(STATE_KEY, next);
			return result;
		});
	}

	/**
	 * Decides an ask. Alerts the decision raises go into this object's outbox in the same
	 * transaction, and every answer carries the whole outbox until the caller acknowledges it:
	 * if the caller's D1 write fails after this commit, the next ask delivers them again.
	 */
	ask(ask: LimiterAsk, policy: EffectivePolicy): { decision: Decision; notices: Notice[] } {
		return this.update((state, now) => {
			const decision = decide(state, ask, policy, now);
			const raised = decision.alerts.map((alert) => ({ id: crypto.randomUUID(), at: now, alert, suspends: decision.suspend !== null }));
			const notices = [...(this.ctx.storage.kv.get<Notice[]>(OUTBOX_KEY) ?? []), ...raised];
			if (raised.length > 0) this.ctx.storage.kv.put(OUTBOX_KEY, notices);
			return { next: apply(state, ask, decision, now), result: { decision, notices } };
		});
	}

	/** The caller stored these notices in D1: drop them from the outbox. */
	ack(ids: string[]): void {
		this.ctx.storage.transactionSync(() => {
			const done = new Set(ids);
			this.ctx.storage.kv.put(
				OUTBOX_KEY,
				(this.ctx.storage.kv.get<Notice[]>(OUTBOX_KEY) ?? []).filter((notice) => !done.has(notice.id)),
			);
		});
	}

	/** Status and counts; with the principal's effective policy, also where each enforced rule stands. */
	status(policy?: EffectivePolicy): LimiterStatus {
		const now = Date.now();
		const state = this.read();
		const grants = state.grants.filter((grant) => grant.at > now - DAY_SECONDS * 1000);
		return {
			suspension: state.suspension,
			grantsLast24h: grants.length,
			distinctRecordsLast24h: new Set(grants.map((grant) => grant.recordId)).size,
			probesLastHour: state.probes.filter((at) => at > now - PROBE_WINDOW_MS).length,
			standing: policy ? standing(state, policy, now) : [],
		};
	}

	/** Idempotent: suspending a suspended principal keeps the first reason. */
	suspend(by: string): Suspension {
		return this.update((state, now) => {
			const suspension = state.suspension ?? { at: now, reason: "ops" as const, by };
			return { next: { ...state, suspension }, result: suspension };
		});
	}

	/** Lifts a suspension and clears the probe count that may have caused it; quotas keep counting. */
	reinstate(): Suspension | null {
		return this.update((state) => ({ next: { ...state, suspension: null, probes: [] }, result: state.suspension }));
	}
}
