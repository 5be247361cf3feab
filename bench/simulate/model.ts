/**
 * The vault's reveal and call decisions, in process, on a virtual clock: the production scope rule,
 * policy resolution, leg folding and leg gate, limiter decision, call decision, ring rule and depot
 * tally, wired the way the worker wires them (src/reveals/ask.ts, src/calls/make-call.ts), with
 * in-memory state where the worker has D1 and Durable Objects. Nothing here decides anything on
 * its own: every verdict comes from a function under src/.
 */
import type { EmployeePrincipal } from "../../src/auth/principal";
import { applyCall, type CallAsk, type CallState, callView, decideCall, EMPTY_CALLS } from "../../src/calls/call-decision";
import { CALL_MIN_SECONDS, callExpiry, callPolicy, type LiveCall, reusable } from "../../src/calls/call-policy";
import { decideReveal, plaintextPhoneAsk } from "../../src/calls/plaintext-phone";
import type { ContactField } from "../../src/crypto/envelope";
import { ringAlertDue } from "../../src/detection/ring";
import { type ActivityState, countRefusal, EMPTY_ACTIVITY } from "../../src/limits/activity";
import { type AskClass, apply, type Decision, EMPTY_STATE, type LimiterAsk, type LimiterState, type Suspension } from "../../src/limits/decide";
import { EMPTY_TALLY, tallyReveal } from "../../src/limits/depot-tally";
import { type PolicyRow, resolvePolicy } from "../../src/limits/policy";
import type { Party } from "../../src/records/store";
import { judgeAsk } from "../../src/reveals/ask-class";
import { type Purpose, revealScope } from "../../src/reveals/scope";
import type { ShipmentEvent } from "../../src/shipments/events";
import { type LegRefusal, openLegFor } from "../../src/shipments/leg-gate";
import { BUILT_IN_LEG_POLICY, type LegPolicy } from "../../src/shipments/leg-policy";
import { type Leg, latestDelivery, legsOf } from "../../src/shipments/legs";

export interface SimRecord {
	id: string;
	party: Party;
	depot: string;
	/** The courier the record was created for; a shipment's latest out_for_delivery reassigns it, as the worker does. */
	courier: string | null;
	/** The courier's issuer (DESIGN "Identity"); null without a courier. */
	courierIssuer: string | null;
	honeytoken: boolean;
	/** The shipment whose events give the record its legs; records without one have no legs. */
	shipmentId?: string;
}

export interface SimAlert {
	at: number;
	kind: string;
	severity: "warning" | "critical";
	subject: string | null;
	depot: string | null;
}

export interface AskOutcome {
	status: 201 | 403 | 404 | 423 | 429;
	decision: Decision | null;
	/** The plaintext the asker would hold after redeeming: record id, when granted. */
	revealed: string | null;
	/** A leg refusal (the reveal route's 403 `no-open-leg` with this reason), when that is why. */
	legRefusal: LegRefusal | null;
}

export interface CallOutcome {
	status: 201 | 403 | 404 | 423 | 429;
	/** A double tap: the live binding for this record and leg, not a second call. */
	reused: boolean;
	refusal: string | null;
}

/** One granted reveal, as the audit log's `reveal.granted` entry lets the insider detectors count it. */
export interface GrantEntry {
	at: number;
	subject: string;
	recordId: string;
	fields: readonly ContactField[];
}

/**
 * How the reveal route treats a leg refusal. The gate is not yet on src/reveals/ask.ts; this models
 * it as that change describes: a stale ask is a 403 that never reaches `decide` as out_of_scope (so
 * it never counts toward the ten-in-an-hour suspension); no open leg of a record never held is
 * probing (out_of_scope for `decide`); a customer_service ask without a case is a purpose refusal.
 * `off` is the worker as it stands on this branch (the agreement test compares against it).
 */
export type RevealGate = "enforce" | "off";

const DAY_MS = 86_400_000;

export class VaultModel {
	private readonly limiters = new Map<string, LimiterState>();
	private readonly calls = new Map<string, CallState>();
	private readonly activity = new Map<string, ActivityState>();
	private readonly bindings = new Map<string, LiveCall[]>();
	private readonly depotTallies = new Map<string, ReturnType<typeof tallyReveal>["next"]>();
	private readonly events = new Map<string, ShipmentEvent[]>();
	readonly alerts: SimAlert[] = [];
	readonly grants: GrantEntry[] = [];
	private callSerial = 0;

	constructor(
		private readonly records: ReadonlyMap<string, SimRecord>,
		private readonly policies: readonly PolicyRow[],
		private readonly revealGate: RevealGate = "enforce",
		private readonly legPolicy: LegPolicy = BUILT_IN_LEG_POLICY,
	) {}

	/** Events the service reports (POST /v1/shipment-events); only those at or before `now` count at `now`. */
	addEvents(events: readonly ShipmentEvent[]): void {
		for (const event of events) this.events.set(event.shipmentId, [...(this.events.get(event.shipmentId) ?? []), event]);
	}

	/** A shipment's legs as the worker would hold them at `now`. */
	legsAt(shipmentId: string | undefined, now: number): Leg[] {
		if (!shipmentId) return [];
		const known = (this.events.get(shipmentId) ?? []).filter((event) => event.at <= now);
		return legsOf(known, this.legPolicy.graceSeconds * 1000);
	}

	/** The record as the worker reads it at `now`: the recipient is assigned to the latest out_for_delivery's courier. */
	private recordAt(record: SimRecord, now: number): SimRecord {
		if (!record.shipmentId || record.party !== "recipient") return record;
		const known = (this.events.get(record.shipmentId) ?? []).filter((event) => event.at <= now);
		const latest = latestDelivery(known);
		if (!latest?.courier) return record;
		return { ...record, courier: latest.courier.subject, courierIssuer: latest.courier.issuer, depot: latest.depot ?? record.depot };
	}

	private policyOf(employee: EmployeePrincipal) {
		return resolvePolicy(this.policies, { kind: "employee", issuer: employee.issuer, subject: employee.subject, role: employee.role, depot: employee.depot });
	}

	private raise(decision: Pick<Decision, "alerts">, employee: EmployeePrincipal, now: number) {
		for (const alert of decision.alerts)
			this.alerts.push({ at: now, kind: alert.kind, severity: alert.severity, subject: employee.subject, depot: employee.depot });
	}

	/**
	 * A refusal spends the principal's refusal budget, as the limiter object counts it (a honeytoken
	 * or a new suspension is news on its own and spends nothing). Past the budget the answer is a 429.
	 */
	private spend(employee: EmployeePrincipal, policy: ReturnType<VaultModel["policyOf"]>, now: number): number | null {
		const key = `employee:${employee.subject}`;
		const counted = countRefusal(this.activity.get(key) ?? EMPTY_ACTIVITY, policy.activity, now);
		this.activity.set(key, counted.next);
		this.raise(counted, employee, now);
		return counted.withinBudget ? null : (counted.retryAfterSeconds ?? 60);
	}

	ask(employee: EmployeePrincipal, recordId: string, purpose: Purpose, fields: ContactField[], now: number, caseId?: string): AskOutcome {
		const stored = this.records.get(recordId);
		if (!stored) return { status: 404, decision: null, revealed: null, legRefusal: null };
		const record = this.recordAt(stored, now);
		const scope = revealScope(employee, record, purpose, fields);
		const policy = this.policyOf(employee);
		const key = `employee:${employee.subject}`;
		const state = this.limiters.get(key) ?? EMPTY_STATE;
		let askClass: AskClass = scope.allowed ? "in_scope" : scope.reason === "not_assigned" ? "out_of_scope" : "purpose_mismatch";
		let legRefusal: LegRefusal | null = null;
		if (this.revealGate === "enforce") {
			// As src/reveals/ask.ts judges it: scope and legs together (stale never counts as probing).
			const judged = judgeAsk({ principal: employee, record, legs: this.legsAt(record.shipmentId, now), purpose, fields, caseId, policy: this.legPolicy, now });
			askClass = judged.class;
			if (judged.reason === "stale" || judged.reason === "no_open_leg" || judged.reason === "case_required") legRefusal = judged.reason;
		}
		// As src/reveals/ask.ts: a delivery or pickup phone names its open leg, and the limiter judges it with the calls it holds.
		const legs = this.legsAt(record.shipmentId, now);
		const plaintextPhone = plaintextPhoneAsk(purpose, fields, openLegFor({ principal: employee, record, legs, purpose, now }));
		const ask: LimiterAsk = { recordId, class: askClass, honeytoken: record.honeytoken, ...(plaintextPhone ? { plaintextPhone } : {}) };
		const decision = decideReveal(state, this.calls.get(key) ?? EMPTY_CALLS, ask, policy, now);
		this.limiters.set(key, apply(state, ask, decision, now));
		this.raise(decision, employee, now);
		if (decision.alerts.some((alert) => alert.kind === "daily_quota_reached")) {
			const atQuota = new Set(
				this.alerts.filter((a) => a.kind === "daily_quota_reached" && a.depot === employee.depot && a.at > now - DAY_MS).map((a) => a.subject),
			).size;
			const raised = this.alerts.some((a) => a.kind === "depot_ring_suspected" && a.depot === employee.depot && a.at > now - DAY_MS);
			if (ringAlertDue(atQuota, policy.ringThreshold, raised))
				this.alerts.push({ at: now, kind: "depot_ring_suspected", severity: "critical", subject: null, depot: employee.depot });
		}
		if (decision.granted) {
			const tally = tallyReveal(this.depotTallies.get(employee.depot) ?? EMPTY_TALLY, now, policy.depotDailyBudget);
			this.depotTallies.set(employee.depot, tally.next);
			if (tally.crossed) this.alerts.push({ at: now, kind: "depot_budget_exceeded", severity: "critical", subject: null, depot: employee.depot });
			this.grants.push({ at: now, subject: employee.subject, recordId, fields });
			return { status: 201, decision, revealed: recordId, legRefusal: null };
		}
		const past = decision.refusal !== "honeytoken" && decision.suspend === null ? this.spend(employee, policy, now) : null;
		if (past !== null && decision.refusal !== "suspended")
			return { status: 429, decision: { ...decision, retryAfterSeconds: Math.max(past, decision.retryAfterSeconds ?? 0) }, revealed: null, legRefusal };
		const status =
			decision.refusal === "out_of_scope" ||
			decision.refusal === "purpose_mismatch" ||
			decision.refusal === "stale" ||
			decision.refusal === "no_open_leg" ||
			decision.refusal === "call_first"
				? 403
				: decision.suspend || decision.refusal === "suspended"
					? 423
					: 429;
		return { status, decision, revealed: null, legRefusal };
	}

	/** POST /v1/calls as src/calls/make-call.ts decides it (the provider always binds: no failure is modelled). */
	call(employee: EmployeePrincipal, recordId: string, purpose: Purpose, now: number, caseId?: string): CallOutcome {
		const stored = this.records.get(recordId);
		if (!stored) return { status: 404, reused: false, refusal: "record_not_found" };
		const record = this.recordAt(stored, now);
		const legs = this.legsAt(record.shipmentId, now);
		const judged = judgeAsk({ principal: employee, record, legs, purpose, fields: ["phone"], caseId, policy: this.legPolicy, now });
		const leg = openLegFor({ principal: employee, record, legs, purpose, now });
		const expiresAt = Math.floor(callExpiry(leg, now) / 1000) * 1000;
		// As src/calls/make-call.ts: a missing case is a leg refusal; otherwise the class judgeAsk gives.
		const caseMissing = judged.reason === "case_required";
		const askClass: AskClass = caseMissing ? "in_scope" : judged.class;
		let legRefusal: LegRefusal | null = caseMissing ? "case_required" : askClass === "in_scope" ? judged.legWouldRefuse : null;
		if (askClass === "in_scope" && legRefusal === null && expiresAt - now < CALL_MIN_SECONDS * 1000) legRefusal = "stale";
		const bindingKey = `${employee.subject}\n${recordId}`;
		const existing = (this.bindings.get(bindingKey) ?? []).find((live) => reusable(live, leg, now)) ?? null;
		const ask: CallAsk = {
			recordId,
			class: askClass,
			honeytoken: record.honeytoken,
			legRefusal,
			reuse: existing !== null,
			legOpenedAt: leg?.openedAt ?? null,
		};
		const key = `employee:${employee.subject}`;
		const reveals = this.limiters.get(key) ?? EMPTY_STATE;
		const calls = this.calls.get(key) ?? EMPTY_CALLS;
		const policy = callPolicy(this.policyOf(employee));
		const decision = decideCall(callView(reveals, calls), ask, policy, now);
		const next = applyCall(reveals, calls, ask, decision, now);
		this.limiters.set(key, next.reveals);
		this.calls.set(key, next.calls);
		this.raise(decision, employee, now);
		if (decision.granted) {
			if (!existing)
				this.bindings.set(bindingKey, [
					...(this.bindings.get(bindingKey) ?? []).filter((live) => live.expiresAt > now),
					{ id: `call_${this.callSerial++}`, legN: leg?.n ?? null, legOpenedAt: leg?.openedAt ?? null, expiresAt, endRequested: false },
				]);
			return { status: 201, reused: existing !== null, refusal: null };
		}
		const refusal = decision.refusal;
		const past = refusal !== "honeytoken" && decision.suspend === null ? this.spend(employee, policy, now) : null;
		if (past !== null && refusal !== "suspended") return { status: 429, reused: false, refusal };
		const status =
			refusal === "suspended" || refusal === "honeytoken" || refusal === "out_of_scope_probing"
				? 423
				: refusal === "burst" || refusal === "daily" || refusal === "distinct"
					? 429
					: 403;
		return { status, reused: false, refusal };
	}

	suspensionOf(subject: string): Suspension | null {
		return this.limiters.get(`employee:${subject}`)?.suspension ?? null;
	}

	suspendedAt(subject: string): number | null {
		return this.limiters.get(`employee:${subject}`)?.suspension?.at ?? null;
	}
}
