/**
 * Leaked lists made from a simulated day, and what the vault would read to trace them.
 *
 * A list is what a dealer would post: the phones an attacker took in plaintext, shuffled among
 * numbers of other customers (the dealer's other sources) and numbers the carrier never held,
 * written the ways people write numbers. Matching and ranking then follow POST /v1/leaks/attribute
 * (src/leaks/attribute.ts) step by step, with the day's own records and grants standing where the
 * worker reads D1: the same normalisation, the same ranking function, the same inputs.
 */
import { prng } from "../../scripts/lib/demo-data.ts";
import type { ActivityRow, CitedEntry, MatchedRow } from "../../src/leaks/leak-store";
import type { SuspectInput } from "../../src/leaks/suspects";
import { normalizePhone } from "../../src/records/phone";
import type { ShipmentEvent } from "../../src/shipments/events";
import { latestDelivery } from "../../src/shipments/legs";
import type { DayTrace } from "./trace";

/** The route's limit on a list (src/leaks/schemas.ts). */
export const MAX_LIST = 10_000;
/** The issuer of the simulated staff's tokens (bench/simulate/day.ts), and so the employee issuer. */
const SIM_ISSUER = "sim";

/**
 * A customer's phone in the simulated carrier: one mobile number per record (E.164, the 139 block),
 * derived from the record's serial. Numbers the carrier never held come from the 137 block.
 */
export const phoneOf = (recordId: string) => `+86139${String(Number.parseInt(recordId.slice(4), 36)).padStart(8, "0")}`;
const neverHeld = (n: number) => `+86137${String(n).padStart(8, "0")}`;

/** Ways a number is written in a list found in the wild: all of them normalise to the same E.164. */
const WRITTEN: ((e164: string) => string)[] = [
	(e164) => e164.slice(3),
	(e164) => `${e164.slice(3, 6)} ${e164.slice(6, 10)} ${e164.slice(10)}`,
	(e164) => `+86-${e164.slice(3, 6)}-${e164.slice(6, 10)}-${e164.slice(10)}`,
	(e164) => `0086${e164.slice(3)}`,
];

export interface LeakedList {
	phones: string[];
	/** Records of the harvest that went into the list. */
	harvest: number;
	otherCustomers: number;
	neverHeld: number;
}

/**
 * The list a dealer would post from `harvest` (record ids taken in plaintext): the harvest, as many
 * other customers (half from `depots`, where the dealer's other sources likely sit, half from
 * anywhere), half as many numbers never held, shuffled, capped at the route's limit.
 */
export function leakedList(trace: DayTrace, harvest: readonly string[], depots: readonly string[], seed: number): LeakedList {
	const random = prng(seed);
	const taken = new Set(harvest);
	const customers = [...trace.records.values()].filter((record) => !record.honeytoken && !taken.has(record.id));
	const near = customers.filter((record) => depots.includes(record.depot));
	const room = Math.max(0, MAX_LIST - harvest.length);
	const othersWanted = Math.min(harvest.length, Math.floor((room * 2) / 3));
	const others = new Set<string>();
	const pick = (from: readonly { id: string }[], count: number) => {
		for (let tries = 0; others.size < count && tries < count * 20 && from.length > 0; tries++) {
			others.add((from[Math.floor(random() * from.length)] as { id: string }).id);
		}
	};
	pick(near, Math.ceil(othersWanted / 2));
	pick(customers, othersWanted);
	const unknown = Math.min(Math.ceil(harvest.length / 2), room - others.size);
	const numbers = [...harvest.map(phoneOf), ...[...others].map(phoneOf), ...Array.from({ length: unknown }, (_, i) => neverHeld(i))];
	// Fisher–Yates with the seeded generator: the same list for the same day.
	for (let i = numbers.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[numbers[i], numbers[j]] = [numbers[j] as string, numbers[i] as string];
	}
	return {
		phones: numbers.map((e164, i) => (WRITTEN[i % WRITTEN.length] as (e164: string) => string)(e164)),
		harvest: harvest.length,
		otherCustomers: others.size,
		neverHeld: unknown,
	};
}

export interface Matched {
	/** List entries the vault holds (as the route's `matched`). */
	matched: number;
	/** Distinct live records matched, honeytokens aside, as the route ranks them. */
	records: MatchedRow[];
	honeytokens: string[];
	unreadable: number;
}

/**
 * The day's records and audit as the attribution reads them: the blind index (an equality on the
 * normalised phone, here a map), each record's courier at the end of the period, the
 * `reveal.granted` / `reveal.redeemed` entries of every grant, the revealers' activity and the
 * records per depot.
 */
export class DayEvidence {
	private readonly byPhone = new Map<string, string>();
	private readonly rows = new Map<string, MatchedRow>();
	private readonly grantsOf = new Map<string, { seq: number; index: number }[]>();
	private readonly activityOf = new Map<string, ActivityRow>();
	readonly population = new Map<string, number>();

	constructor(private readonly trace: DayTrace) {
		const events = new Map<string, ShipmentEvent[]>();
		for (const event of trace.events) if (event.at <= trace.period.to) events.set(event.shipmentId, [...(events.get(event.shipmentId) ?? []), event]);
		for (const record of trace.records.values()) {
			this.byPhone.set(phoneOf(record.id), record.id);
			// As the worker holds it: a shipment's latest out_for_delivery assigns the recipient (src/shipments/record-events.ts).
			const latest = record.party === "recipient" && record.shipmentId ? latestDelivery(events.get(record.shipmentId) ?? []) : null;
			const courier = latest?.courier ?? (record.courier === null ? null : { subject: record.courier, issuer: record.courierIssuer });
			const depot = latest?.depot ?? record.depot;
			this.rows.set(record.id, {
				id: record.id,
				depot,
				courier: courier?.subject ?? null,
				courier_issuer: courier?.issuer ?? null,
				phone_index: phoneOf(record.id),
				honeytoken: record.honeytoken ? 1 : 0,
				honeytoken_depot: record.honeytoken ? record.depot : null,
				for_issuer: null,
				for_subject: null,
			});
			this.population.set(depot, (this.population.get(depot) ?? 0) + 1);
		}
		const touched = new Map<string, Set<string>>();
		for (const [index, grant] of trace.grants.entries()) {
			if (grant.at < trace.period.from || grant.at > trace.period.to) continue;
			// Each grant is two entries, granted then redeemed: seqs 2i+1 and 2i+2.
			this.grantsOf.set(grant.recordId, [...(this.grantsOf.get(grant.recordId) ?? []), { seq: 2 * index + 1, index }]);
			touched.set(grant.subject, (touched.get(grant.subject) ?? new Set()).add(grant.recordId));
		}
		for (const [subject, records] of touched) {
			const staff = trace.staff.get(subject);
			this.activityOf.set(subject, { subject, issuer: staff?.issuer ?? SIM_ISSUER, touched: records.size, depots: JSON.stringify(staff ? [staff.depot] : []) });
		}
	}

	/** The list's phones normalised and found, as the route finds them (src/leaks/attribute.ts). */
	match(phones: readonly string[]): Matched {
		const normalized = phones.map(normalizePhone);
		const ids = normalized.map((phone) => (phone === null ? undefined : this.byPhone.get(phone)));
		const found = [...new Set(ids.filter((id): id is string => id !== undefined))].map((id) => this.rows.get(id) as MatchedRow);
		return {
			matched: ids.filter((id) => id !== undefined).length,
			records: found.filter((row) => !row.honeytoken),
			honeytokens: found.filter((row) => row.honeytoken).map((row) => row.id),
			unreadable: normalized.filter((phone) => phone === null).length,
		};
	}

	/** The ranking's input for these matched records: what the route's reads would return. */
	suspectInput(records: readonly MatchedRow[]): SuspectInput {
		const entries: CitedEntry[] = [];
		for (const record of records) {
			for (const { seq, index } of this.grantsOf.get(record.id) ?? []) {
				const grant = this.trace.grants[index] as DayTrace["grants"][number];
				const staff = this.trace.staff.get(grant.subject);
				const actor = {
					actor: grant.subject,
					actor_issuer: staff?.issuer ?? SIM_ISSUER,
					actor_role: staff?.role ?? null,
					actor_depot: staff?.depot ?? null,
					record_id: record.id,
				};
				const details = JSON.stringify({ fields: [...grant.fields], purpose: "simulated" });
				entries.push({ seq, at: grant.at, kind: "reveal.granted", details, hash: `sim-${seq}`, ...actor });
				entries.push({ seq: seq + 1, at: grant.at, kind: "reveal.redeemed", details, hash: `sim-${seq + 1}`, ...actor });
			}
		}
		entries.sort((a, b) => a.seq - b.seq);
		const revealers = new Set(entries.map((entry) => entry.actor as string));
		return {
			records,
			entries,
			activity: [...revealers].flatMap((subject) => this.activityOf.get(subject) ?? []),
			population: this.population,
			employeeIssuer: SIM_ISSUER,
		};
	}
}
