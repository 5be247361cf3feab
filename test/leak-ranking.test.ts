import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { attributeHarvests } from "../bench/simulate/attribution";
import { simulateDay } from "../bench/simulate/day";
import { DayEvidence, leakedList, phoneOf } from "../bench/simulate/leaked-lists";
import type { SimRecord } from "../bench/simulate/model";
import type { DayTrace } from "../bench/simulate/trace";
import { overlapScore } from "../src/leaks/hypergeometric";
import type { ActivityRow, CitedEntry, MatchedRow } from "../src/leaks/leak-store";
import { rankSuspects, type SuspectInput } from "../src/leaks/suspects";
import type { PolicyRow } from "../src/limits/policy";

const ISSUER = "https://issuer.example";
const DEPOT = "SZ-NS-01";

const record = (n: number, courier: string | null, depot = DEPOT): MatchedRow => ({
	id: `rec_${n}`,
	depot,
	courier,
	courier_issuer: courier === null ? null : ISSUER,
	phone_index: `index-${n}`,
	honeytoken: 0,
	honeytoken_depot: null,
	for_issuer: null,
	for_subject: null,
});

let seq = 0;
/** A reveal as the audit holds it: granted, then redeemed. */
const reveal = (subject: string, role: string, recordId: string, fields: string[] = ["phone"], depot = DEPOT): CitedEntry[] =>
	(["reveal.granted", "reveal.redeemed"] as const).map((kind) => ({
		seq: ++seq,
		at: 1_000 + seq,
		kind,
		actor: subject,
		actor_issuer: ISSUER,
		actor_role: role,
		actor_depot: depot,
		record_id: recordId,
		details: JSON.stringify({ purpose: "delivery", fields }),
		hash: `hash-${seq}`,
	}));

const activity = (subject: string, touched: number, depot = DEPOT): ActivityRow => ({ subject, issuer: ISSUER, touched, depots: JSON.stringify([depot]) });

/**
 * A depot of 400 records. The list: 20 records a thief (a clerk) revealed, 10 other customers. An
 * honest clerk revealed 30 records that day, one of them listed; a courier held 12 listed records
 * and revealed none; another courier revealed the phones of 5 listed parcels of their own.
 */
function depotDay(): SuspectInput {
	const leaked = Array.from({ length: 20 }, (_, i) => record(i, i < 12 ? "holder" : "driver"));
	const others = Array.from({ length: 10 }, (_, i) => record(100 + i, "somebody-else"));
	const entries = [
		...leaked.flatMap((row) => reveal("thief", "clerk", row.id, ["name", "phone"])),
		...reveal("honest-clerk", "clerk", "rec_3"),
		...leaked.slice(12, 17).flatMap((row) => reveal("driver", "courier", row.id)),
	];
	return {
		records: [...leaked, ...others],
		entries,
		activity: [activity("thief", 20), activity("honest-clerk", 30), activity("driver", 9)],
		population: new Map([[DEPOT, 400]]),
		employeeIssuer: ISSUER,
	};
}

describe("the ranking of suspects (a pure function of the matched records and who revealed or held them)", () => {
	it("ranks the revealer the list is made of first, with the counts the figures need", () => {
		const ranked = rankSuspects(depotDay());
		expect(ranked[0]).toMatchObject({
			subject: "thief",
			issuer: ISSUER,
			kind: "employee",
			role: "clerk",
			depot: DEPOT,
			revealed: 20,
			fields: { name: 20, phone: 20 },
			held: 10, // a clerk holds every record of the depot; the other customers are the ones not revealed
			touched: 20,
			population: 400,
			draws: 30,
		});
		// Every cited entry, ascending: 20 grants and 20 redeems.
		expect(ranked[0]?.entries).toHaveLength(40);
		expect(ranked[0]?.entries.map((entry) => entry.seq)).toEqual([...(ranked[0]?.entries.map((entry) => entry.seq) ?? [])].sort((a, b) => a - b));
		// The score is the hypergeometric tail of exactly those figures.
		expect(ranked[0]?.score).toBe(overlapScore({ population: 400, successes: 20, draws: 30, observed: 20 }));
		expect(ranked[0]?.score).toBeGreaterThan(20); // C(30, 20) / C(400, 20): about 1 in 10^26
	});

	it("a courier who only held listed records ranks below one who revealed them; a coincidental overlap scores near nothing", () => {
		const ranked = rankSuspects(depotDay());
		const place = (subject: string) => ranked.findIndex((suspect) => suspect.subject === subject);
		const at = (subject: string) => ranked[place(subject)];
		expect(at("driver")).toMatchObject({ revealed: 5, held: 3, touched: 9 });
		expect(at("holder")).toMatchObject({ revealed: 0, held: 12, score: 0, role: "courier" });
		expect(at("honest-clerk")).toMatchObject({ revealed: 1, touched: 30 });
		expect(at("honest-clerk")?.score).toBeLessThan(1);
		expect(place("thief")).toBe(0);
		expect(place("driver")).toBeLessThan(place("honest-clerk"));
		expect(place("honest-clerk")).toBeLessThan(place("holder"));
		// A courier who held nothing listed and revealed nothing listed is no suspect.
		expect(place("nobody")).toBe(-1);
	});

	it("names a principal by (issuer, subject): a courier assigned without an issuer is the employee issuer's", () => {
		const input = depotDay();
		const other = { ...record(200, "thief"), courier_issuer: "https://other-issuer.example" };
		const legacy = { ...record(201, "holder"), courier_issuer: null };
		const ranked = rankSuspects({ ...input, records: [...input.records, other, legacy] });
		const named = ranked.filter((suspect) => suspect.subject === "thief").map((suspect) => suspect.issuer);
		expect(named.sort()).toEqual(["https://issuer.example", "https://other-issuer.example"]);
		expect(ranked.filter((suspect) => suspect.subject === "holder")).toEqual([expect.objectContaining({ issuer: ISSUER, held: 13 })]);
	});

	it("ignores entries about records the list does not hold, and is deterministic", () => {
		const input = depotDay();
		const elsewhere = reveal("thief", "clerk", "rec_999");
		const ranked = rankSuspects({ ...input, entries: [...input.entries, ...elsewhere] });
		expect(ranked[0]).toMatchObject({ subject: "thief", revealed: 20 });
		expect(ranked[0]?.entries).toHaveLength(40);
		expect(rankSuspects(depotDay()).map((suspect) => suspect.subject)).toEqual(rankSuspects(depotDay()).map((suspect) => suspect.subject));
	});
});

describe("leaked lists from a simulated day", () => {
	const sim = (n: number, depot: string, courier: string | null, honeytoken = false): SimRecord => ({
		id: `rec_${n.toString(36).padStart(8, "0")}`,
		party: "sender",
		depot,
		courier,
		courierIssuer: courier === null ? null : "sim",
		honeytoken,
	});
	const records = [...Array.from({ length: 300 }, (_, n) => sim(n, n < 150 ? "D01" : "D02", `courier-${n % 5}`)), sim(300, "D01", null, true)];
	const trace: DayTrace = {
		records: new Map(records.map((r) => [r.id, r])),
		events: [],
		grants: [
			...records.slice(0, 40).map((r, i) => ({ at: 1_000 + i, subject: "clerk-thief", recordId: r.id, fields: ["name", "phone", "address"] as const })),
			...records.slice(37, 40).map((r, i) => ({ at: 2_000 + i, subject: "clerk-honest", recordId: r.id, fields: ["phone"] as const })),
		],
		staff: new Map([
			["clerk-thief", { subject: "clerk-thief", issuer: "sim", role: "clerk", depot: "D01", kind: "attacker" as const }],
			["clerk-honest", { subject: "clerk-honest", issuer: "sim", role: "clerk", depot: "D01", kind: "honest" as const }],
		]),
		period: { from: 0, to: 10_000 },
	};
	const harvest = records.slice(0, 40).map((r) => r.id);

	it("mixes the harvest with other customers and numbers never held, each readable as the route reads them", () => {
		const list = leakedList(trace, harvest, ["D01"], 1);
		expect(list).toMatchObject({ harvest: 40, otherCustomers: 40, neverHeld: 20 });
		expect(list.phones).toHaveLength(100);
		expect(new Set(list.phones.map((phone) => phone.replace(/\D/g, "").slice(-11))).size).toBe(100);
		const matched = new DayEvidence(trace).match(list.phones);
		expect(matched).toMatchObject({ matched: 80, unreadable: 0, honeytokens: [] });
		expect(matched.records.map((row) => row.id)).toEqual(expect.arrayContaining(harvest));
		// A honeytoken is never one of the "other customers".
		expect(list.phones.map((phone) => phone.replace(/\D/g, "").slice(-11))).not.toContain(phoneOf("rec_0000008c").slice(3));
	});

	it("ranks the attacker of the list first with the vault's ranking, the honest clerk who revealed three of them below", () => {
		const evidence = new DayEvidence(trace);
		const matched = evidence.match(leakedList(trace, harvest, ["D01"], 2).phones);
		const ranked = rankSuspects(evidence.suspectInput(matched.records));
		expect(ranked[0]).toMatchObject({ subject: "clerk-thief", issuer: "sim", revealed: 40, touched: 40, population: 151 });
		const honest = ranked.find((suspect) => suspect.subject === "clerk-honest");
		expect(honest).toMatchObject({ revealed: 3, touched: 3 });
		expect(ranked[0]?.score).toBeGreaterThan((honest?.score ?? 0) + 10);
	});
});

describe("npm run simulate's leak attribution (a small day)", () => {
	it("every attacker with 20 records or more in the list ranks first, and no honest employee above an attacker", { timeout: 180_000 }, async () => {
		const policies = (await env.DB.prepare("SELECT * FROM policies").all<PolicyRow>()).results;
		let trace: DayTrace | undefined;
		const config = { depots: 12, couriersPerDepot: 12, clerks: 24, supervisors: 4, parcels: 20_000, honeytokenEvery: 200, seed: 11 };
		const report = simulateDay(config, policies, (day) => {
			trace = day;
		});
		const attribution = attributeHarvests(report, trace as DayTrace, config.seed);
		for (const goal of attribution.goals) expect(goal, goal.goal).toMatchObject({ met: true });
		// The checks were made, not skipped: the ring's list holds 20 or more of its records and its
		// members fill the top places. A single attacker now takes fewer than 20 phones in a day (a
		// phone needs a call first and a courier may take 10), so only the ring's list is judged by rank.
		const ring = attribution.lists.find((list) => list.ring);
		expect(ring?.harvest).toBeGreaterThanOrEqual(20);
		expect(ring?.ranked_first).toBe(true);
		expect(attribution.lists.filter((list) => list.no_honest_above === true).length).toBeGreaterThanOrEqual(5);
		expect(attribution.no_phones).toEqual(expect.arrayContaining([expect.stringContaining("clerk-burst")]));
	});
});
