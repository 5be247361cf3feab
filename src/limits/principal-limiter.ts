import { DurableObject } from "cloudflare:workers";
import { auditLogFor } from "../audit/audit-log-for";
import type { AuditActor, AuditEvent } from "../audit/entry";
import {
	applyCall,
	type CallAsk,
	type CallDecision,
	type CallDraft,
	type CallState,
	callEvents,
	callView,
	decideCall,
	EMPTY_CALLS,
	releaseCall,
} from "../calls/call-decision";
import { callPolicy } from "../calls/call-policy";
import { decideReveal } from "../calls/plaintext-phone";
import { AlertStore } from "../detection/alert-store";
import { deliverDueAlerts } from "../detection/deliver-alerts";
import { type CanaryOwner, HoneytokenStore } from "../detection/honeytoken-store";
import { raiseRingAlertIfDue } from "../detection/ring-alert";
import type { Env } from "../env";
import { rowTrustFor } from "../integrity/row-trust-for";
import { type AskDraft, askEvents, type RedeemDraft, redeemEvent } from "../reveals/decision-events";
import { type ActivityState, applyLookup, countRefusal, decideLookup, EMPTY_ACTIVITY, type LookupAsk, type LookupDecision } from "./activity";
import { AuditOutbox, FLUSH_BATCH, OUTBOX_FLUSH_DELAY_MS, type OutboxEntry } from "./audit-outbox";
import {
	type AlertIntent,
	apply,
	type Decision,
	EMPTY_STATE,
	type LimiterAsk,
	type LimiterState,
	PROBE_WINDOW_MS,
	type RuleStanding,
	type Suspension,
	standing,
} from "./decide";
import type { DepotLedger, TallyBatch } from "./depot-ledger";
import { EarliestAlarm } from "./earliest-alarm";
import { EarliestTimer } from "./earliest-timer";
import { type Grant, GrantLog } from "./grant-log";
import { addToSummary, closeSummaries, type MinuteSummary, nextClose, summaryEvent } from "./minute-summary";
import { ObjectKv } from "./object-kv";
import { DAY_SECONDS, type EffectivePolicy } from "./policy";
import { PrincipalStatusStore } from "./principal-status-store";
import { MARK_PURGE_INTERVAL_MS, RedemptionMarks } from "./redemption-marks";

export interface LimiterStatus {
	suspension: Suspension | null;
	grantsLast24h: number;
	distinctRecordsLast24h: number;
	probesLastHour: number;
	/** Empty unless the caller passed the principal's policy. */
	standing: RuleStanding[];
	/** Calls counted in the last 24 hours (a double tap and a binding given back are not). */
	callsLast24h: number;
	/** Where the call limits stand; empty unless the caller passed the principal's policy. */
	callStanding: RuleStanding[];
}

const STATE_KEY = "state";
const ACTIVITY_KEY = "activity";
const SUMMARIES_KEY = "summaries";
const OUTBOX_KEY = "outbox";
const DEPOT_KEY = "depot";
const STATUS_KEY = "status";
const CALLS_KEY = "calls";
/** The depot whose ledger last took this object's entries (absent: they went to D1 directly). */
const RELAY_KEY = "relay";
/** Whom the object is for: the pair (issuer, subject) its first call named (ownedBy). */
const OWNER_KEY = "owner";

/** `state` as stored: the grants have a table of their own (src/limits/grant-log.ts); state written before it holds them. */
type StoredState = Omit<LimiterState, "grants"> & { grants?: LimiterState["grants"] };

/** How full an outbox flushes at once. */
const FLUSH_AT_SIZE = 200;

/**
 * How far behind its flush timer the durable alarm is set: the longest committed entries wait if
 * the instance is lost before the timer fires (a restart, a crash; nothing is lost either way: the
 * alarm finds them in storage). A timer writes nothing; setting an alarm and running one each
 * commit to the alarm's metadata and to the object's own database. With an alarm per flush (one
 * flush per busy principal every couple of seconds) those were 3 of the 7.3 fsyncs a full reveal
 * cost locally, each on the one thread that serves the worker, its objects and the local D1 (strace
 * of `wrangler dev`, 1,000 full reveals over 100 couriers: 4.8 with this backstop, 2.6 once a
 * flush and the ledger's hand-off stopped committing on their own). At 32 connections, where each
 * courier decides about twice a second and the next decision takes the last hand-off off in its
 * own transaction, the fsync tracepoints counted 2.2 per full reveal over 3,000, the limiters' 2.1.
 * On the platform each commit is a billed row write and each alarm an invocation. One alarm now
 * stands for this long, however many flushes its timer makes meanwhile. The price: a pending
 * timer keeps the object from hibernating until it fires, and the hand-off waits about a second
 * for the ledger's D1 write, so each flush bills up to OUTBOX_FLUSH_DELAY_MS and that second of
 * duration.
 */
export const FLUSH_BACKSTOP_MS = 30_000;

/**
 * How long a principal stays quiet, with everything it decided handed on, before its object takes
 * what the last flush handed on off in storage and clears the alarm that stood behind the timer.
 * Left standing, that alarm woke every object gone quiet, FLUSH_BACKSTOP_MS after its first
 * decision, only to commit that hand-off: an invocation (often a new instance) per quiet spell of
 * every courier. Measured with `npm run bench -- --only=call,I/O,full`: the 300 callers' alarms,
 * landing in the full reveal phase, cost it 8.30 ms of the worker's CPU per step against 6.05 with
 * them out of the way. A decision within the quiet time keeps the alarm and takes the hand-off off
 * in its own transaction, as before; the timer keeps the instance in memory that long.
 */
export const QUIET_AFTER_MS = 5_000;

/** Whom a call is for: the pair (issuer, subject). */
type PrincipalKey = Pick<AuditActor, "issuer" | "subject">;

/** A call for a principal other than the one the object is for (ownedBy): refused, nothing read or written. */
export class LimiterIdentityError extends Error {
	override name = "LimiterIdentityError";
}

/** After a failed alarm flush, the next attempt: this long, doubling with each failure in a row, up to ALARM_RETRY_MAX_MS. */
export const ALARM_RETRY_MS = 10_000;
const ALARM_RETRY_MAX_MS = 300_000;

/**
 * What a flush handed on and this object has not yet taken off in storage: the entries that landed,
 * the depot batches told, and where the run went. It is taken off in the object's next transaction
 * (usually the next decision's), not in a commit of its own: a busy principal's flush then costs no
 * durable write here. An instance lost before that resends what landed (the ledger and the log skip
 * ids they hold) and its told batches, grown by whatever it counted meanwhile (the ledger counts a
 * batch's increase: src/limits/received-batches.ts); nothing is lost or counted twice.
 */
interface Settlement {
	landed: readonly string[];
	told: readonly [string, TallyBatch][];
	/** The run's destination when entries landed (absent: none did). */
	relayedTo?: string | null;
}

/** An alert raised by a decision, kept until it is written to D1. */
export interface Notice {
	id: string;
	at: number;
	alert: AlertIntent;
	/** Whether the decision that raised it suspended the principal. */
	suspends: boolean;
	/** Who it is about, so this object can write it itself. */
	actor?: AuditActor;
	/** For a daily-quota alert: the depot's ring threshold, checked once the alert is in D1. */
	ringThreshold?: number;
}

/** A suspension this object decided, for the D1 listing of principals (the object stays the authority). */
interface StatusPending {
	reason: string;
	at: number;
	actor: AuditActor;
	kind: "employee" | "service";
}

/** How a refusal is audited: on its own entry (the caller writes it), or summed into this object's per-minute entry. */
export type RefusalAudit = "entry" | "summarized";

export interface RedeemOutcome {
	outcome: "redeemed" | "suspended" | "already_redeemed";
	audit: RefusalAudit;
	retryAfterSeconds: number | null;
}

export interface CallOutcome {
	decision: CallDecision;
	audit: RefusalAudit;
	refusalsRetryAfterSeconds: number | null;
	/** When the call was counted: what `callFailed` names to give it back. */
	at: number;
}

export interface AskOutcome {
	decision: Decision;
	audit: RefusalAudit;
	/** Set when the refusal budget is spent: answer 429 with this Retry-After (a suspension still answers 423). */
	refusalsRetryAfterSeconds: number | null;
}

/**
 * One per principal (see `limiterName`): the single, strongly consistent place that counts a
 * principal's reveals, lookups and refusals. Each call reads the state, decides with a pure
 * function (`decide`, `decideLookup`, `countRefusal`), and writes the result inside one synchronous
 * SQLite transaction (`transactionSync`): no await, so no other call can interleave, and
 * concurrent asks are counted exactly. An await between read and write would let another call in
 * (measured: 11 grants of 100 concurrent asks against a limit of 10). State lives in durable
 * storage: eviction loses nothing.
 *
 * What this object records for the audit log or the depot ledger (per-minute summaries, its
 * outbox, pending depot counts) is committed in the same transaction as the decision, and its
 * flush writes it onward (a timer, with a durable alarm behind it), retried by the alarm for as
 * long as it takes.
 */
export class PrincipalLimiter extends DurableObject<Env> {
	private readonly outbox: AuditOutbox;
	private readonly marks: RedemptionMarks;
	private readonly grants: GrantLog;
	private readonly kv: ObjectKv;
	/** The object's alarm: the durable flush behind the timer, set for the earliest moment anything needs it. */
	private readonly nextAlarm = new EarliestAlarm(this.ctx.storage);
	/** The flush timer: gone with the instance, which the alarm stands behind. */
	private readonly flushTimer = new EarliestTimer(() => this.timerFlush());
	/** Flush work runs one piece after another (a timer, the alarm, `flushNow`): never two hand-offs at once. */
	private cycles: Promise<void> = Promise.resolve();
	/** A flush cycle queued and not yet started: a second trigger shares it instead of queuing another. */
	private waitingCycle: Promise<void> | null = null;
	/** Timer flushes failed in a row since the last that went through: each retry waits twice as long. */
	private failedFlushes = 0;
	/** Alarm flushes failed in a row: each next attempt waits twice as long, from ALARM_RETRY_MS. */
	private failedAlarms = 0;
	/** When a flush next purges long-expired redemption marks (a scan of the table): at the first flush after a wake, then every few minutes. */
	private nextMarkPurgeAt = 0;
	/** A decision since the last scheduling raised an alert or suspended: flush at once. */
	private alertRaised = false;
	/** The last flush's hand-off, taken off in storage by the next transaction (see `Settlement`). */
	private unsettled: Settlement | null = null;
	/** Set when a flush left nothing waiting; a decision that leaves anything waiting cancels it (QUIET_AFTER_MS). */
	private quietTimer: ReturnType<typeof setTimeout> | null = null;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.outbox = new AuditOutbox(ctx.storage.sql);
		this.marks = new RedemptionMarks(ctx.storage.sql);
		this.grants = new GrantLog(ctx.storage.sql);
		this.kv = new ObjectKv(ctx.storage);
		// State written before the grants had a table of their own holds them: they move there once.
		const legacy = this.kv.get<StoredState>(STATE_KEY)?.grants;
		if (legacy) this.transaction(() => this.write({ ...this.read(), grants: [...this.grants.all(), ...legacy] }));
		// Before any call: an alarm set before an eviction must not be pushed later by the next ask for one.
		void ctx.blockConcurrencyWhile(() => this.nextAlarm.load());
	}

	/**
	 * One synchronous storage transaction, which first takes off what the last flush handed on; if it
	 * throws, storage rolls back and so does what this instance remembers of it (the hand-off waits
	 * for the next).
	 */
	private transaction<T>(body: () => T): T {
		const settling = this.unsettled;
		// A rolled-back decision raised nothing: it must not make the next flush urgent.
		const result = this.kv.transaction(
			() => {
				if (settling) this.settle(settling);
				return body();
			},
			() => {
				this.outbox.forget();
				this.grants.forget();
				this.alertRaised = false;
			},
		);
		if (this.unsettled === settling) this.unsettled = null;
		return result;
	}

	/**
	 * Inside a transaction: the call is for the person this object is for. Objects are named after
	 * the person (limiter-client.ts), the employee issuer's people by subject alone, so a change of
	 * which issuer is the employee issuer (TRUSTED_ISSUERS reordered, the `employees` mark moved)
	 * would hand one person's counts, marks and suspension to another issuer's person of the same
	 * subject. The first call names the owner (in its own transaction, no commit of its own); a
	 * call for anyone else is refused before anything is read or written, and the caller answers
	 * 503: the state stays with the person it belongs to.
	 */
	private ownedBy(actor: PrincipalKey, record = true): void {
		const owner = this.kv.get<PrincipalKey>(OWNER_KEY);
		if (owner === undefined) {
			if (record) this.kv.put(OWNER_KEY, { issuer: actor.issuer, subject: actor.subject });
			return;
		}
		if (owner.issuer === actor.issuer && owner.subject === actor.subject) return;
		console.error(JSON.stringify({ event: "limiter_identity_conflict", owner_issuer: owner.issuer, caller_issuer: actor.issuer }));
		throw new LimiterIdentityError("this limiter object belongs to another principal");
	}

	/** Inside a transaction: takes off what a flush handed on. */
	private settle({ landed, told, relayedTo }: Settlement): void {
		this.outbox.remove(landed);
		if (told.length > 0) this.kv.put(DEPOT_KEY, afterTold(this.depots(), told));
		if (relayedTo !== undefined) this.relayedTo(relayedTo);
	}

	/** Commits the last flush's hand-off now, when what comes next reads the outbox or the depot batches from storage. */
	private settleNow(): void {
		if (this.unsettled) this.transaction(() => undefined);
	}

	/** Entries waiting to be handed on: the outbox, less what the last flush handed on and is not yet taken off. */
	private waitingEntries(): number {
		return this.outbox.size() - (this.unsettled?.landed.length ?? 0);
	}

	private read(): LimiterState {
		const { grants: _inTheirTable, ...rest } = this.kv.get<StoredState>(STATE_KEY) ?? EMPTY_STATE;
		// Frozen, as every value this object remembers: a rule returns new lists, never changes these.
		return { ...rest, grants: this.grants.all() as Grant[] };
	}

	/** Inside a transaction: the grants to their table (only what changed), the rest under `state`. */
	private write(state: LimiterState): void {
		const { grants, ...rest } = state;
		this.kv.put(STATE_KEY, rest);
		this.grants.save(grants);
	}

	private activity(): ActivityState {
		return { ...EMPTY_ACTIVITY, ...this.kv.get<ActivityState>(ACTIVITY_KEY) };
	}

	private summaries(): MinuteSummary[] {
		return this.kv.get<MinuteSummary[]>(SUMMARIES_KEY) ?? [];
	}

	private notices(): Notice[] {
		return this.kv.get<Notice[]>(OUTBOX_KEY) ?? [];
	}

	/** Queues alerts into the notices outbox; inside a transaction. Reads the outbox only when there is something to add. */
	private raise(alerts: readonly AlertIntent[], now: number, suspends: boolean, actor: AuditActor, ringThreshold?: number): void {
		if (alerts.length === 0) return;
		this.alertRaised = true;
		const raised = alerts.map((alert) => ({
			id: crypto.randomUUID(),
			at: now,
			alert,
			suspends,
			actor,
			...(alert.kind === "daily_quota_reached" && ringThreshold !== undefined ? { ringThreshold } : {}),
		}));
		this.kv.put(OUTBOX_KEY, [...this.notices(), ...raised]);
	}

	private summarize(entry: Parameters<typeof addToSummary>[1], now: number): void {
		this.kv.put(SUMMARIES_KEY, addToSummary(this.summaries(), entry, now));
	}

	/**
	 * Inside a transaction: a refusal spends the refusal budget. Within it the caller audits the
	 * refusal with an entry of its own (`entry`); past it the refusal is summed into this minute's
	 * summary under `summaryKey` instead (`summarized`, with when the budget has room again). The
	 * budget's alerts are for the caller to raise with its own.
	 */
	private spendRefusalBudget(
		policy: EffectivePolicy,
		actor: AuditActor,
		summaryKey: string,
		recordId: string | null,
		now: number,
	): { audit: RefusalAudit; retryAfterSeconds: number | null; alerts: readonly AlertIntent[] } {
		const counted = countRefusal(this.activity(), policy.activity, now);
		this.kv.put(ACTIVITY_KEY, counted.next);
		if (counted.withinBudget) return { audit: "entry", retryAfterSeconds: null, alerts: counted.alerts };
		this.summarize({ kind: "refusals.summarized", actor, counts: { [summaryKey]: 1 }, recordIds: recordId ? [recordId] : [] }, now);
		return { audit: "summarized", retryAfterSeconds: counted.retryAfterSeconds, alerts: counted.alerts };
	}

	private timerFlush(): void {
		// A failed flush (D1 or the ledger down) leaves everything in storage. The timer tries again
		// after 4, 8 and 16 s; past that the alarm standing behind it takes over, and sets its own
		// retries.
		this.flushCycle().catch((error: unknown) => {
			console.error(JSON.stringify({ event: "limiter_flush_failed", error: error instanceof Error ? error.name : "unknown" }));
			this.failedFlushes += 1;
			const retryIn = OUTBOX_FLUSH_DELAY_MS * 2 ** this.failedFlushes;
			if (retryIn < FLUSH_BACKSTOP_MS) this.flushTimer.at(Date.now() + retryIn);
		});
	}

	/**
	 * Decides an ask and commits everything it causes in one transaction: the new counts, the
	 * audit entries (`reveal.granted` naming the token's id, or `reveal.denied`, and
	 * `principal.suspended`), alerts, the suspension and the depot's count. The caller signs the
	 * token only after this returns, and writes nothing to D1: the object flushes it all within
	 * seconds. A refusal counts against the refusal budget; past it, it is summed into this
	 * minute's summary entry instead of being audited on its own.
	 */
	ask(ask: LimiterAsk, policy: EffectivePolicy, actor: AuditActor, draft: AskDraft, kind: "employee" | "service" = "employee"): AskOutcome {
		const now = Date.now();
		const outcome = this.transaction((): AskOutcome => {
			this.ownedBy(actor);
			const state = this.read();
			// The calls this object already holds decide a plaintext phone (call first): no round trip of its own.
			const decision = decideReveal(state, this.calls(), ask, policy, now);
			this.write(apply(state, ask, decision, now));
			let audit: RefusalAudit = "entry";
			let refusalsRetryAfterSeconds: number | null = null;
			const alerts = [...decision.alerts];
			// A honeytoken touched or a new suspension is always news on its own; other refusals spend the budget.
			if (!decision.granted && decision.refusal !== "honeytoken" && decision.suspend === null) {
				const spent = this.spendRefusalBudget(policy, actor, `ask_${decision.refusal}`, ask.recordId, now);
				alerts.push(...spent.alerts);
				({ audit, retryAfterSeconds: refusalsRetryAfterSeconds } = spent);
			}
			if (audit === "entry") for (const event of askEvents(actor, draft, decision, now)) this.outbox.add(event);
			if (decision.suspend) {
				this.kv.put(STATUS_KEY, { reason: decision.suspend.reason, at: now, actor, kind } satisfies StatusPending);
				this.alertRaised = true;
			}
			if (decision.granted && actor.depot) this.countForDepot(actor.depot, policy.depotDailyBudget);
			this.raise(alerts, now, decision.suspend !== null, actor, policy.ringThreshold);
			return { decision: { ...decision, alerts }, audit, refusalsRetryAfterSeconds };
		});
		this.scheduleFlush(now);
		return outcome;
	}

	/**
	 * Decides a call (a privacy-number binding, DESIGN "Calls instead of numbers") and commits what
	 * it causes in one transaction, as `ask` does for a reveal: the call counted against the call
	 * limits (kept apart from reveals), probes and any suspension in the reveal state (one person,
	 * one suspension), the `call.granted` / `call.denied` entries, alerts. The worker asks the
	 * provider for the binding only after this returns.
	 */
	call(ask: CallAsk, policy: EffectivePolicy, actor: AuditActor, draft: CallDraft, kind: "employee" | "service" = "employee"): CallOutcome {
		const now = Date.now();
		const outcome = this.transaction((): CallOutcome => {
			this.ownedBy(actor);
			const reveals = this.read();
			const calls = this.calls();
			const decision = decideCall(callView(reveals, calls), ask, policy, now);
			const next = applyCall(reveals, calls, ask, decision, now);
			this.write(next.reveals);
			this.kv.put(CALLS_KEY, next.calls);
			let audit: RefusalAudit = "entry";
			let refusalsRetryAfterSeconds: number | null = null;
			const alerts = [...decision.alerts];
			if (!decision.granted && decision.refusal !== "honeytoken" && decision.suspend === null) {
				const spent = this.spendRefusalBudget(policy, actor, `call_${decision.refusal}`, ask.recordId, now);
				alerts.push(...spent.alerts);
				({ audit, retryAfterSeconds: refusalsRetryAfterSeconds } = spent);
			}
			if (audit === "entry") for (const event of callEvents(actor, draft, ask, decision, now)) this.outbox.add(event);
			if (decision.suspend) {
				this.kv.put(STATUS_KEY, { reason: decision.suspend.reason, at: now, actor, kind } satisfies StatusPending);
				this.alertRaised = true;
			}
			this.raise(alerts, now, decision.suspend !== null, actor);
			return { decision: { ...decision, alerts }, audit, refusalsRetryAfterSeconds, at: now };
		});
		this.scheduleFlush(now);
		return outcome;
	}

	/**
	 * A call this object counted did not become a binding (the provider failed, or a racing tap's
	 * binding won): `release` gives the count back, and `event` says what happened.
	 */
	callFailed(recordId: string, countedAt: number, release: boolean, event: AuditEvent): void {
		const now = Date.now();
		this.transaction(() => {
			if (event.actor) this.ownedBy(event.actor);
			if (release) this.kv.put(CALLS_KEY, releaseCall(this.calls(), recordId, countedAt));
			this.outbox.add(event);
		});
		this.scheduleFlush(now);
	}

	private calls(): CallState {
		return this.kv.get<CallState>(CALLS_KEY) ?? EMPTY_CALLS;
	}

	/**
	 * Redeems a reveal token in one transaction: a suspended principal's tokens redeem no more; a
	 * token already marked redeems no more; otherwise the single-use mark and the `reveal.redeemed`
	 * entry are committed together, and the caller may decrypt (if the record it read is still
	 * the principal's: otherwise it calls `voidRedemption`). Refusals spend the refusal budget.
	 */
	redeem(draft: RedeemDraft, policy: EffectivePolicy, actor: AuditActor): RedeemOutcome {
		const now = Date.now();
		const outcome = this.transaction((): RedeemOutcome => {
			this.ownedBy(actor);
			const refused = (reason: "suspended" | "already_redeemed"): RedeemOutcome => {
				const { alerts, audit, retryAfterSeconds } = this.spendRefusalBudget(policy, actor, `redeem_${reason}`, draft.recordId, now);
				this.raise(alerts, now, false, actor);
				if (audit === "entry") this.outbox.add(redeemEvent(actor, draft, "reveal.refused", now, reason));
				return { outcome: reason, audit, retryAfterSeconds };
			};
			// A suspension voids every outstanding token of the suspended principal.
			if (this.read().suspension) return refused("suspended");
			if (!this.marks.mark(draft.jti, draft.expiresAt)) return refused("already_redeemed");
			this.outbox.add(redeemEvent(actor, draft, "reveal.redeemed", now));
			return { outcome: "redeemed", audit: "entry", retryAfterSeconds: null };
		});
		this.scheduleFlush(now);
		return outcome;
	}

	/**
	 * The worker found, after the mark, that nothing may be revealed after all (the record is gone
	 * or no longer the principal's, or its key is missing): the `reveal.voided` entry says so.
	 * `release` lifts the mark, so the token redeems once the cause is mended (a key restored).
	 */
	voidRedemption(draft: RedeemDraft, reason: string, release: boolean, actor: AuditActor): void {
		const now = Date.now();
		this.transaction(() => {
			this.ownedBy(actor);
			if (release) this.marks.release(draft.jti);
			this.outbox.add(redeemEvent(actor, draft, "reveal.voided", now, reason));
		});
		this.scheduleFlush(now);
	}

	/**
	 * A refusal the worker decided without asking (no such record, a reveal token that does not
	 * verify or is not the caller's): counted against the same budget as refused asks, and its
	 * `event` committed to the outbox while the budget lasts.
	 */
	refuse(
		reason: string,
		recordId: string | null,
		policy: EffectivePolicy,
		actor: AuditActor,
		event: AuditEvent,
		/** Whose rules `policy` carries, for the standing answered: the reveal rules, or the call rules (callPolicy). */
		counts: "reveals" | "calls" = "reveals",
	): { audit: RefusalAudit; retryAfterSeconds: number | null; standing: RuleStanding[] } {
		const now = Date.now();
		const result = this.transaction(() => {
			this.ownedBy(actor);
			const { alerts, audit, retryAfterSeconds } = this.spendRefusalBudget(policy, actor, reason, recordId, now);
			this.raise(alerts, now, false, actor);
			if (audit === "entry") this.outbox.add(event);
			// Where the reveal rules stand, for the refusal's RateLimit fields: read in this same call.
			return { audit, retryAfterSeconds, standing: standing(counts === "calls" ? callView(this.read(), this.calls()) : this.read(), policy, now) };
		});
		this.scheduleFlush(now);
		return result;
	}

	/**
	 * Decides a lookup (a shipment scan, a phone lookup) after the worker has read its answer, and
	 * sums it into this minute's lookup summary entry with the records it found, granted or not.
	 */
	lookup(kind: "phone" | "shipment", ask: LookupAsk & { recordIds: readonly string[] }, policy: EffectivePolicy, actor: AuditActor): LookupDecision {
		const now = Date.now();
		const decision = this.transaction(() => {
			this.ownedBy(actor);
			const activity = this.activity();
			const decided = decideLookup(activity, ask, policy.activity, now);
			this.kv.put(ACTIVITY_KEY, applyLookup(activity, ask, decided, policy.activity, now));
			const counts: Record<string, number> = { [`${kind}_lookups`]: 1 };
			if (ask.miss) counts.misses = 1;
			if (!decided.granted) counts.refused = 1;
			this.summarize({ kind: "lookups.summarized", actor, counts, recordIds: decided.granted ? ask.recordIds : [] }, now);
			this.raise(decided.alerts, now, false, actor);
			return decided;
		});
		this.scheduleFlush(now);
		return decision;
	}

	/** Counts a grant towards the depot's daily budget, in the grant's transaction. */
	private countForDepot(depot: string, budget: number): void {
		const pending = this.depots();
		const current = pending[depot] ?? { budget, reveals: 0, batch: 0 };
		this.kv.put(DEPOT_KEY, { ...pending, [depot]: { ...current, budget, reveals: current.reveals + 1 } });
	}

	/** Per depot, grants not yet told to its ledger: counted in the grant's own transaction, sent in numbered batches. */
	private depots(): Record<string, TallyBatch> {
		return this.kv.get<Record<string, TallyBatch>>(DEPOT_KEY) ?? {};
	}

	/** Whether anything this object committed still waits to be handed on: entries, alerts, a suspension, depot counts. */
	private pendingWork(): boolean {
		const depots = this.unsettled ? afterTold(this.depots(), this.unsettled.told) : this.depots();
		return (
			this.waitingEntries() > 0 ||
			this.notices().some((notice) => notice.actor) ||
			this.kv.get(STATUS_KEY) !== undefined ||
			Object.values(depots).some((depot) => depot.reveals > 0)
		);
	}

	/** Nothing waits to be handed on and no minute's summary is open: nothing needs the alarm. */
	private quiet(): boolean {
		return !this.pendingWork() && nextClose(this.summaries()) === null;
	}

	/** A flush left nothing waiting: in QUIET_AFTER_MS, unless something is decided meanwhile, the alarm is cleared. */
	private quietSoon(): void {
		this.quietCancel();
		this.quietTimer = setTimeout(() => {
			this.quietTimer = null;
			// After whatever flush work is running; a failure leaves the alarm standing, which is where it was.
			this.serially(async () => this.clearIfQuiet()).catch((error: unknown) => {
				console.error(JSON.stringify({ event: "limiter_quiet_failed", error: error instanceof Error ? error.name : "unknown" }));
			});
		}, QUIET_AFTER_MS);
	}

	private quietCancel(): void {
		if (this.quietTimer === null) return;
		clearTimeout(this.quietTimer);
		this.quietTimer = null;
	}

	/**
	 * Nothing waits and no minute's summary is open: the last flush's hand-off is taken off now and
	 * the alarm that stood behind the timer is cleared (one commit), instead of waking the object later to do
	 * the same. Anything pending leaves both as they are.
	 */
	private clearIfQuiet(): void {
		if (!this.quiet()) return;
		this.settleNow();
		this.nextAlarm.clear();
	}

	private scheduleFlush(now: number): void {
		const close = nextClose(this.summaries());
		const pending = this.pendingWork();
		if (pending) this.quietCancel();
		const outbox = this.waitingEntries();
		const urgent = this.alertRaised;
		this.alertRaised = false;
		if (outbox >= FLUSH_AT_SIZE || urgent) {
			// On size: flush now rather than let one busy principal's outbox grow. A decision that raised
			// an alert or suspended is for people to act on: it goes out now, with whatever else waits,
			// by the durable alarm itself. (Only the decision that raised it: while D1 is down, the
			// alarm's own retries pace it.)
			this.nextAlarm.at(now);
			return;
		}
		if (pending) {
			this.flushTimer.at(now + OUTBOX_FLUSH_DELAY_MS);
			this.nextAlarm.at(now + OUTBOX_FLUSH_DELAY_MS + FLUSH_BACKSTOP_MS);
		}
		// A minute's summary closes by the alarm: a timer up to a minute out would keep the object
		// from hibernating (and from being evicted) for all that time.
		if (close !== null) this.nextAlarm.at(close + 1_000);
	}

	/**
	 * The durable flush: behind the timer (an instance lost before its timer fired: a restart, a
	 * crash), at a minute's close, and at once for an alert, a suspension or a full outbox. A failure
	 * (D1 or the ledger down) sets the next attempt here, 10 s later and doubling up to 5 minutes,
	 * for as long as it takes: the platform's own retries stop after a few, and the entries wait in
	 * this object until D1 has them (the ledger answers a hand-off only then). Nothing is lost.
	 */
	override async alarm(): Promise<void> {
		this.nextAlarm.fired();
		try {
			await this.flushCycle();
			this.failedAlarms = 0;
			// Nothing may follow this flush to take its hand-off off (a quiet principal): the alarm commits
			// anyway, so it does. Left in storage, the next instance would resend it, and a batch resent
			// after the ledger forgot this limiter (30 silent days) would count again.
			await this.serially(async () => this.settleNow());
		} catch (error) {
			console.error(JSON.stringify({ event: "limiter_flush_failed", error: error instanceof Error ? error.name : "unknown" }));
			this.failedAlarms += 1;
			this.nextAlarm.at(Date.now() + Math.min(ALARM_RETRY_MS * 2 ** (this.failedAlarms - 1), ALARM_RETRY_MAX_MS));
		}
	}

	/** Runs `work` after whatever flush work is running. */
	private serially<T>(work: () => Promise<T>): Promise<T> {
		const run = this.cycles.then(work);
		this.cycles = run.then(
			() => undefined,
			() => undefined,
		);
		return run;
	}

	/** Runs a flush cycle after whatever flush work is running; one already waiting to start is shared. */
	private flushCycle(): Promise<void> {
		if (this.waitingCycle) return this.waitingCycle;
		const cycle = this.serially(() => {
			this.waitingCycle = null;
			return this.flushOnward();
		});
		this.waitingCycle = cycle;
		return cycle;
	}

	/**
	 * Writes onward what this object committed: closed minute summaries into its outbox, the outbox
	 * into the D1 audit log (in order, by entry id), pending alerts into D1, and the depot's count to
	 * its ledger; then sets the next flush, if anything waits.
	 */
	private async flushOnward(): Promise<void> {
		const now = Date.now();
		const { closed, open } = closeSummaries(this.summaries(), now);
		const purge = now >= this.nextMarkPurgeAt;
		// Every commit of an object is a durable write: a flush commits before handing on only when a minute closed or a purge is due.
		if (closed.length > 0 || purge) {
			this.transaction(() => {
				for (const summary of closed) this.outbox.add(summaryEvent(summary));
				if (closed.length > 0) this.kv.put(SUMMARIES_KEY, open);
				if (purge) this.marks.purgeExpired(now);
			});
		}
		if (purge) this.nextMarkPurgeAt = now + MARK_PURGE_INTERVAL_MS;
		await this.flushAll(false);
		this.failedFlushes = 0;
		this.scheduleFlush(Date.now());
		if (this.quiet()) this.quietSoon();
	}

	/**
	 * The oldest entries go on, and the depot counts to their ledgers; what was taken leaves this
	 * object with its next transaction (`Settlement`: a flush makes no commit of its own here). An
	 * employee's entries go to the depot's ledger with the depot's count in one call
	 * (DepotLedger.relay), which writes them to D1 for the whole depot; entries without a depot go to
	 * D1. A destination that failed keeps its part for the next flush; the first failure is thrown
	 * once the other's success is recorded.
	 */
	private async flushAll(now: boolean): Promise<number> {
		// What the last flush handed on is off before this one reads: a batch is never told twice from here.
		this.settleNow();
		const run = nextRun(this.outbox.oldest(FLUSH_BATCH));
		// Entries beyond this run already waiting: a backlog. (Decisions made while the run is handed on
		// are not one: their own timer flushes them.)
		const backlog = this.outbox.size() > run.entries.length;
		const pending = this.depots();
		// The depot's count rides with its entries; what is told is this snapshot, settled below.
		const carried = run.depot !== null && run.entries.length > 0 && (pending[run.depot]?.reveals ?? 0) > 0 ? run.depot : null;
		const carriedCount = carried === null ? null : (pending[carried] ?? null);
		const [handed, tallied] = await Promise.allSettled([this.handOn(run, carriedCount, now), this.tallyDepots(carried)]);
		const landed = handed.status === "fulfilled" ? run.entries.map((entry) => entry.entryId) : [];
		const told: [string, TallyBatch][] = tallied.status === "fulfilled" ? [...tallied.value.told] : [];
		if (handed.status === "fulfilled" && carried !== null && carriedCount !== null) told.push([carried, carriedCount]);
		if (landed.length > 0 || told.length > 0) {
			this.unsettled = { landed, told, ...(landed.length > 0 ? { relayedTo: run.depot } : {}) };
		}
		if (handed.status === "rejected") throw handed.reason;
		if (tallied.status === "rejected") throw tallied.reason;
		if (tallied.value.failure !== undefined) throw tallied.value.failure;
		// A backlog (D1 or the ledger was down for a while) drains run by run.
		const flushed = run.entries.length + (backlog ? await this.drainOutbox(now) : 0);
		await this.flushStatus();
		await this.flushNotices();
		return flushed;
	}

	/**
	 * Hands one run of entries on: to its depot's ledger with that depot's `count` (answered once D1
	 * has them; `now`: without waiting for the depot's others), or to D1. When the run's destination
	 * is not where the last run went (a person moved depots), the last ledger writes what it may still
	 * store first, so the object's entries still land in the order decided.
	 */
	private async handOn(run: OutboxRun, count: TallyBatch | null, now: boolean): Promise<void> {
		if (run.entries.length === 0) return;
		const last = this.kv.get<string>(RELAY_KEY);
		if (last !== undefined && last !== run.depot) await this.ledger(last).flushNow();
		if (run.depot === null) {
			await auditLogFor(this.env, this.ctx).appendOutbox(run.entries, this.flushSource());
			return;
		}
		await this.ledger(run.depot).relay(run.depot, run.entries, count, this.ctx.id.toString(), now);
	}

	/** Inside a transaction: where the last run went. */
	private relayedTo(depot: string | null): void {
		if (depot === null) {
			if (this.kv.get(RELAY_KEY) !== undefined) this.kv.delete(RELAY_KEY);
		} else if (this.kv.get(RELAY_KEY) !== depot) {
			this.kv.put(RELAY_KEY, depot);
		}
	}

	private ledger(depot: string): DurableObjectStub<DepotLedger> {
		return this.env.DEPOT_LEDGER.get(this.env.DEPOT_LEDGER.idFromName(depot));
	}

	private flushSource(): string {
		return `limiter:${this.ctx.id.toString()}`;
	}

	/**
	 * What a flush does at a minute's end, now, and for the current minute too: every summary
	 * closed into the outbox and everything flushed, through the depot's ledger into D1. For a
	 * reader who needs the log complete up to this moment (an investigation, a test). Returns how
	 * many entries this object handed on.
	 */
	async flushNow(): Promise<number> {
		return this.serially(async () => {
			this.transaction(() => {
				for (const summary of this.summaries()) this.outbox.add(summaryEvent(summary));
				this.kv.put(SUMMARIES_KEY, []);
			});
			const flushed = await this.flushAll(true);
			const relay = this.unsettled?.relayedTo !== undefined ? this.unsettled.relayedTo : this.kv.get<string>(RELAY_KEY);
			if (relay) await this.ledger(relay).flushNow();
			// Asked for by a reader, not on any decision's path: its hand-off is committed now rather than left to a next transaction that may not come.
			this.settleNow();
			return flushed;
		});
	}

	/** Hands the whole outbox on now, run by run, after whatever flush work is running; returns how many entries went. */
	flushAudit(): Promise<number> {
		return this.serially(() => this.drainOutbox(true));
	}

	/** Inside flush work: hands the outbox on run by run (`now`: without the ledger's wait for the depot's others), each taken off as it lands. */
	private async drainOutbox(now: boolean): Promise<number> {
		this.settleNow();
		// What waits now; entries decided meanwhile have a flush of their own coming.
		const waiting = this.outbox.size();
		let flushed = 0;
		while (flushed < waiting) {
			const run = nextRun(this.outbox.oldest(FLUSH_BATCH));
			if (run.entries.length === 0) return flushed;
			await this.handOn(run, null, now);
			this.transaction(() => {
				this.outbox.remove(run.entries.map((entry) => entry.entryId));
				this.relayedTo(run.depot);
			});
			flushed += run.entries.length;
		}
		return flushed;
	}

	/** Lists a suspension this object decided in D1's principal_status, for ops' listing. */
	private async flushStatus(): Promise<void> {
		const pending = this.kv.get<StatusPending>(STATUS_KEY);
		if (!pending) return;
		const { actor } = pending;
		const statuses = new PrincipalStatusStore(this.env.DB, undefined, rowTrustFor(this.env));
		await (
			await statuses.record(
				{ kind: pending.kind, issuer: actor.issuer, subject: actor.subject, role: actor.role ?? null, depot: actor.depot ?? null },
				"suspended",
				pending.reason,
				"detection",
				pending.at,
			)
		).run();
		this.transaction(() => {
			if (this.kv.get<StatusPending>(STATUS_KEY)?.at === pending.at) this.kv.delete(STATUS_KEY);
		});
	}

	private async flushNotices(): Promise<void> {
		const notices = this.notices().filter((notice) => notice.actor);
		if (notices.length === 0) return;
		const alerts = new AlertStore(this.env.DB);
		const webhookUrl = this.env.ALERT_WEBHOOK_URL;
		const webhook = Boolean(webhookUrl);
		const canaries = await canaryOwners(new HoneytokenStore(this.env.DB), notices);
		await this.env.DB.batch(
			notices.map((notice) =>
				alerts.insert(
					{
						...notice.alert,
						details: withCanaryOwner(notice, canaries),
						id: notice.id,
						subject: notice.actor ? { issuer: notice.actor.issuer, subject: notice.actor.subject } : null,
						depot: notice.actor?.depot ?? null,
					},
					notice.at,
					webhook,
				),
			),
		);
		this.ack(notices.map((notice) => notice.id));
		// A daily-quota alert may complete a depot's ring: checked once it is in D1.
		for (const notice of notices) {
			if (notice.alert.kind === "daily_quota_reached" && notice.actor?.depot && notice.ringThreshold !== undefined) {
				await raiseRingAlertIfDue(alerts, notice.actor.depot, notice.ringThreshold, Date.now(), webhook);
			}
		}
		if (webhookUrl) await deliverDueAlerts(alerts, webhookUrl, Date.now()).catch(() => undefined);
	}

	/** Tells each depot's ledger (but `skip`'s, carried with the entries) of the grants counted since; returns the batches told, and the failure that stopped the rest. */
	private async tallyDepots(skip: string | null): Promise<{ told: [string, TallyBatch][]; failure?: unknown }> {
		const source = this.ctx.id.toString();
		const told: [string, TallyBatch][] = [];
		for (const [depot, pending] of Object.entries(this.depots())) {
			if (pending.reveals === 0) continue;
			if (depot === skip) continue;
			try {
				await this.ledger(depot).tally(depot, pending.budget, pending.reveals, source, pending.batch);
			} catch (failure) {
				return { told, failure };
			}
			told.push([depot, pending]);
		}
		return { told };
	}

	/** The caller stored these notices in D1: drop them from the outbox. */
	ack(ids: string[]): void {
		this.transaction(() => {
			const done = new Set(ids);
			this.kv.put(
				OUTBOX_KEY,
				this.notices().filter((notice) => !done.has(notice.id)),
			);
		});
	}

	/** Status and counts; with the principal's effective policy, also where each enforced rule stands. */
	status(policy: EffectivePolicy | undefined, who: PrincipalKey): LimiterStatus {
		// A read: the owner is checked, not recorded.
		this.ownedBy(who, false);
		const now = Date.now();
		const state = this.read();
		const calls = this.calls();
		const grants = state.grants.filter((grant) => grant.at > now - DAY_SECONDS * 1000);
		return {
			suspension: state.suspension,
			grantsLast24h: grants.length,
			distinctRecordsLast24h: new Set(grants.map((grant) => grant.recordId)).size,
			probesLastHour: state.probes.filter((at) => at > now - PROBE_WINDOW_MS).length,
			standing: policy ? standing(state, policy, now) : [],
			callsLast24h: calls.grants.filter((grant) => grant.at > now - DAY_SECONDS * 1000).length,
			callStanding: policy ? standing(callView(state, calls), callPolicy(policy), now) : [],
		};
	}

	/** Idempotent: suspending a suspended principal keeps the first reason. */
	suspend(by: string, who: PrincipalKey): Suspension {
		return this.transaction(() => {
			this.ownedBy(who);
			const state = this.read();
			const suspension = state.suspension ?? { at: Date.now(), reason: "ops" as const, by };
			this.write({ ...state, suspension });
			return suspension;
		});
	}

	/** Lifts a suspension and clears the probe count that may have caused it; quotas keep counting. */
	reinstate(who: PrincipalKey): Suspension | null {
		return this.transaction(() => {
			this.ownedBy(who);
			const state = this.read();
			this.write({ ...state, suspension: null, probes: [] });
			return state.suspension;
		});
	}
}

/** The oldest entries that go to one place: their actor's depot's ledger, or D1 (`depot` null). */
interface OutboxRun {
	depot: string | null;
	entries: OutboxEntry[];
}

/** The oldest entries, as far as they share a destination: the order they were committed is the order they land in. */
function nextRun(oldest: readonly OutboxEntry[]): OutboxRun {
	const depotOf = (entry: OutboxEntry) => entry.event.actor?.depot ?? null;
	const first = oldest[0];
	if (!first) return { depot: null, entries: [] };
	const depot = depotOf(first);
	const end = oldest.findIndex((entry) => depotOf(entry) !== depot);
	return { depot, entries: oldest.slice(0, end === -1 ? oldest.length : end) };
}

/** The people touched canaries were planted for, by record id (README "Tracing a leak"); read only for honeytoken alerts. */
async function canaryOwners(honeytokens: HoneytokenStore, notices: readonly Notice[]): Promise<Map<string, CanaryOwner>> {
	const owners = new Map<string, CanaryOwner>();
	for (const notice of notices) {
		const recordId = notice.alert.kind === "honeytoken_touched" ? notice.alert.details.record_id : undefined;
		if (typeof recordId !== "string" || owners.has(recordId)) continue;
		const owner = await honeytokens.canaryOwner(recordId);
		if (owner) owners.set(recordId, owner);
	}
	return owners;
}

/** A touched canary's alert says whose it was: the person it was planted for is the one whose view leaked. */
function withCanaryOwner(notice: Notice, owners: Map<string, CanaryOwner>): Notice["alert"]["details"] {
	const recordId = notice.alert.details.record_id;
	const owner = typeof recordId === "string" ? owners.get(recordId) : undefined;
	return owner ? { ...notice.alert.details, canary_for_issuer: owner.issuer, canary_for_subject: owner.subject } : notice.alert.details;
}

/**
 * The depot batches once `told` is taken off: each told batch's reveals leave it and its number
 * moves on (the ledger counts a number once, and only its increase if resent). A batch already
 * moved on is not taken off twice.
 */
function afterTold(depots: Readonly<Record<string, TallyBatch>>, told: readonly [string, TallyBatch][]): Record<string, TallyBatch> {
	const all = { ...depots };
	for (const [depot, sent] of told) {
		const current = all[depot];
		if (current && current.batch === sent.batch) all[depot] = { ...current, reveals: current.reveals - sent.reveals, batch: current.batch + 1 };
	}
	return all;
}
