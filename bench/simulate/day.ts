/**
 * The harvest day: 9:00 to 18:00 at a carrier, honest staff revealing what their work needs and
 * five kinds of attacker among them, every ask decided by the vault's own rules (./model.ts) on a
 * virtual clock. Deterministic for a given seed.
 */

import { prng } from "../../scripts/lib/demo-data.ts";
import type { EmployeePrincipal, Role } from "../../src/auth/principal";
import type { ContactField } from "../../src/crypto/envelope";
import type { PolicyRow } from "../../src/limits/policy";
import type { Purpose } from "../../src/reveals/scope";
import { type SimRecord, VaultModel } from "./model";

export interface DayConfig {
	depots: number;
	couriersPerDepot: number;
	clerks: number;
	supervisors: number;
	parcels: number;
	/** One honeytoken per this many records, spread over the depots. */
	honeytokenEvery: number;
	seed: number;
}

export const FULL_DAY: DayConfig = { depots: 20, couriersPerDepot: 20, clerks: 40, supervisors: 10, parcels: 60_000, honeytokenEvery: 200, seed: 7 };

const HOUR = 3_600_000;
const DAY_START = Date.UTC(2026, 10, 27, 1); // 09:00 in China (UTC+8)
const DAY_END = DAY_START + 9 * HOUR;
/** The unprotected reference: one dealer site added about 200,000 records between 9:00 and 18:00. */
export const REFERENCE_RECORDS = 200_000;

interface Actor {
	name: string;
	kind: "honest" | "attacker";
	employee: EmployeePrincipal;
	/** Next ask, given the last outcome; null when done for the day. */
	next: (
		now: number,
		last: { status: number; retryAfterSeconds: number | null } | null,
	) => { at: number; recordId: string; purpose: Purpose; fields: ContactField[] } | null;
}

export interface AttackerReport {
	name: string;
	role: Role;
	asks: number;
	recordsObtained: number;
	/** Cumulative distinct records obtained at the end of each hour, 10:00 … 18:00. */
	byHour: number[];
	suspendedAt: string | null;
	suspendedAfterAsks: number | null;
}

export interface DayReport {
	config: DayConfig;
	reference: { records: number; byHour: number[] };
	attackers: AttackerReport[];
	honest: { employees: number; asks: number; refused: number; refusedRate: number; suspended: number };
	alerts: { at: string; kind: string; severity: string; subject: string | null; depot: string | null }[];
	goals: { goal: string; met: boolean; detail: string }[];
}

/** The issuer of the simulated employees' tokens, and so of the couriers parcels are assigned to. */
const SIM_ISSUER = "sim";

function employee(subject: string, role: Role, depot: string): EmployeePrincipal {
	return { kind: "employee", subject, issuer: SIM_ISSUER, role, depot, scopes: new Set(["reveal"]) };
}

const time = (at: number) => new Date(at + 8 * HOUR).toISOString().slice(11, 16);

export function simulateDay(config: DayConfig, policies: readonly PolicyRow[]): DayReport {
	const random = prng(config.seed);
	const depots = Array.from({ length: config.depots }, (_, i) => `D${String(i + 1).padStart(2, "0")}`);
	const records = new Map<string, SimRecord>();
	const byDepot = new Map<string, string[]>(depots.map((d) => [d, []]));
	const byCourier = new Map<string, string[]>();
	let serial = 0;
	const add = (record: Omit<SimRecord, "id">) => {
		const id = `rec_${(serial++).toString(36).padStart(8, "0")}`;
		records.set(id, { id, ...record });
		byDepot.get(record.depot)?.push(id);
		if (record.courier) byCourier.set(record.courier, [...(byCourier.get(record.courier) ?? []), id]);
		return id;
	};
	for (let p = 0; p < config.parcels; p++) {
		const depot = depots[p % depots.length] as string;
		const courier = `courier-${depot}-${(Math.floor(p / depots.length) % config.couriersPerDepot) + 1}`;
		add({ party: "recipient", depot, courier, courierIssuer: SIM_ISSUER, honeytoken: false });
		add({ party: "sender", depot, courier: null, courierIssuer: null, honeytoken: false });
		// Honeytokens sit among the depot's parcels, as planted decoys do.
		if ((2 * p + 2) % config.honeytokenEvery === 0) add({ party: "recipient", depot, courier: null, courierIssuer: null, honeytoken: true });
	}
	const allIds = [...records.keys()];
	const model = new VaultModel(records, policies);
	const actors: Actor[] = [];

	// Honest couriers: each delivery needs the recipient's phone once or twice, spread over the day.
	for (const depot of depots) {
		for (let c = 1; c <= config.couriersPerDepot; c++) {
			const subject = `courier-${depot}-${c}`;
			const asks: { at: number; recordId: string }[] = [];
			for (const recordId of byCourier.get(subject) ?? []) {
				const first = DAY_START + random() * 9 * HOUR;
				asks.push({ at: first, recordId });
				if (random() < 0.5) asks.push({ at: Math.min(first + random() * 30 * 60_000, DAY_END), recordId });
			}
			actors.push(scripted(subject, employee(subject, "courier", depot), asks, "delivery", ["phone"]));
		}
	}
	// Attackers take some of the staff's places.
	const ringDepot = depots[4 % depots.length] as string;
	const clerkDepots = depots.filter((d) => d !== ringDepot);
	const honestClerks = config.clerks - 12; // two attacker clerks and a ring of ten
	for (let k = 0; k < honestClerks; k++) {
		const depot = clerkDepots[k % clerkDepots.length] as string;
		const subject = `clerk-${depot}-${k}`;
		const own = (byDepot.get(depot) ?? []).filter((id) => !records.get(id)?.honeytoken);
		const asks = Array.from({ length: 60 }, () => ({ at: DAY_START + random() * 9 * HOUR, recordId: own[Math.floor(random() * own.length)] as string }));
		actors.push(scripted(subject, employee(subject, "clerk", depot), asks, "customer_service", ["phone"]));
	}
	for (let s = 0; s < config.supervisors; s++) {
		const depot = depots[s % depots.length] as string;
		const subject = `supervisor-${depot}`;
		const own = (byDepot.get(depot) ?? []).filter((id) => !records.get(id)?.honeytoken && records.get(id)?.party === "sender");
		const asks = Array.from({ length: 20 }, () => ({ at: DAY_START + random() * 9 * HOUR, recordId: own[Math.floor(random() * own.length)] as string }));
		actors.push(scripted(subject, employee(subject, "supervisor", depot), asks, "return", ["name", "phone", "address"]));
	}

	const attackerNames: Record<string, string> = {};
	const harvest = (subject: string, role: Role, depot: string, list: string[], gapMs: number, label: string, start = DAY_START): Actor => {
		attackerNames[subject] = label;
		let index = 0;
		let at = start;
		return {
			name: subject,
			kind: "attacker",
			employee: employee(subject, role, depot),
			next: (now, last) => {
				if (last?.status === 423 || index >= list.length) return null;
				at = last?.status === 429 && last.retryAfterSeconds ? now + last.retryAfterSeconds * 1000 : last ? now + gapMs : at;
				if (at > DAY_END) return null;
				return { at, recordId: list[index++] as string, purpose: "return", fields: ["name", "phone", "address"] };
			},
		};
	};
	const depotList = (depot: string) => byDepot.get(depot) ?? [];
	actors.push(harvest("clerk-burst", "clerk", depots[0] as string, depotList(depots[0] as string), 50, "1. burst harvester (clerk)"));
	actors.push(harvest("clerk-slow", "clerk", depots[1] as string, [...depotList(depots[1] as string)].reverse(), 31_600, "2. low and slow (clerk)"));
	const elsewhere = allIds.filter((id) => records.get(id)?.depot !== depots[2]);
	actors.push(
		harvest(
			"courier-prober",
			"courier",
			depots[2] as string,
			Array.from({ length: 500 }, () => elsewhere[Math.floor(random() * elsewhere.length)] as string),
			30_000,
			"3. prober (courier)",
			DAY_START + HOUR,
		),
	);
	const ringList = depotList(ringDepot);
	for (let r = 0; r < 10; r++) {
		const slice = ringList.filter((_, i) => i % 10 === r);
		actors.push(harvest(`ring-${r}`, "clerk", ringDepot, slice, 31_600, "4. ring member (clerk)"));
	}
	actors.push(
		harvest(
			"courier-sampler",
			"courier",
			depots[3] as string,
			Array.from({ length: 2000 }, () => allIds[Math.floor(random() * allIds.length)] as string),
			20_000,
			"5. blind sampler (courier)",
			DAY_START + HOUR / 2,
		),
	);

	// Run: always the earliest pending ask next.
	const queue: { at: number; actor: number; ask: NonNullable<ReturnType<Actor["next"]>> }[] = [];
	const schedule = (actor: number, ask: ReturnType<Actor["next"]>) => {
		if (!ask) return;
		let lo = 0;
		let hi = queue.length;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if ((queue[mid] as { at: number }).at > ask.at) hi = mid;
			else lo = mid + 1;
		}
		queue.splice(lo, 0, { at: ask.at, actor, ask });
	};
	for (const [i, actor] of actors.entries()) schedule(i, actor.next(DAY_START, null));
	const obtained = new Map<string, { at: number; recordId: string }[]>();
	const asked = new Map<string, number>();
	const refused = new Map<string, number>();
	while (queue.length > 0) {
		const { at, actor: index, ask } = queue.shift() as (typeof queue)[number];
		const actor = actors[index] as Actor;
		const outcome = model.ask(actor.employee, ask.recordId, ask.purpose, ask.fields, at);
		asked.set(actor.name, (asked.get(actor.name) ?? 0) + 1);
		if (outcome.revealed) obtained.set(actor.name, [...(obtained.get(actor.name) ?? []), { at, recordId: outcome.revealed }]);
		else refused.set(actor.name, (refused.get(actor.name) ?? 0) + 1);
		schedule(index, actor.next(at, { status: outcome.status, retryAfterSeconds: outcome.decision?.retryAfterSeconds ?? null }));
	}

	const hours = Array.from({ length: 9 }, (_, h) => DAY_START + (h + 1) * HOUR);
	const attackers: AttackerReport[] = actors
		.filter((a) => a.kind === "attacker")
		.map((a) => {
			const got = obtained.get(a.name) ?? [];
			const suspendedAt = model.suspendedAt(a.name);
			return {
				name: `${attackerNames[a.name]} ${a.name}`,
				role: a.employee.role,
				asks: asked.get(a.name) ?? 0,
				recordsObtained: new Set(got.map((g) => g.recordId)).size,
				byHour: hours.map((end) => new Set(got.filter((g) => g.at <= end).map((g) => g.recordId)).size),
				suspendedAt: suspendedAt === null ? null : time(suspendedAt),
				suspendedAfterAsks: suspendedAt === null ? null : (asked.get(a.name) ?? null),
			};
		});
	const honest = actors.filter((a) => a.kind === "honest");
	const honestAsks = honest.reduce((sum, a) => sum + (asked.get(a.name) ?? 0), 0);
	const honestRefused = honest.reduce((sum, a) => sum + (refused.get(a.name) ?? 0), 0);
	const honestSuspended = honest.filter((a) => model.suspendedAt(a.name) !== null).length;
	const caps: Record<Role, number> = { courier: 300, clerk: 150, supervisor: 400 };
	const ringFlag = model.alerts.find((a) => a.kind === "depot_ring_suspected" && a.depot === ringDepot);
	const prober = attackers.find((a) => a.name.includes("courier-prober"));
	const sampler = attackers.find((a) => a.name.includes("courier-sampler"));
	const goals = [
		{
			goal: "no attacker obtains more than its role's daily distinct-record cap",
			met: attackers.every((a) => a.recordsObtained <= caps[a.role]),
			detail: attackers.map((a) => `${a.name}: ${a.recordsObtained}`).join("; "),
		},
		{
			goal: "the prober is suspended within its first ten asks",
			met: (prober?.suspendedAfterAsks ?? 99) <= 10,
			detail: `after ${prober?.suspendedAfterAsks ?? "never"} asks`,
		},
		{
			goal: "the blind sampler is suspended within its first ten asks",
			met: (sampler?.suspendedAfterAsks ?? 99) <= 10,
			detail: `after ${sampler?.suspendedAfterAsks ?? "never"} asks`,
		},
		{
			goal: "the ring is flagged by a depot-level alert before the day ends",
			met: ringFlag !== undefined && ringFlag.at <= DAY_END,
			detail: ringFlag ? `at ${time(ringFlag.at)}` : "never",
		},
		{ goal: "no honest employee is suspended", met: honestSuspended === 0, detail: `${honestSuspended} suspended` },
		{ goal: "under 0.1% of honest asks are refused", met: honestRefused / Math.max(1, honestAsks) < 0.001, detail: `${honestRefused} of ${honestAsks}` },
	];
	return {
		config,
		reference: { records: REFERENCE_RECORDS, byHour: hours.map((_, h) => Math.round((REFERENCE_RECORDS * (h + 1)) / 9)) },
		attackers,
		honest: {
			employees: honest.length,
			asks: honestAsks,
			refused: honestRefused,
			refusedRate: honestRefused / Math.max(1, honestAsks),
			suspended: honestSuspended,
		},
		alerts: model.alerts.filter((a) => a.severity === "critical").map((a) => ({ ...a, at: time(a.at) })),
		goals,
	};
}

function scripted(name: string, who: EmployeePrincipal, asks: { at: number; recordId: string }[], purpose: Purpose, fields: ContactField[]): Actor {
	const ordered = [...asks].sort((a, b) => a.at - b.at);
	let index = 0;
	return {
		name,
		kind: "honest",
		employee: who,
		next: () => {
			const ask = ordered[index++];
			return ask ? { at: ask.at, recordId: ask.recordId, purpose, fields } : null;
		},
	};
}
