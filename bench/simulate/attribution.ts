/**
 * Issue 19's check on the simulated day: each attacker's harvest (and the ring's together) is
 * leaked as a list, the list is traced with the vault's own ranking (src/leaks/suspects.ts), and
 * the places the attackers and the best-placed honest employee take are reported and judged.
 */
import { MAX_SUSPECTS, rankSuspects, type Suspect } from "../../src/leaks/suspects";
import type { DayReport } from "./day";
import { DayEvidence, leakedList } from "./leaked-lists";
import type { DayTrace } from "./trace";

/** A harvest at least this large must put its attacker first (issue 19). */
export const RANKED_FIRST_FROM = 20;

export interface Place {
	subject: string;
	/** 1-based place in the ranking; null when not a suspect at all. */
	place: number | null;
	score: number;
	revealed: number;
}

export interface TracedList {
	name: string;
	/** Whose harvest the list is made of: one attacker, or the ring's members. */
	subjects: string[];
	ring: boolean;
	list_size: number;
	harvest: number;
	other_customers: number;
	never_held: number;
	/** List entries the vault holds, and the distinct records among them (honeytokens aside). */
	matched: number;
	records: number;
	honeytokens: number;
	suspects: number;
	places: Place[];
	best_honest: Place | null;
	/** Issue 19's two checks on this list; null where a check does not apply (under 20 records, nothing taken). */
	ranked_first: boolean | null;
	no_honest_above: boolean | null;
}

export interface Attribution {
	lists: TracedList[];
	/** Attackers whose plaintext held no phone: nothing to leak as a phone list. */
	no_phones: string[];
	seconds: number;
	goals: DayReport["goals"];
}

const placeOf = (ranked: readonly Suspect[], subject: string, issuer: string): Place => {
	const index = ranked.findIndex((suspect) => suspect.subject === subject && suspect.issuer === issuer);
	const suspect = ranked[index];
	return { subject, place: suspect ? index + 1 : null, score: suspect?.score ?? 0, revealed: suspect?.revealed ?? 0 };
};

/** Leaks each attacker's phones (and the ring's) and traces every list. */
export function attributeHarvests(report: DayReport, trace: DayTrace, seed: number): Attribution {
	const started = Date.now();
	const evidence = new DayEvidence(trace);
	const phonesOf = (subjects: readonly string[]) => [
		...new Set(trace.grants.filter((grant) => subjects.includes(grant.subject) && grant.fields.includes("phone")).map((grant) => grant.recordId)),
	];
	const cases = [
		...report.attackers.filter((attacker) => !attacker.honest).map((attacker) => ({ name: attacker.name, subjects: [attacker.subject], ring: false })),
		{ name: `the ring of five (${report.ring.depot})`, subjects: report.ring.members, ring: true },
	];
	const lists: TracedList[] = [];
	const noPhones: string[] = [];
	for (const [n, { name, subjects, ring }] of cases.entries()) {
		const harvest = phonesOf(subjects);
		if (harvest.length === 0) {
			noPhones.push(`${name} ${subjects.join(", ")}`);
			continue;
		}
		const depots = [...new Set(subjects.map((subject) => trace.staff.get(subject)?.depot).filter((depot): depot is string => depot !== undefined))];
		const list = leakedList(trace, harvest, depots, seed * 1000 + n);
		const matched = evidence.match(list.phones);
		const ranked = rankSuspects(evidence.suspectInput(matched.records));
		const issuerOf = (subject: string) => trace.staff.get(subject)?.issuer ?? "";
		const places = subjects.map((subject) => placeOf(ranked, subject, issuerOf(subject)));
		const honestIndex = ranked.findIndex((suspect) => trace.staff.get(suspect.subject)?.kind === "honest");
		const honest = ranked[honestIndex];
		const bestHonest = honest ? placeOf(ranked, honest.subject, honest.issuer) : null;
		// The members who revealed something in the list are the ones the ranking can name.
		const named = places.filter((place) => place.revealed > 0 && place.place !== null).map((place) => place.place as number);
		const top = [...named].sort((a, b) => a - b);
		lists.push({
			name,
			subjects,
			ring,
			list_size: list.phones.length,
			harvest: list.harvest,
			other_customers: list.otherCustomers,
			never_held: list.neverHeld,
			matched: matched.matched,
			records: matched.records.length,
			honeytokens: matched.honeytokens.length,
			suspects: ranked.length,
			places,
			best_honest: bestHonest,
			ranked_first: list.harvest >= RANKED_FIRST_FROM ? top.length > 0 && top.every((place, i) => place === i + 1) : null,
			no_honest_above: bestHonest === null ? true : top.length > 0 && Math.max(...top) < (bestHonest.place as number),
		});
	}
	const judged = (check: "ranked_first" | "no_honest_above") => lists.filter((list) => list[check] !== null);
	const missed = (check: "ranked_first" | "no_honest_above") => judged(check).filter((list) => list[check] === false);
	const describe = (check: "ranked_first" | "no_honest_above") =>
		missed(check).length === 0
			? `all ${judged(check).length} lists`
			: `missed: ${missed(check)
					.map((list) => `${list.name} (${list.places.map((p) => `${p.subject} ${p.place ?? "—"}`).join(", ")}; honest ${list.best_honest?.place ?? "—"})`)
					.join("; ")}`;
	return {
		lists,
		no_phones: noPhones,
		seconds: (Date.now() - started) / 1000,
		goals: [
			{
				goal: `a leaked list with at least ${RANKED_FIRST_FROM} of an attacker's records ranks the attacker first (the ring's: its members fill the top places)`,
				met: missed("ranked_first").length === 0,
				detail: describe("ranked_first"),
			},
			{
				goal: "no honest employee ranks above an attacker in the attacker's leaked list",
				met: missed("no_honest_above").length === 0,
				detail: describe("no_honest_above"),
			},
		],
	};
}

const placeText = (place: Place) => (place.place === null ? "—" : `${place.place}${place.place > MAX_SUSPECTS ? " (not named)" : ""} (${place.score})`);

/** The ranks in one paragraph: where the attackers landed, and how close the honest came. */
function summary(attribution: Attribution): string {
	const attackers = attribution.lists.flatMap((list) => list.places.filter((place) => place.revealed > 0));
	const honest = attribution.lists.flatMap((list) => (list.best_honest ? [list.best_honest] : []));
	if (attackers.length === 0) return "No list was traced.";
	const lowest = attackers.reduce((low, place) => (place.score < low.score ? place : low));
	const highest = honest.reduce<Place | null>((high, place) => (high === null || place.score > high.score ? place : high), null);
	const worst = Math.max(
		...attribution.lists.map((list) => Math.max(...list.places.filter((p) => p.revealed > 0).map((p) => p.place ?? Number.POSITIVE_INFINITY))),
	);
	return `The attackers take places 1 to ${worst} of their lists; the lowest attacker score is ${lowest.score} (${lowest.subject}), the highest honest one ${highest ? `${highest.score} (${highest.subject}, who revealed ${highest.revealed} listed record${highest.revealed === 1 ? "" : "s"} in the course of their work)` : "— (no honest employee is a suspect)"}. An honest employee is a suspect when their work touched a listed record: by revealing it (as above, a coincidence the score prices) or by holding it (a score of 0).`;
}

/** The report's section: how the lists were made, and the places. */
export function attributionMarkdown(attribution: Attribution): string {
	const rows = attribution.lists.map(
		(list) =>
			`| ${list.name} | ${list.places.map((place) => `${place.subject}: ${placeText(place)}`).join("<br>")} | ${list.list_size.toLocaleString("en")} | ${list.harvest} + ${list.other_customers} + ${list.never_held} | ${list.matched.toLocaleString("en")} | ${list.records.toLocaleString("en")} | ${list.best_honest ? `${list.best_honest.subject}: ${placeText(list.best_honest)}` : "none"} | ${list.suspects} |`,
	);
	return `
## Tracing the harvests (issue 19)

Each attacker's plaintext phones (the records whose phone they were granted and redeemed), and the ring's together, are leaked as a dealer would post them: shuffled among as many numbers of other customers (half from the attacker's depot, half from anywhere) and half as many numbers the carrier never held, written four ways (\`13912345678\`, \`139 1234 5678\`, \`+86-139-…\`, \`0086…\`). Each list is traced as \`POST /v1/leaks/attribute\` traces it (bench/simulate/leaked-lists.ts): every number normalised by the vault's \`normalizePhone\` and matched against the day's records, and the suspects ranked by the vault's own \`rankSuspects\` (src/leaks/suspects.ts, the hypergeometric score of src/leaks/hypergeometric.ts) over what the worker's reads would return: the \`reveal.granted\`/\`reveal.redeemed\` entries of every grant of the day about the matched records, each revealer's distinct records redeemed in the period, each record's courier after the day's shipment events, and the records per depot. The period is the simulated day (the earlier days are summarized, not simulated, so they add no reveals). Traced in ${attribution.seconds.toFixed(1)} s.

Places are 1-based with the score (−log10 of the chance of the overlap) in brackets; the route names the first ${MAX_SUSPECTS}. List: harvest + other customers + never held.

| list | attacker's place (score) | list size | list | matched entries | records | best-placed honest employee (score) | suspects |
| --- | --- | ---: | --- | ---: | ---: | --- | ---: |
${rows.join("\n")}

${summary(attribution)}

${attribution.no_phones.length > 0 ? `No phone taken in plaintext, so no list to trace: ${attribution.no_phones.join("; ")}.\n` : ""}`;
}
