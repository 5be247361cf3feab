/**
 * The harvest day: 9:00 to 18:00 at a carrier, with the work's legs (routes out in the morning,
 * delivered through the day, a few re-routed to a colleague, pickups, returns, customer-service
 * cases), honest staff calling through privacy-number bindings and revealing only what a call did
 * not serve, and attackers among them. Every ask and call is decided by the vault's own rules
 * (./model.ts) on a virtual clock, and the hourly careful-insider scan runs over what the audit log
 * would hold (./detect.ts). Deterministic for a given seed.
 */

import { prng } from "../../scripts/lib/demo-data.ts";
import type { EmployeePrincipal, Role } from "../../src/auth/principal";
import type { ContactField } from "../../src/crypto/envelope";
import type { WorkDay } from "../../src/detection/insiders/work-day";
import { type PolicyRow, resolvePolicy } from "../../src/limits/policy";
import type { Purpose } from "../../src/reveals/scope";
import type { ShipmentEvent } from "../../src/shipments/events";
import type { Leg } from "../../src/shipments/legs";
import { type InsiderFlag, type Staff, scanAt, workDaysAt } from "./detect";
import { type SimRecord, VaultModel } from "./model";
import type { DayTrace } from "./trace";

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

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY_START = Date.UTC(2026, 10, 27, 1); // 09:00 in China (UTC+8)
const DAY_END = DAY_START + 9 * HOUR;
/** The hourly scan runs until the day is over in China (24:00): "flagged the same day". */
const SCANS = Array.from({ length: 15 }, (_, h) => DAY_START + (h + 1) * HOUR);
/** The unprotected reference: one dealer site added about 200,000 records between 9:00 and 18:00. */
export const REFERENCE_RECORDS = 200_000;
/** Earlier days of the same honest traffic, summarized (not simulated): the work-ratio detector's 14-day window. */
export const HISTORY_DAYS = 13;
/** Ring plaintext phones a day, all five together (issue 15's goal). */
export const RING_PHONE_GOAL = 50;

type Action = { at: number; kind: "call" | "reveal"; recordId: string; purpose: Purpose; fields: ContactField[]; caseId?: string };
type Last = { status: number; retryAfterSeconds: number | null } | null;

/** One stream of an employee's actions: a fixed script, or an attacker who reacts to answers. */
interface Stream {
	subject: string;
	/** The attack itself, apart from the attacker's ordinary work. */
	attack?: boolean;
	next: (now: number, last: Last) => Action | null;
}

export interface AttackerReport {
	name: string;
	subject: string;
	role: Role;
	strategy: string;
	/** An honest employee listed beside the attackers (the stale screen): judged by the honest goals, not the flagging one. */
	honest: boolean;
	asks: number;
	calls: number;
	refused: number;
	/** The attack's own asks or calls before it was suspended (all of them when it never was). */
	attack_tries: number;
	plaintext_phones: number;
	plaintext_records: number;
	first_flagged_at: string | null;
	flagged_by: string[];
	suspended_at: string | null;
	/** Cumulative distinct records obtained at the end of each hour, 10:00 … 18:00. */
	byHour: number[];
}

export interface DayReport {
	config: DayConfig;
	reference: { records: number; byHour: number[] };
	model: { reveal_leg_gate: string; phone_reveal_exception: string; history: string };
	honest: {
		employees: number;
		asks: number;
		calls: number;
		reveals: number;
		refused: number;
		refused_rate: number;
		suspended: number;
		flagged: number;
		flagged_by: Record<string, number>;
		plaintext_phones_per_courier_per_day: { couriers: number; mean: number; median: number; p95: number; max: number };
	};
	attackers: AttackerReport[];
	ring: { depot: string; members: string[]; plaintext_phones: number; plaintext_records: number; first_flagged_at: string | null };
	alerts: { at: string; kind: string; severity: string; subject: string | null; depot: string | null }[];
	goals: { goal: string; met: boolean; detail: string }[];
}

/** The issuer of the simulated employees' tokens, and so of the couriers parcels are assigned to. */
const SIM_ISSUER = "sim";

function employee(subject: string, role: Role, depot: string): EmployeePrincipal {
	return { kind: "employee", subject, issuer: SIM_ISSUER, role, depot, scopes: new Set(["reveal"]), phoneNumber: "+8613800000000" };
}

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

/** The plan of one parcel's day: who holds it when, and the events the service reports. */
interface Parcel {
	index: number;
	depot: string;
	kind: "delivery" | "pickup" | "return";
	shipmentId: string;
	recipient: string;
	sender: string;
	/** Holders in order: [courier, from]; one entry unless re-routed. */
	holders: { courier: string; from: number }[];
	opensAt: number;
	closesAt: number;
}

/** `observe` receives what the day left behind (./trace.ts), for analyses that need more than the report. */
export function simulateDay(config: DayConfig, policies: readonly PolicyRow[], observe?: (trace: DayTrace) => void): DayReport {
	const random = prng(config.seed);
	const depots = Array.from({ length: config.depots }, (_, i) => `D${String(i + 1).padStart(2, "0")}`);
	const courierOf = (depot: string, c: number) => `courier-${depot}-${c}`;
	const records = new Map<string, SimRecord>();
	const byDepot = new Map<string, string[]>(depots.map((d) => [d, []]));
	let serial = 0;
	const add = (record: Omit<SimRecord, "id">) => {
		const id = `rec_${(serial++).toString(36).padStart(8, "0")}`;
		records.set(id, { id, ...record });
		byDepot.get(record.depot)?.push(id);
		return id;
	};
	const parcels: Parcel[] = [];
	const events: ShipmentEvent[] = [];
	const event = (shipmentId: string, type: ShipmentEvent["type"], at: number, courier: string | null, depot: string | null) =>
		events.push({ shipmentId, n: events.length, type, at, depot, courier: courier ? { subject: courier, issuer: SIM_ISSUER } : null });

	// The ring's depot and the stale screens: fixed places, so the story reads the same at any size.
	const ringDepot = depots[4 % depots.length] as string;
	const staleReveal = courierOf(depots[6 % depots.length] as string, 3);
	const staleCall = courierOf(depots[7 % depots.length] as string, 3);
	for (let p = 0; p < config.parcels; p++) {
		const depot = depots[p % depots.length] as string;
		const c = (Math.floor(p / depots.length) % config.couriersPerDepot) + 1;
		const courier = courierOf(depot, c);
		const shipmentId = `shp_${p.toString(36)}`;
		const roll = random();
		const kind = roll < 0.01 ? "pickup" : roll < 0.012 ? "return" : "delivery";
		const recipient = add({ party: "recipient", depot, courier, courierIssuer: SIM_ISSUER, honeytoken: false, shipmentId });
		// A pickup's sender record is created for the courier who collects it (the record, not the event, assigns it).
		const sender = add({
			party: "sender",
			depot,
			courier: kind === "pickup" ? courier : null,
			courierIssuer: kind === "pickup" ? SIM_ISSUER : null,
			honeytoken: false,
			shipmentId,
		});
		// Honeytokens sit among the depots' parcels, as planted decoys do: one per `honeytokenEvery` records, depot after depot.
		if ((2 * p + 2) % config.honeytokenEvery === 0) {
			const trapDepot = depots[((2 * p + 2) / config.honeytokenEvery) % depots.length] as string;
			add({ party: "recipient", depot: trapDepot, courier: null, courierIssuer: null, honeytoken: true });
		}
		if (kind === "delivery") {
			const opensAt = DAY_START - 30 * MINUTE + random() * 30 * MINUTE;
			const closesAt = DAY_START + 20 * MINUTE + random() * 8.5 * HOUR;
			const holders = [{ courier, from: opensAt }];
			event(shipmentId, "out_for_delivery", opensAt, courier, depot);
			// Dispatch moves a few parcels to a colleague mid-route.
			if (random() < 0.02) {
				const from = opensAt + random() * (closesAt - opensAt - 20 * MINUTE);
				const colleague = courierOf(depot, (c % config.couriersPerDepot) + 1);
				holders.push({ courier: colleague, from });
				event(shipmentId, "out_for_delivery", from, colleague, depot);
			}
			event(shipmentId, "delivered", closesAt, null, null);
			parcels.push({ index: p, depot, kind, shipmentId, recipient, sender, holders, opensAt, closesAt });
		} else if (kind === "pickup") {
			const opensAt = DAY_START + random() * 6 * HOUR;
			const closesAt = opensAt + HOUR + random() * HOUR;
			event(shipmentId, "pickup_scheduled", opensAt, courier, depot);
			event(shipmentId, "picked_up", closesAt, null, null);
			parcels.push({ index: p, depot, kind, shipmentId, recipient, sender, holders: [{ courier, from: opensAt }], opensAt, closesAt });
		} else {
			const opensAt = DAY_START + random() * 5 * HOUR;
			const closesAt = opensAt + 2 * HOUR + random() * 2 * HOUR;
			event(shipmentId, "return_started", opensAt, null, depot);
			event(shipmentId, "returned", closesAt, null, null);
			parcels.push({ index: p, depot, kind, shipmentId, recipient, sender, holders: [], opensAt, closesAt });
		}
	}
	// The stale screens: at 11:00 dispatch moves four of each one's open parcels to a colleague; their screens still list them.
	const movedAway = new Map<string, Parcel[]>();
	for (const stale of [staleReveal, staleCall]) {
		const moving = parcels
			.filter((p) => p.kind === "delivery" && p.holders.length === 1 && p.holders[0]?.courier === stale && p.closesAt > DAY_START + 2.5 * HOUR)
			.slice(0, 4);
		const [, depot, c] = stale.split("-") as [string, string, string];
		const colleague = courierOf(depot, (Number(c) % config.couriersPerDepot) + 1);
		for (const parcel of moving) {
			parcel.holders.push({ courier: colleague, from: DAY_START + 2 * HOUR });
			event(parcel.shipmentId, "out_for_delivery", DAY_START + 2 * HOUR, colleague, depot);
		}
		movedAway.set(stale, moving);
	}

	const allIds = [...records.keys()];
	const model = new VaultModel(records, policies);
	model.addEvents(events);
	const staff = new Map<string, Staff & { kind: "honest" | "attacker"; who: EmployeePrincipal }>();
	const person = (subject: string, role: Role, depot: string, kind: "honest" | "attacker") => {
		const who = employee(subject, role, depot);
		staff.set(subject, { subject, issuer: SIM_ISSUER, role, depot, kind, who });
		return who;
	};
	const scripts = new Map<string, Action[]>();
	const script = (subject: string, action: Action) => scripts.set(subject, [...(scripts.get(subject) ?? []), action]);

	// Couriers: a call (a double tap now and then) for each parcel they hold when it is delivered;
	// the plaintext only as the exception: the address of a hard-to-find door, the phone after a call did not serve.
	for (const depot of depots) for (let c = 1; c <= config.couriersPerDepot; c++) person(courierOf(depot, c), "courier", depot, "honest");
	for (const parcel of parcels) {
		if (parcel.kind === "return") continue;
		const holder = parcel.holders.at(-1) as { courier: string; from: number };
		const purpose: Purpose = parcel.kind === "pickup" ? "pickup" : "delivery";
		const recordId = parcel.kind === "pickup" ? parcel.sender : parcel.recipient;
		const earliest = holder.from + MINUTE;
		const at = Math.max(earliest, parcel.closesAt - 2 * MINUTE - random() * 40 * MINUTE);
		script(holder.courier, { at, kind: "call", recordId, purpose, fields: ["phone"] });
		if (random() < 0.3) script(holder.courier, { at: at + MINUTE / 2, kind: "call", recordId, purpose, fields: ["phone"] });
		if (random() < 0.05) script(holder.courier, { at: at + 10_000, kind: "reveal", recordId, purpose, fields: ["name", "address"] });
		if (random() < 0.02) script(holder.courier, { at: at + 40_000, kind: "reveal", recordId, purpose, fields: ["phone"] });
	}
	// The stale screens tap the moved parcels twelve times between 11:05 and 11:20: one taps Reveal, the other Call.
	for (const [stale, moved] of movedAway)
		for (let tap = 0; tap < 12 && moved.length > 0; tap++) {
			const parcel = moved[tap % moved.length] as Parcel;
			const at = DAY_START + 2 * HOUR + 5 * MINUTE + tap * 75_000;
			script(stale, {
				at,
				kind: stale === staleCall ? "call" : "reveal",
				recordId: parcel.recipient,
				purpose: "delivery",
				fields: ["name", "phone", "address"],
			});
		}

	// Clerks: customer-service cases (a call, or the phone read out when the customer asks to be called back later).
	const attackerClerks = 2;
	for (let k = 0; k < config.clerks - attackerClerks; k++) {
		const depot = depots[k % depots.length] as string;
		const subject = `clerk-${depot}-${k}`;
		person(subject, "clerk", depot, "honest");
		const own = (byDepot.get(depot) ?? []).filter((id) => !records.get(id)?.honeytoken);
		for (let n = 0; n < 40; n++) {
			const recordId = own[Math.floor(random() * own.length)] as string;
			const at = DAY_START + random() * 9 * HOUR;
			const caseId = `case-${subject}-${n}`;
			script(subject, { at, kind: random() < 0.7 ? "call" : "reveal", recordId, purpose: "customer_service", fields: ["phone"], caseId });
		}
	}
	// Supervisors: every return at their depot (the sender's name, phone and address for the label), and a few calls about them.
	const supervisorOf = new Map<string, string>();
	for (let s = 0; s < config.supervisors; s++) {
		const depot = depots[s % depots.length] as string;
		const subject = `supervisor-${depot}`;
		supervisorOf.set(depot, subject);
		person(subject, "supervisor", depot, "honest");
	}
	for (const parcel of parcels.filter((p) => p.kind === "return")) {
		const subject = supervisorOf.get(parcel.depot) ?? [...staff.values()].find((s) => s.role === "clerk" && s.depot === parcel.depot)?.subject;
		if (!subject) continue;
		script(subject, { at: parcel.opensAt + 20 * MINUTE, kind: "call", recordId: parcel.sender, purpose: "return", fields: ["phone"] });
		script(subject, { at: parcel.opensAt + 25 * MINUTE, kind: "reveal", recordId: parcel.sender, purpose: "return", fields: ["name", "phone", "address"] });
	}

	// Attackers: some of the staff above turn, and two clerks join.
	const attackers: { subject: string; name: string; strategy: string; ring?: boolean; honest?: boolean }[] = [];
	const streams: Stream[] = [];
	const fixed = (subject: string, actions: Action[]): Stream => {
		const ordered = [...actions].sort((a, b) => a.at - b.at);
		let index = 0;
		return { subject, next: () => ordered[index++] ?? null };
	};
	/** Asks through `list` one after another, `gapMs` apart, waiting out a 429, stopping at a 423 or when `take` says so. */
	const adaptive = (subject: string, list: (now: number) => Action | null, gapMs: number, start: number): Stream => {
		let at = start;
		return {
			subject,
			attack: true,
			next: (now, last) => {
				if (last?.status === 423) return null;
				at = last?.status === 429 && last.retryAfterSeconds ? now + last.retryAfterSeconds * 1000 : last ? now + gapMs : at;
				if (at > DAY_END) return null;
				const action = list(at);
				return action ? { ...action, at } : null;
			},
		};
	};
	const fromList = (ids: readonly string[], purpose: Purpose, fields: ContactField[], caseId?: string) => {
		let index = 0;
		return () => {
			const recordId = ids[index++];
			return recordId ? ({ at: 0, kind: "reveal", recordId, purpose, fields, ...(caseId ? { caseId: `${caseId}-${index}` } : {}) } as Action) : null;
		};
	};
	const ALL: ContactField[] = ["name", "phone", "address"];

	const d = (i: number) => depots[i % depots.length] as string;
	// 1. The seed's bulk harvester: a clerk revealing every record of the depot as fast as answers come.
	person("clerk-burst", "clerk", d(0), "attacker");
	attackers.push({
		subject: "clerk-burst",
		name: "bulk harvester",
		strategy: "a clerk revealing every record of the depot (return, all fields) every 50 ms, waiting out 429s",
	});
	streams.push(adaptive("clerk-burst", fromList(byDepot.get(d(0)) ?? [], "return", ALL), 50, DAY_START));

	// 2. A courier revealing their own parcels after delivery, inside the grace period (and some hours after).
	const seller = courierOf(d(1), 1);
	staff.set(seller, { ...(staff.get(seller) as Staff & { kind: "attacker"; who: EmployeePrincipal }), kind: "attacker" });
	attackers.push({
		subject: seller,
		name: "own old parcels",
		strategy:
			"a courier revealing each delivered parcel of their route 10 minutes after delivery (in the grace; the phone while one short of the plaintext phone limit, after the delivery's call), and the morning's again at 18:00",
	});
	const sellerParcels = parcels.filter((p) => p.kind === "delivery" && p.holders.at(-1)?.courier === seller);
	// Past the plaintext phone limit every ask with the phone is refused: the seller takes it only while one short, then the rest.
	const sellerPhones =
		resolvePolicy(policies, { kind: "employee", issuer: SIM_ISSUER, subject: seller, role: "courier", depot: d(1) }).plaintextPhone.limit -
		1 -
		(scripts.get(seller) ?? []).filter((a) => a.kind === "reveal" && a.fields.includes("phone")).length;
	streams.push(
		fixed(seller, [
			...sellerParcels.map((p, i) => ({
				at: p.closesAt + 10 * MINUTE,
				kind: "reveal" as const,
				recordId: p.recipient,
				purpose: "delivery" as Purpose,
				fields: i < sellerPhones ? ALL : (["name", "address"] as ContactField[]),
			})),
			...sellerParcels
				.filter((p) => p.closesAt < DAY_START + 3 * HOUR)
				.map((p, i) => ({ at: DAY_END - HOUR + i * 30_000, kind: "reveal" as const, recordId: p.recipient, purpose: "delivery" as Purpose, fields: ALL })),
		]),
	);

	// 3. The ring of five at one depot, each one short of every limit it meets: three couriers on their own routes,
	// a clerk and the supervisor on the depot's open delivery legs, split so no two take the same parcel.
	const ringCouriers = [1, 2, 3].map((c) => courierOf(ringDepot, c));
	const ringClerk = `clerk-${ringDepot}-ring`;
	const ringSupervisor = supervisorOf.get(ringDepot) ?? `supervisor-${ringDepot}`;
	person(ringClerk, "clerk", ringDepot, "attacker");
	if (!staff.has(ringSupervisor)) person(ringSupervisor, "supervisor", ringDepot, "attacker");
	for (const member of [...ringCouriers, ringSupervisor])
		staff.set(member, { ...(staff.get(member) as Staff & { who: EmployeePrincipal; kind: "attacker" }), kind: "attacker" });
	const limitOf = (role: Role, kind: "burst" | "daily" | "distinct") => {
		const row = policies.find((p) => p.layer === "role" && p.target === role && p.mode === "enforce");
		const fallback = policies.find((p) => p.layer === "default");
		const value = (r: PolicyRow | undefined) => (kind === "burst" ? r?.burst_limit : kind === "daily" ? r?.daily_limit : r?.distinct_limit);
		return (value(row) ?? value(fallback) ?? 0) as number;
	};
	const burstWindow = (role: Role) => (policies.find((p) => p.layer === "role" && p.target === role)?.burst_window_seconds ?? 600) * 1000;
	const oneShort = (role: Role) => ({
		gap: Math.ceil(burstWindow(role) / (limitOf(role, "burst") - 1)) + 1000,
		records: Math.min(limitOf(role, "daily"), limitOf(role, "distinct")) - 1,
	});
	/**
	 * A careful member takes a parcel's phone only as an honest courier would: a call on its leg first
	 * (the vault refuses the phone otherwise), and one short of the plaintext phone limit with their
	 * own ordinary phone reveals counted in; past that, the name and address alone. `nextParcel` picks
	 * the member's next parcel (null when done) given `cap`, the records one short of the limits.
	 */
	const carefulStream = (member: string, role: Role, nextParcel: (now: number, cap: number) => string | null): void => {
		const limit = resolvePolicy(policies, { kind: "employee", issuer: SIM_ISSUER, subject: member, role, depot: ringDepot }).plaintextPhone.limit;
		let phonesLeft =
			limit - 1 - (scripts.get(member) ?? []).filter((a) => a.kind === "reveal" && a.fields.includes("phone") && a.purpose !== "customer_service").length;
		let pending: Action | null = null;
		const short = oneShort(role);
		// One short of the limits with the member's own ordinary reveals counted in.
		const cap = short.records - (scripts.get(member) ?? []).filter((a) => a.kind === "reveal").length;
		streams.push(
			adaptive(
				member,
				(now) => {
					// The phone of the parcel just called, before the next parcel.
					if (pending) {
						const next: Action = { ...pending, at: now };
						pending = null;
						return next;
					}
					const recordId = nextParcel(now, cap);
					if (recordId === null) return null;
					if (phonesLeft <= 0) return { at: now, kind: "reveal", recordId, purpose: "delivery", fields: ["name", "address"] };
					phonesLeft--;
					pending = { at: now, kind: "reveal", recordId, purpose: "delivery", fields: ALL };
					return { at: now, kind: "call", recordId, purpose: "delivery", fields: ["phone"] };
				},
				short.gap,
				DAY_START,
			),
		);
	};
	for (const member of ringCouriers) {
		attackers.push({
			subject: member,
			name: "ring member (courier)",
			ring: true,
			strategy:
				"every parcel of the own route while its leg is open, one short of the burst; all fields after a call while one short of the plaintext phone limit, name and address after",
		});
		const own = parcels.filter((p) => p.kind === "delivery" && p.holders.every((h) => h.courier === member)).sort((a, b) => b.closesAt - a.closesAt);
		let index = 0;
		carefulStream(member, "courier", (now, cap) => {
			while (index < own.length && index < cap) {
				const p = own[index++] as Parcel;
				if (p.opensAt <= now && p.closesAt > now) return p.recipient;
			}
			return null;
		});
	}
	const depotOpen = parcels
		.filter((p) => p.kind === "delivery" && p.depot === ringDepot && !p.holders.some((h) => ringCouriers.includes(h.courier)))
		.sort((a, b) => b.closesAt - a.closesAt);
	let taken = 0;
	for (const [member, role] of [
		[ringClerk, "clerk"],
		[ringSupervisor, "supervisor"],
	] as const) {
		attackers.push({
			subject: member,
			name: `ring member (${role})`,
			ring: true,
			strategy:
				"the depot's open delivery legs, one short of the burst and of the daily limits; all fields after a call while one short of the plaintext phone limit, name and address after",
		});
		let got = 0;
		carefulStream(member, role, (now, cap) => {
			while (taken < depotOpen.length && got < cap) {
				const p = depotOpen[taken++] as Parcel;
				if (p.opensAt <= now && p.closesAt > now + MINUTE) {
					got++;
					return p.recipient;
				}
			}
			return null;
		});
	}

	// 4. The prober: a courier asking about parcels elsewhere.
	const prober = courierOf(d(2), 1);
	staff.set(prober, { ...(staff.get(prober) as Staff & { who: EmployeePrincipal; kind: "attacker" }), kind: "attacker" });
	attackers.push({ subject: prober, name: "prober", strategy: "a courier asking for 500 records of other depots, one every 30 s from 10:00" });
	const elsewhere = allIds.filter((id) => records.get(id)?.depot !== d(2));
	streams.push(
		adaptive(
			prober,
			fromList(
				Array.from({ length: 500 }, () => elsewhere[Math.floor(random() * elsewhere.length)] as string),
				"delivery",
				ALL,
			),
			30_000,
			DAY_START + HOUR,
		),
	);

	// 4b. The same probing through calls: a courier tapping Call on parcels elsewhere.
	const callProber = courierOf(d(2), 2);
	staff.set(callProber, { ...(staff.get(callProber) as Staff & { who: EmployeePrincipal; kind: "attacker" }), kind: "attacker" });
	attackers.push({ subject: callProber, name: "prober by calls", strategy: "a courier calling 500 records of other depots, one every 30 s from 10:00" });
	// Real parcels only: what is measured is the probing rule, not the luck of meeting a honeytoken.
	const realElsewhere = elsewhere.filter((id) => !records.get(id)?.honeytoken);
	const callList = Array.from({ length: 500 }, () => realElsewhere[Math.floor(random() * realElsewhere.length)] as string);
	let callIndex = 0;
	streams.push(
		adaptive(
			callProber,
			() => {
				const recordId = callList[callIndex++];
				return recordId ? { at: 0, kind: "call", recordId, purpose: "delivery", fields: ["phone"] } : null;
			},
			30_000,
			DAY_START + HOUR,
		),
	);

	// 5. The honeytoken sampler: a clerk working through a leaked list of the depot's ids, traps among them.
	person("clerk-sampler", "clerk", d(3), "attacker");
	attackers.push({
		subject: "clerk-sampler",
		name: "honeytoken sampler",
		strategy: "a clerk revealing a leaked list of the depot's ids (honeytokens among them) under made-up case ids, one every 20 s from 9:30",
	});
	const leaked = (byDepot.get(d(3)) ?? []).filter((id, i) => i % 7 === 0 || records.get(id)?.honeytoken);
	streams.push(adaptive("clerk-sampler", fromList(leaked, "customer_service", ["phone"], "case-made-up"), 20_000, DAY_START + HOUR / 2));

	// 6. Honest, listed beside them: the stale screens.
	attackers.push({
		subject: staleReveal,
		name: "stale screen (Reveal)",
		honest: true,
		strategy: "honest courier: four parcels re-routed at 11:00, tapped Reveal 12 times at 11:05–11:20",
	});
	attackers.push({
		subject: staleCall,
		name: "stale screen (Call)",
		honest: true,
		strategy: "honest courier: four parcels re-routed at 11:00, tapped Call 12 times at 11:05–11:20",
	});

	for (const [subject, actions] of scripts) streams.push(fixed(subject, actions));

	// Run: always the earliest pending action next.
	const queue: { at: number; stream: number; action: Action }[] = [];
	const schedule = (stream: number, action: Action | null) => {
		if (!action) return;
		let lo = 0;
		let hi = queue.length;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if ((queue[mid] as { at: number }).at > action.at) hi = mid;
			else lo = mid + 1;
		}
		queue.splice(lo, 0, { at: action.at, stream, action });
	};
	for (const [i, stream] of streams.entries()) schedule(i, stream.next(DAY_START, null));
	const tally = new Map<string, { asks: number; calls: number; refused: number }>();
	/** The attack streams' own asks and calls until the first 423: how quickly the attack itself was stopped. */
	const attackTries = new Map<string, number>();
	while (queue.length > 0) {
		const { at, stream: index, action } = queue.shift() as (typeof queue)[number];
		const stream = streams[index] as Stream;
		const who = (staff.get(stream.subject) as { who: EmployeePrincipal }).who;
		const counts = tally.get(stream.subject) ?? { asks: 0, calls: 0, refused: 0 };
		tally.set(stream.subject, counts);
		if (stream.attack && model.suspendedAt(stream.subject) === null) attackTries.set(stream.subject, (attackTries.get(stream.subject) ?? 0) + 1);
		if (action.kind === "call") {
			const outcome = model.call(who, action.recordId, action.purpose, at, action.caseId);
			counts.calls++;
			if (outcome.status !== 201) counts.refused++;
			schedule(index, stream.next(at, { status: outcome.status, retryAfterSeconds: null }));
		} else {
			const outcome = model.ask(who, action.recordId, action.purpose, action.fields, at, action.caseId);
			counts.asks++;
			if (outcome.status !== 201) counts.refused++;
			schedule(index, stream.next(at, { status: outcome.status, retryAfterSeconds: outcome.decision?.retryAfterSeconds ?? null }));
		}
	}

	// The hourly scan, over the day's grants and legs as known at each hour, with earlier days summarized.
	const shipmentOf = (recordId: string) => records.get(recordId)?.shipmentId;
	const legsAt = (now: number) => new Map<string, readonly Leg[]>(parcels.map((p) => [p.shipmentId, model.legsAt(p.shipmentId, now)]));
	const fullDay = workDaysAt({ now: DAY_START + 15 * HOUR, staff, grants: model.grants, legs: legsAt(DAY_START + 15 * HOUR) });
	const history = summarizedHistory(fullDay, staff);
	const flags: InsiderFlag[] = [];
	for (const now of SCANS) flags.push(...scanAt({ now, staff, grants: model.grants, legs: legsAt(now), shipmentOf, history, policies }));

	// Who was flagged, when, by what: the limiter's alerts naming them and the scan's.
	const flagsOf = (subject: string) => [
		...model.alerts.filter((a) => a.subject === subject).map((a) => ({ at: a.at, kind: a.kind })),
		...flags.filter((f) => f.subject === subject || f.members?.includes(subject)).map((f) => ({ at: f.at, kind: f.kind })),
	];
	const firstFlag = (subject: string) => Math.min(...flagsOf(subject).map((f) => f.at), Number.POSITIVE_INFINITY);
	const grantsOf = (subject: string) => model.grants.filter((g) => g.subject === subject);
	const phones = (subject: string) =>
		new Set(
			grantsOf(subject)
				.filter((g) => g.fields.includes("phone"))
				.map((g) => g.recordId),
		).size;
	const hours = Array.from({ length: 9 }, (_, h) => DAY_START + (h + 1) * HOUR);
	const attackerReports: AttackerReport[] = attackers.map((a) => {
		const who = staff.get(a.subject) as Staff;
		const got = grantsOf(a.subject);
		const first = firstFlag(a.subject);
		const counts = tally.get(a.subject) ?? { asks: 0, calls: 0, refused: 0 };
		return {
			name: a.name,
			subject: a.subject,
			role: who.role as Role,
			strategy: a.strategy,
			honest: a.honest ?? false,
			asks: counts.asks,
			calls: counts.calls,
			refused: counts.refused,
			attack_tries: attackTries.get(a.subject) ?? 0,
			plaintext_phones: phones(a.subject),
			plaintext_records: new Set(got.map((g) => g.recordId)).size,
			first_flagged_at: Number.isFinite(first) ? iso(first) : null,
			flagged_by: [...new Set(flagsOf(a.subject).map((f) => f.kind))],
			suspended_at: iso(model.suspendedAt(a.subject)),
			byHour: hours.map((end) => new Set(got.filter((g) => g.at <= end).map((g) => g.recordId)).size),
		};
	});

	const honest = [...staff.values()].filter((s) => s.kind === "honest");
	const honestTally = honest.map((s) => tally.get(s.subject) ?? { asks: 0, calls: 0, refused: 0 });
	const honestAsks = honestTally.reduce((sum, t) => sum + t.asks + t.calls, 0);
	const honestRefused = honestTally.reduce((sum, t) => sum + t.refused, 0);
	const honestSuspended = honest.filter((s) => model.suspendedAt(s.subject) !== null);
	const honestFlagged = honest.filter((s) => Number.isFinite(firstFlag(s.subject)));
	const flaggedBy: Record<string, number> = {};
	for (const s of honestFlagged) for (const kind of new Set(flagsOf(s.subject).map((f) => f.kind))) flaggedBy[kind] = (flaggedBy[kind] ?? 0) + 1;
	const courierPhones = honest
		.filter((s) => s.role === "courier")
		.map((s) => phones(s.subject))
		.sort((a, b) => a - b);
	const at = (q: number) => courierPhones[Math.min(courierPhones.length - 1, Math.floor(q * courierPhones.length))] ?? 0;

	const ringMembers = [...ringCouriers, ringClerk, ringSupervisor];
	const ringGrants = model.grants.filter((g) => ringMembers.includes(g.subject));
	const ringFlagAt = Math.min(
		...ringMembers.map(firstFlag),
		...flags.filter((f) => f.subject === null && f.depot === ringDepot).map((f) => f.at),
		...model.alerts.filter((a) => a.subject === null && a.depot === ringDepot).map((a) => a.at),
		Number.POSITIVE_INFINITY,
	);
	const ring = {
		depot: ringDepot,
		members: ringMembers,
		plaintext_phones: new Set(ringGrants.filter((g) => g.fields.includes("phone")).map((g) => g.recordId)).size,
		plaintext_records: new Set(ringGrants.map((g) => g.recordId)).size,
		first_flagged_at: Number.isFinite(ringFlagAt) ? iso(ringFlagAt) : null,
	};

	const endOfDay = DAY_START + 15 * HOUR;
	const real = attackerReports.filter((a) => !a.honest);
	const unflagged = real.filter((a) => a.first_flagged_at === null || Date.parse(a.first_flagged_at) > endOfDay);
	const goals = [
		{
			goal: "no honest employee is suspended",
			met: honestSuspended.length === 0,
			detail: `${honestSuspended.length} suspended${honestSuspended.length ? `: ${honestSuspended.map((s) => s.subject).join(", ")}` : ""}`,
		},
		{
			goal: "under 0.1% of honest asks and calls are refused",
			met: honestRefused / Math.max(1, honestAsks) < 0.001,
			detail: `${honestRefused} of ${honestAsks}`,
		},
		{
			goal: "every attacker (the careful ring included) is flagged the same day",
			met: unflagged.length === 0 && ring.first_flagged_at !== null,
			detail:
				unflagged.length === 0
					? `all ${real.length}; the ring at ${ring.first_flagged_at}`
					: `not flagged: ${unflagged.map((a) => `${a.name} ${a.subject}`).join(", ")}`,
		},
		{
			goal: `the ring's plaintext phones are at most ${RING_PHONE_GOAL} a day in total`,
			met: ring.plaintext_phones <= RING_PHONE_GOAL,
			detail: `${ring.plaintext_phones}`,
		},
		{
			goal: "the prober is suspended within its first ten asks",
			met: model.suspendedAt(prober) !== null && (attackTries.get(prober) ?? 99) <= 10,
			detail: model.suspendedAt(prober) === null ? "never suspended" : `suspended on ask ${attackTries.get(prober)}, ${iso(model.suspendedAt(prober))}`,
		},
		{
			goal: "the prober by calls is suspended for probing within its first ten calls",
			met: model.suspensionOf(callProber)?.reason === "out_of_scope_probing" && (attackTries.get(callProber) ?? 99) <= 10,
			detail: ((suspension) =>
				suspension === null
					? `never suspended (${attackTries.get(callProber)} calls; flagged by ${attackerReports.find((a) => a.subject === callProber)?.flagged_by.join(", ") || "nothing"})`
					: `suspended (${suspension.reason}) after ${attackTries.get(callProber)} calls, ${iso(suspension.at)}`)(model.suspensionOf(callProber)),
		},
		{
			goal: "the stale screens are never suspended",
			met: [staleReveal, staleCall].every((s) => model.suspendedAt(s) === null),
			detail: [staleReveal, staleCall].map((s) => `${s}: ${iso(model.suspendedAt(s)) ?? "not suspended"}`).join("; "),
		},
	];
	observe?.({ records, events, grants: model.grants, staff, period: { from: events.reduce((min, e) => Math.min(min, e.at), DAY_START), to: endOfDay } });
	return {
		config,
		reference: { records: REFERENCE_RECORDS, byHour: hours.map((_, h) => Math.round((REFERENCE_RECORDS * (h + 1)) / 9)) },
		model: {
			reveal_leg_gate:
				"legGate on every reveal, as the reveal route will apply it: stale is a 403 decided before the limiter (never probing), no open leg is out of scope for decide, no case is a purpose refusal",
			phone_reveal_exception:
				"as src/calls/plaintext-phone.ts decides it in the limiter: a delivery or pickup phone needs a call on the open leg first and is limited per role and day (courier 10, clerk 0, supervisor 10 by default); honest couriers call each parcel and reveal the phone after a call only when the bridge failed (2%); the careful ring calls before each phone it takes and stays one short of that limit",
			history: `${HISTORY_DAYS} earlier days summarized, not simulated: each honest employee's simulated day repeated; each attacker's earlier days are an honest peer's of the same role (they start today)`,
		},
		honest: {
			employees: honest.length,
			asks: honestAsks,
			calls: honestTally.reduce((sum, t) => sum + t.calls, 0),
			reveals: honestTally.reduce((sum, t) => sum + t.asks, 0),
			refused: honestRefused,
			refused_rate: honestRefused / Math.max(1, honestAsks),
			suspended: honestSuspended.length,
			flagged: honestFlagged.length,
			flagged_by: flaggedBy,
			plaintext_phones_per_courier_per_day: {
				couriers: courierPhones.length,
				mean: Math.round((courierPhones.reduce((s, n) => s + n, 0) / Math.max(1, courierPhones.length)) * 100) / 100,
				median: at(0.5),
				p95: at(0.95),
				max: courierPhones.at(-1) ?? 0,
			},
		},
		attackers: attackerReports,
		ring,
		alerts: [
			...model.alerts.filter((a) => a.severity === "critical").map((a) => ({ ...a, at: iso(a.at) as string })),
			...flags
				.filter((f, i, all) => all.findIndex((g) => g.kind === f.kind && g.subject === f.subject && g.depot === f.depot) === i)
				.map((f) => ({
					at: iso(f.at) as string,
					kind: f.kind,
					severity: f.kind === "depot_ring_near_quota" ? "critical" : "warning",
					subject: f.subject,
					depot: f.depot,
				})),
		].sort((a, b) => a.at.localeCompare(b.at)),
		goals,
	};
}

/**
 * Days 1…HISTORY_DAYS: honest traffic as on the simulated day. An honest employee's earlier days are
 * their own simulated day; an attacker's are an honest peer's (same role, same depot where there is
 * one) with their own legs: the careful insider started today, so no streak has begun.
 */
function summarizedHistory(today: readonly WorkDay[], staff: ReadonlyMap<string, Staff & { kind: "honest" | "attacker" }>): WorkDay[] {
	const honestDays = today.filter((day) => staff.get(day.subject)?.kind === "honest");
	const rows: WorkDay[] = [];
	for (const who of staff.values()) {
		const own = today.find((day) => day.subject === who.subject);
		let base: WorkDay | undefined = who.kind === "honest" ? own : undefined;
		if (who.kind === "attacker") {
			const peers = honestDays.filter((day) => day.role === who.role);
			const peer = peers.find((day) => day.depot === who.depot) ?? peers[Math.floor(peers.length / 2)];
			if (peer) base = { ...peer, issuer: who.issuer, subject: who.subject, depot: who.depot, legs: own?.legs ?? peer.legs };
		}
		if (!base) continue;
		for (let day = 1; day <= HISTORY_DAYS; day++) rows.push({ ...base, day });
	}
	return rows;
}
