import type { RecordedAsk, RecordedStatusChange } from "../audit/recorded-asks";
import type { RecordedCall } from "../audit/recorded-calls";
import { applyCall, type CallAsk, type CallDecision, type CallState, callView, decideCall, EMPTY_CALLS, releaseCall } from "../calls/call-decision";
import { callPolicy, callRefusalName } from "../calls/call-policy";
import { apply, type Decision, decide, EMPTY_STATE, type LimiterAsk, type LimiterState } from "../limits/decide";
import { DAY_SECONDS, type EffectivePolicy, LIMIT_KINDS, type PolicyRow, resolvePolicy } from "../limits/policy";
import { REFUSALS_BEFORE_LIMITER } from "../reveals/refused-before-limiter";
import { type DailyUse, dailyUse } from "./daily-use";

/** What the scope rules said, by the reason a refusal recorded: the limiter saw only the class. */
const OUT_OF_SCOPE_REASONS = new Set(["not_assigned", "out_of_scope", "out_of_scope_probing"]);
/** Refusals the limiter decides whatever the ask's class was (a suspension is checked first), or that its rules decided for an ask in scope. */
const IN_SCOPE_REASONS = new Set<string>(["suspended", ...LIMIT_KINDS]);
/** Refusals decided before the limiter was asked: they never reached `decide`, so they are not replayed. */
const NOT_DECIDED = new Set<string>(REFUSALS_BEFORE_LIMITER);

/**
 * The ask `decide` saw, rebuilt from its entry; null for one it never saw. A scope refusal other
 * than "not assigned" (a purpose, party or field the purpose does not allow, or a reason this
 * version does not know) is a purpose mismatch: refused, and never counted as probing.
 */
export function askOf(recorded: RecordedAsk): LimiterAsk | null {
	if (recorded.recordId === null) return null;
	if (recorded.granted) return { recordId: recorded.recordId, class: "in_scope", honeytoken: false };
	const reason = recorded.reason ?? "";
	if (NOT_DECIDED.has(reason)) return null;
	if (reason === "honeytoken") return { recordId: recorded.recordId, class: "in_scope", honeytoken: true };
	if (OUT_OF_SCOPE_REASONS.has(reason)) return { recordId: recorded.recordId, class: "out_of_scope", honeytoken: false };
	// Refused for want of live work (src/reveals/ask-class.ts): stale never counts as probing, no open leg does.
	if (reason === "stale") return { recordId: recorded.recordId, class: "stale", honeytoken: false };
	if (reason === "no_open_leg") return { recordId: recorded.recordId, class: "no_open_leg", honeytoken: false };
	if (IN_SCOPE_REASONS.has(reason)) return { recordId: recorded.recordId, class: "in_scope", honeytoken: false };
	return { recordId: recorded.recordId, class: "purpose_mismatch", honeytoken: false };
}

/** Call refusals the limiter's rules decided for a call in scope, as recorded (`call_burst`, …). */
const CALL_LIMIT_REASONS = new Set<string>(["suspended", ...LIMIT_KINDS.map((kind) => `call_${kind}`)]);

/**
 * The call `decideCall` saw, rebuilt from its entry as `askOf` rebuilds an ask; null for an entry
 * that is no decision (a failed binding) or one decided before the limiter. A call refused by the
 * leg gate (its entry says `leg_refusal`), or for want of a case, is in scope with that leg
 * refusal, as the call route sent it; an entry from before `leg_refusal` was recorded reads as its
 * reason's class, as an ask's does.
 */
export function callAskOf(recorded: RecordedCall): CallAsk | null {
	if (recorded.recordId === null || recorded.kind === "call.failed") return null;
	const ask = (overrides: Partial<CallAsk>): CallAsk => ({
		recordId: recorded.recordId as string,
		class: "in_scope",
		honeytoken: false,
		legRefusal: null,
		reuse: false,
		...overrides,
	});
	if (recorded.kind === "call.granted") return ask({ reuse: recorded.reused });
	const reason = recorded.reason ?? "";
	if (NOT_DECIDED.has(reason)) return null;
	if (reason === "honeytoken") return ask({ honeytoken: true });
	if (OUT_OF_SCOPE_REASONS.has(reason)) return ask({ class: "out_of_scope" });
	// Refused by the leg gate for a call in scope: counted nowhere, never a probe.
	if (recorded.legRefusal && (reason === "no_open_leg" || reason === "stale" || reason === "case_required")) return ask({ legRefusal: reason });
	if (reason === "stale") return ask({ class: "stale" });
	if (reason === "no_open_leg") return ask({ class: "no_open_leg" });
	if (reason === "case_required") return ask({ legRefusal: "case_required" });
	if (CALL_LIMIT_REASONS.has(reason)) return ask({});
	return ask({ class: "purpose_mismatch" });
}

export interface Outcome {
	/** Asks this policy would refuse, and why (the refusal `decide` names). */
	refused: number;
	byReason: Record<string, number>;
	/** Asks that a report-only rule would refuse or that would raise an alert. */
	flagged: number;
}

export interface PrincipalOutcome {
	issuer: string;
	subject: string;
	role: string | null;
	depot: string | null;
	asks: number;
	current: { refused: number; flagged: number };
	proposed: { refused: number; flagged: number };
	/** Calls of the window, and how many each set of layers refuses. */
	calls: { replayed: number; current: number; proposed: number };
}

/** The calls of the window (DESIGN "Calls instead of numbers"), replayed under both sets of call limits. */
export interface CallReplay {
	calls: number;
	recorded: { granted: number; refused: number };
	current: Outcome;
	proposed: Outcome;
}

export interface Replay {
	/** Asks of the window that the limiter decided, replayed under both policies. */
	asks: number;
	recorded: { granted: number; refused: number };
	current: Outcome & {
		/** Asks whose replay under today's layers differs from what was recorded: the layers changed since, or the state predates the warm-up. */
		disagreements: number;
	};
	proposed: Outcome;
	principals: PrincipalOutcome[];
	roles: (DailyUse & { role: string })[];
	calls: CallReplay;
}

type Event =
	| { at: number; seq: number; ask: RecordedAsk }
	| { at: number; seq: number; call: RecordedCall }
	| { at: number; seq: number; change: RecordedStatusChange };

const keyOf = (who: { issuer: string; subject: string }) => `${who.issuer}\n${who.subject}`;

const both = (states: [LimiterState, LimiterState], change: (state: LimiterState) => LimiterState): [LimiterState, LimiterState] => [
	change(states[0]),
	change(states[1]),
];

function emptyOutcome(): Outcome {
	return { refused: 0, byReason: {}, flagged: 0 };
}

function count(outcome: Outcome, decision: Pick<Decision, "granted" | "shadowRefusals" | "alerts"> & { refusal: string | null }): void {
	if (!decision.granted) {
		outcome.refused += 1;
		const reason = decision.refusal ?? "unknown";
		outcome.byReason[reason] = (outcome.byReason[reason] ?? 0) + 1;
	}
	if (decision.shadowRefusals.length > 0 || decision.alerts.length > 0) outcome.flagged += 1;
}

/**
 * Replays recorded asks through the limiter's own decision (`decide` and `apply`, called here, not
 * copied), once with today's layers and once with the proposed ones, each principal from an empty
 * state. Asks before `from` are a warm-up: every reveal rule's window is at most 24 hours and the
 * probe window one hour, so a warm-up of a day rebuilds the state the limiter had at `from`, and
 * only asks from `from` on are counted. Suspensions and reinstatements by ops are applied as
 * recorded; detection's are decided again (they do not depend on the limits). An ask refused as
 * `suspended` when the replay has no suspension is a suspension from before the log's window: it
 * is taken as recorded. Days of use are the 24-hour periods from `from` to `to`. Calls are
 * replayed in the same timeline through the call decision (`decideCall`, `applyCall`) under each
 * side's call limits: a person's calls and reveals share one suspension and one probe count, as in
 * the limiter; a binding the provider could not make is given back as the limiter gave it back. Pure.
 */
export function replay(
	asks: readonly RecordedAsk[],
	changes: readonly RecordedStatusChange[],
	current: readonly PolicyRow[],
	proposed: readonly PolicyRow[],
	from: number,
	to: number,
	calls: readonly RecordedCall[] = [],
): Replay {
	const timelines = new Map<string, Event[]>();
	const add = (key: string, event: Event) => {
		const events = timelines.get(key) ?? [];
		events.push(event);
		timelines.set(key, events);
	};
	for (const ask of asks) add(keyOf(ask), { at: ask.at, seq: ask.seq, ask });
	for (const call of calls) add(keyOf(call), { at: call.at, seq: call.seq, call });
	for (const change of changes) timelines.get(keyOf(change))?.push({ at: change.at, seq: change.seq, change });

	const result: Replay = {
		asks: 0,
		recorded: { granted: 0, refused: 0 },
		current: { ...emptyOutcome(), disagreements: 0 },
		proposed: emptyOutcome(),
		principals: [],
		roles: [],
		calls: { calls: 0, recorded: { granted: 0, refused: 0 }, current: emptyOutcome(), proposed: emptyOutcome() },
	};
	/** In-scope asks per principal and day of the window (demand, granted or refused by a limit), and whether detection ever flagged them. */
	const demand: { role: string; days: number[]; honest: boolean }[] = [];
	const windowDays = Math.max(1, Math.ceil((to - from) / (DAY_SECONDS * 1000)));

	for (const events of timelines.values()) {
		events.sort((a, b) => a.at - b.at || a.seq - b.seq);
		const first = events.flatMap((event): (RecordedAsk | RecordedCall)[] => ("ask" in event ? [event.ask] : "call" in event ? [event.call] : []))[0] as
			| RecordedAsk
			| RecordedCall;
		let latest: RecordedAsk | RecordedCall = first;
		const subject = { kind: first.role === null ? ("service" as const) : ("employee" as const), issuer: first.issuer, subject: first.subject };
		let states: [LimiterState, LimiterState] = [EMPTY_STATE, EMPTY_STATE];
		const callStates: [CallState, CallState] = [EMPTY_CALLS, EMPTY_CALLS];
		/** Each counted call's record and time, by call id: what a failed binding gives back. */
		const counted = new Map<string, { recordId: string; at: number }>();
		const resolved = new Map<string, [EffectivePolicy, EffectivePolicy]>();
		// The role and depot of each ask: an employee who moves depot is judged by the layers of where they are.
		const policiesOf = (recorded: RecordedAsk | RecordedCall): [EffectivePolicy, EffectivePolicy] => {
			const as = `${recorded.role}\n${recorded.depot}`;
			let policies = resolved.get(as);
			if (!policies) {
				const who = { ...subject, role: recorded.role ?? undefined, depot: recorded.depot ?? undefined };
				policies = [resolvePolicy(current, who), resolvePolicy(proposed, who)];
				resolved.set(as, policies);
			}
			return policies;
		};
		/** Refused as suspended with no suspension in the replay: one from before the log's window, taken as recorded. */
		const suspendedBefore = (at: number) => {
			states = both(states, (state) => ({ ...state, suspension: state.suspension ?? { at, reason: "ops", by: "before the replay" } }));
		};
		const tally: PrincipalOutcome = {
			issuer: first.issuer,
			subject: first.subject,
			role: first.role,
			depot: first.depot,
			asks: 0,
			current: { refused: 0, flagged: 0 },
			proposed: { refused: 0, flagged: 0 },
			calls: { replayed: 0, current: 0, proposed: 0 },
		};
		const days = new Array<number>(windowDays).fill(0);
		let honest = true;

		for (const event of events) {
			if ("change" in event) {
				// As the limiter's reinstate() does: the suspension lifted, the probe count that may have caused it cleared.
				if (event.change.status === "reinstated") states = both(states, (state) => ({ ...state, suspension: null, probes: [] }));
				else if (event.change.by === "ops")
					states = both(states, (state) => ({ ...state, suspension: state.suspension ?? { at: event.at, reason: "ops", by: "ops" } }));
				if (event.at >= from && event.change.status === "suspended") honest = false;
				continue;
			}
			if ("call" in event) {
				const recorded = event.call;
				if (recorded.kind === "call.failed") {
					// The limiter gave a counted call back when its binding failed (src/calls/make-call.ts).
					const given = recorded.action === "BindAxb" && recorded.callId !== null ? counted.get(recorded.callId) : undefined;
					if (given) for (const i of [0, 1] as const) callStates[i] = releaseCall(callStates[i], given.recordId, given.at);
					continue;
				}
				const ask = callAskOf(recorded);
				if (ask === null) continue;
				latest = recorded;
				if (recorded.kind === "call.denied" && recorded.reason === "suspended") suspendedBefore(recorded.at);
				const policies = policiesOf(recorded);
				const decisions = policies.map((policy, i): CallDecision => {
					const decision = decideCall(callView(states[i] as LimiterState, callStates[i] as CallState), ask, callPolicy(policy), recorded.at);
					const next = applyCall(states[i] as LimiterState, callStates[i] as CallState, ask, decision, recorded.at);
					states[i] = next.reveals;
					callStates[i] = next.calls;
					return decision;
				}) as [CallDecision, CallDecision];
				if (recorded.kind === "call.granted" && !ask.reuse && recorded.callId !== null)
					counted.set(recorded.callId, { recordId: ask.recordId, at: recorded.at });
				if (recorded.at < from) continue;
				const [now, next] = decisions;
				result.calls.calls += 1;
				tally.calls.replayed += 1;
				if (recorded.kind === "call.granted") result.calls.recorded.granted += 1;
				else result.calls.recorded.refused += 1;
				count(result.calls.current, { ...now, refusal: now.refusal === null ? null : callRefusalName(now.refusal) });
				count(result.calls.proposed, { ...next, refusal: next.refusal === null ? null : callRefusalName(next.refusal) });
				if (!now.granted) tally.calls.current += 1;
				if (!next.granted) tally.calls.proposed += 1;
				if (ask.honeytoken || ask.class === "out_of_scope" || now.suspend !== null) honest = false;
				continue;
			}
			const recorded = event.ask;
			const ask = askOf(recorded);
			if (ask === null) continue;
			latest = recorded;
			if (!recorded.granted && recorded.reason === "suspended") suspendedBefore(recorded.at);
			const policies = policiesOf(recorded);
			const decisions = policies.map((policy, i) => {
				const state = states[i] as LimiterState;
				const decision = decide(state, ask, policy, recorded.at);
				states[i] = apply(state, ask, decision, recorded.at);
				return decision;
			}) as [Decision, Decision];
			if (recorded.at < from) continue;

			const [now, next] = decisions;
			result.asks += 1;
			tally.asks += 1;
			if (recorded.granted) result.recorded.granted += 1;
			else result.recorded.refused += 1;
			if (now.granted !== recorded.granted) result.current.disagreements += 1;
			count(result.current, now);
			count(result.proposed, next);
			if (!now.granted) tally.current.refused += 1;
			if (!next.granted) tally.proposed.refused += 1;
			if (now.shadowRefusals.length > 0 || now.alerts.length > 0) tally.current.flagged += 1;
			if (next.shadowRefusals.length > 0 || next.alerts.length > 0) tally.proposed.flagged += 1;
			if (ask.honeytoken || ask.class === "out_of_scope" || now.suspend !== null) honest = false;
			if (ask.class === "in_scope" && !ask.honeytoken && recorded.reason !== "suspended") {
				const day = Math.min(windowDays - 1, Math.floor((recorded.at - from) / (DAY_SECONDS * 1000)));
				days[day] = (days[day] ?? 0) + 1;
			}
		}
		tally.role = latest.role;
		tally.depot = latest.depot;
		if (tally.asks > 0 || tally.calls.replayed > 0) result.principals.push(tally);
		if (latest.role !== null) demand.push({ role: latest.role, days: days.filter((n) => n > 0), honest });
	}

	const roles = [...new Set(demand.map((entry) => entry.role))].sort();
	result.roles = roles.map((role) => ({
		role,
		...dailyUse(
			demand.filter((entry) => entry.role === role).flatMap((entry) => entry.days),
			demand.filter((entry) => entry.role === role && entry.honest).flatMap((entry) => entry.days),
		),
	}));
	return result;
}
