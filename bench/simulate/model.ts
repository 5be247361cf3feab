/**
 * The vault's reveal decisions, in process, on a virtual clock: the production scope rule,
 * policy resolution, limiter decision, ring rule and depot tally, wired the way the worker wires
 * them (src/reveals/ask.ts), with in-memory state where the worker has D1 and Durable Objects.
 * Nothing here decides anything on its own.
 */
import type { EmployeePrincipal } from "../../src/auth/principal";
import type { ContactField } from "../../src/crypto/envelope";
import { ringAlertDue } from "../../src/detection/ring";
import { apply, type Decision, decide, EMPTY_STATE, type LimiterState } from "../../src/limits/decide";
import { EMPTY_TALLY, tallyReveal } from "../../src/limits/depot-tally";
import { type PolicyRow, resolvePolicy } from "../../src/limits/policy";
import type { Party } from "../../src/records/store";
import { type Purpose, revealScope } from "../../src/reveals/scope";

export interface SimRecord {
	id: string;
	party: Party;
	depot: string;
	courier: string | null;
	/** The courier's issuer (DESIGN "Identity"); null without a courier. */
	courierIssuer: string | null;
	honeytoken: boolean;
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
}

const DAY_MS = 86_400_000;

export class VaultModel {
	private readonly limiters = new Map<string, LimiterState>();
	private readonly depotTallies = new Map<string, ReturnType<typeof tallyReveal>["next"]>();
	readonly alerts: SimAlert[] = [];

	constructor(
		private readonly records: ReadonlyMap<string, SimRecord>,
		private readonly policies: readonly PolicyRow[],
	) {}

	ask(employee: EmployeePrincipal, recordId: string, purpose: Purpose, fields: ContactField[], now: number): AskOutcome {
		const record = this.records.get(recordId);
		if (!record) return { status: 404, decision: null, revealed: null };
		const scope = revealScope(employee, record, purpose, fields);
		const askClass = scope.allowed ? "in_scope" : scope.reason === "not_assigned" ? "out_of_scope" : "purpose_mismatch";
		const policy = resolvePolicy(this.policies, {
			kind: "employee",
			issuer: employee.issuer,
			subject: employee.subject,
			role: employee.role,
			depot: employee.depot,
		});
		const key = `employee:${employee.subject}`;
		const state = this.limiters.get(key) ?? EMPTY_STATE;
		const ask = { recordId, class: askClass, honeytoken: record.honeytoken } as const;
		const decision = decide(state, ask, policy, now);
		this.limiters.set(key, apply(state, ask, decision, now));
		for (const alert of decision.alerts)
			this.alerts.push({ at: now, kind: alert.kind, severity: alert.severity, subject: employee.subject, depot: employee.depot });
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
			return { status: 201, decision, revealed: recordId };
		}
		const status =
			decision.refusal === "out_of_scope" || decision.refusal === "purpose_mismatch" ? 403 : decision.suspend || decision.refusal === "suspended" ? 423 : 429;
		return { status, decision, revealed: null };
	}

	suspendedAt(subject: string): number | null {
		return this.limiters.get(`employee:${subject}`)?.suspension?.at ?? null;
	}
}
