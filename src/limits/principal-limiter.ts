import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { apply, type Decision, decide, EMPTY_STATE, type LimiterAsk, type LimiterState, PROBE_WINDOW_MS, type Suspension } from "./decide";
import { DAY_SECONDS, type EffectivePolicy } from "./policy";

export interface LimiterStatus {
	suspension: Suspension | null;
	grantsLast24h: number;
	distinctRecordsLast24h: number;
	probesLastHour: number;
}

const STATE_KEY = "state";

/**
 * One per principal (named `employee:<sub>` or `service:<sub>`): the single, strongly consistent
 * place that counts a principal's reveals. Each call reads the state, decides with the pure
 * `decide`, and writes the result with no other I/O in between, so the input gate makes it atomic
 * and concurrent asks are counted exactly. State lives in durable storage: eviction loses nothing.
 */
export class PrincipalLimiter extends DurableObject<Env> {
	private async state(): Promise<LimiterState> {
		return (await this.ctx.storage.get<LimiterState>(STATE_KEY)) ?? EMPTY_STATE;
	}

	async ask(ask: LimiterAsk, policy: EffectivePolicy): Promise<Decision> {
		const now = Date.now();
		const state = await this.state();
		const decision = decide(state, ask, policy, now);
		// Storage calls keep the input gate closed: no other ask runs between the read and this write.
		await this.ctx.storage.put(STATE_KEY, apply(state, ask, decision, now));
		return decision;
	}

	async status(): Promise<LimiterStatus> {
		const now = Date.now();
		const state = await this.state();
		const grants = state.grants.filter((grant) => grant.at > now - DAY_SECONDS * 1000);
		return {
			suspension: state.suspension,
			grantsLast24h: grants.length,
			distinctRecordsLast24h: new Set(grants.map((grant) => grant.recordId)).size,
			probesLastHour: state.probes.filter((at) => at > now - PROBE_WINDOW_MS).length,
		};
	}

	/** Idempotent: suspending a suspended principal keeps the first reason. */
	async suspend(by: string): Promise<Suspension> {
		const state = await this.state();
		if (state.suspension) return state.suspension;
		const suspension: Suspension = { at: Date.now(), reason: "ops", by };
		await this.ctx.storage.put(STATE_KEY, { ...state, suspension });
		return suspension;
	}

	/** Lifts a suspension and clears the probe count that may have caused it; quotas keep counting. */
	async reinstate(): Promise<Suspension | null> {
		const state = await this.state();
		await this.ctx.storage.put(STATE_KEY, { ...state, suspension: null, probes: [] });
		return state.suspension;
	}
}
