import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EmployeePrincipal, Principal, Role } from "../src/auth/principal";
import type { Party } from "../src/records/store";
import { PURPOSES, type Purpose } from "../src/reveals/scope";
import { type CourierRef, SHIPMENT_EVENT_TYPES, type ShipmentEvent, type ShipmentEventType } from "../src/shipments/events";
import { type LegDecision, legGate } from "../src/shipments/leg-gate";
import { BUILT_IN_LEG_POLICY, graceSecondsAt, type LegPolicy, type LegPolicyRow, resolveLegPolicy } from "../src/shipments/leg-policy";
import { applyEvent, isOpen, type Leg, legsOf } from "../src/shipments/legs";

const MIN = 60_000;
const GRACE = 30 * MIN;
const T0 = Date.UTC(2026, 10, 29, 8, 0);
const ISS = "https://issuer.test";
const A: CourierRef = { subject: "courier-a", issuer: ISS };
const B: CourierRef = { subject: "courier-b", issuer: ISS };

let arrival = 0;
function ev(type: ShipmentEventType, minutes: number, courier: CourierRef | null = null, depot: string | null = null): ShipmentEvent {
	arrival += 1;
	return { shipmentId: "SF1", n: arrival, type, courier, depot, at: T0 + minutes * MIN };
}

/** The open/closed state of each leg, compactly: kind, holder, parties, and whether reveals pass at `now`. */
const summary = (legs: readonly Leg[], now: number) =>
	legs.map((leg) => `${leg.kind}:${leg.courier?.subject ?? "-"}@${leg.depot ?? "-"}:${leg.parties}:${isOpen(leg, now) ? "open" : "closed"}`);

describe("DESIGN's event table, event by event", () => {
	it("out_for_delivery opens the recipient's delivery leg held by that courier", () => {
		const legs = legsOf([ev("out_for_delivery", 0, A, "D1")], GRACE);
		expect(summary(legs, T0 + 1)).toEqual(["delivery:courier-a@D1:recipient:open"]);
		expect(legs[0]).toMatchObject({ openedAt: T0, closedAt: null, closeAfter: null, at: T0 });
	});

	it("a second out_for_delivery for another courier moves the leg: the first holding closes at once, no grace", () => {
		const legs = legsOf([ev("out_for_delivery", 0, A, "D1"), ev("out_for_delivery", 10, B)], GRACE);
		expect(summary(legs, T0 + 10 * MIN)).toEqual(["delivery:courier-a@D1:recipient:closed", "delivery:courier-b@D1:recipient:open"]);
		expect(legs[0]).toMatchObject({ closedAt: T0 + 10 * MIN, closeAfter: T0 + 10 * MIN });
	});

	it("the same courier told again keeps one leg", () => {
		const legs = legsOf([ev("out_for_delivery", 0, A), ev("out_for_delivery", 5, A, "D2")], GRACE);
		expect(summary(legs, T0 + 6 * MIN)).toEqual(["delivery:courier-a@D2:recipient:open"]);
		expect(legs[0]?.at).toBe(T0 + 5 * MIN);
	});

	it("delivery_attempted keeps the leg open", () => {
		const legs = legsOf([ev("out_for_delivery", 0, A), ev("delivery_attempted", 60)], GRACE);
		expect(summary(legs, T0 + 10 * 60 * MIN)).toEqual(["delivery:courier-a@-:recipient:open"]);
		expect(legs[0]?.at).toBe(T0 + 60 * MIN);
	});

	it("delivered closes the delivery leg after the grace period", () => {
		const legs = legsOf([ev("out_for_delivery", 0, A), ev("delivered", 60)], GRACE);
		expect(legs[0]).toMatchObject({ closedAt: T0 + 60 * MIN, closeAfter: T0 + 90 * MIN });
		expect(isOpen(legs[0] as Leg, T0 + 90 * MIN - 1)).toBe(true);
		expect(isOpen(legs[0] as Leg, T0 + 90 * MIN)).toBe(false);
	});

	it("pickup_scheduled / picked_up open and close (after grace) the sender's pickup leg", () => {
		const opened = legsOf([ev("pickup_scheduled", 0, A)], GRACE);
		expect(summary(opened, T0)).toEqual(["pickup:courier-a@-:sender:open"]);
		const closed = legsOf([ev("pickup_scheduled", 0, A), ev("picked_up", 20)], GRACE);
		expect(closed[0]).toMatchObject({ closedAt: T0 + 20 * MIN, closeAfter: T0 + 50 * MIN });
	});

	it("return_started / returned open and close (after grace) a return leg over both parties, with or without a courier", () => {
		expect(summary(legsOf([ev("return_started", 0, null, "D1")], GRACE), T0)).toEqual(["return:-@D1:both:open"]);
		const legs = legsOf([ev("return_started", 0, B), ev("returned", 30)], GRACE);
		expect(summary(legs, T0 + 31 * MIN)).toEqual(["return:courier-b@-:both:open"]);
		expect(legs[0]).toMatchObject({ closedAt: T0 + 30 * MIN, closeAfter: T0 + 60 * MIN });
	});

	it("cancelled closes every leg of the shipment at once, no grace", () => {
		const legs = legsOf([ev("out_for_delivery", 0, A), ev("pickup_scheduled", 1, B), ev("return_started", 2, A), ev("cancelled", 10)], GRACE);
		expect(legs.map((leg) => [leg.kind, leg.closedAt, leg.closeAfter])).toEqual([
			["delivery", T0 + 10 * MIN, T0 + 10 * MIN],
			["pickup", T0 + 10 * MIN, T0 + 10 * MIN],
			["return", T0 + 10 * MIN, T0 + 10 * MIN],
		]);
	});

	it("cancelled also ends the grace of a leg closed just before", () => {
		const legs = legsOf([ev("out_for_delivery", 0, A), ev("delivered", 10), ev("cancelled", 20)], GRACE);
		expect(legs[0]).toMatchObject({ closedAt: T0 + 10 * MIN, closeAfter: T0 + 20 * MIN, at: T0 + 20 * MIN });
		// A leg whose grace already ran out keeps its times.
		const done = legsOf([ev("out_for_delivery", 0, A), ev("delivered", 10), ev("cancelled", 60)], GRACE);
		expect(done[0]).toMatchObject({ closeAfter: T0 + 40 * MIN, at: T0 + 10 * MIN });
	});

	it("a closing event without an open leg changes nothing", () => {
		for (const type of ["delivered", "delivery_attempted", "picked_up", "returned", "cancelled"] as const) {
			expect(applyEvent([], ev(type, 0), GRACE)).toEqual([]);
		}
	});
});

describe("late and out-of-order events: the later `at` wins", () => {
	it("delivered arriving before its out_for_delivery still closes the leg", () => {
		const legs = legsOf([ev("delivered", 60), ev("out_for_delivery", 0, A)], GRACE);
		expect(legs[0]).toMatchObject({ courier: A, closedAt: T0 + 60 * MIN, closeAfter: T0 + 90 * MIN });
	});

	it("an old out_for_delivery arriving after a re-route does not move the leg back", () => {
		const legs = legsOf([ev("out_for_delivery", 10, B), ev("out_for_delivery", 0, A)], GRACE);
		expect(summary(legs, T0 + 11 * MIN)).toEqual(["delivery:courier-a@-:recipient:closed", "delivery:courier-b@-:recipient:open"]);
	});

	it("an old cancelled does not close a leg opened after it", () => {
		const legs = legsOf([ev("out_for_delivery", 20, A), ev("cancelled", 5)], GRACE);
		expect(summary(legs, T0 + 21 * MIN)).toEqual(["delivery:courier-a@-:recipient:open"]);
	});

	const eventArb = fc.record({
		type: fc.constantFrom(...SHIPMENT_EVENT_TYPES),
		courier: fc.constantFrom(A, B, null),
		depot: fc.constantFrom("D1", "D2", null),
	});

	it("legs depend only on the events, never on the order they arrived in (property)", () => {
		fc.assert(
			fc.property(
				fc.array(eventArb, { minLength: 1, maxLength: 12 }).chain((events) =>
					fc.tuple(
						fc.constant(events),
						fc.shuffledSubarray(
							events.map((_, i) => i),
							{ minLength: events.length, maxLength: events.length },
						),
					),
				),
				([events, order]) => {
					// Distinct times (`at` = index): arrival order (n) is only a tie-break, so it must not matter here.
					const stored = events.map((event, i): ShipmentEvent => ({ shipmentId: "SF1", n: i, ...event, at: T0 + i * MIN }));
					const arrived = order.map((index, position) => ({ ...(stored[index] as ShipmentEvent), n: position }));
					expect(legsOf(arrived, GRACE)).toEqual(legsOf(stored, GRACE));
				},
			),
		);
	});

	it("an event older than every other never changes who holds the work in progress of a kind later events touched (property)", () => {
		fc.assert(
			fc.property(fc.array(eventArb, { minLength: 1, maxLength: 10 }), eventArb, (events, late) => {
				const stored = events.map((event, i): ShipmentEvent => ({ shipmentId: "SF1", n: i, ...event, at: T0 + (i + 1) * MIN }));
				const before = legsOf(stored, GRACE);
				const after = legsOf([...stored, { shipmentId: "SF1", n: events.length, ...late, at: T0 }], GRACE);
				// Who holds the work in progress of each kind. (A late event may add a past holding still in its grace:
				// that work did happen.)
				const holders = (legs: Leg[]) => [
					...new Set(
						legs
							.filter((leg) => leg.closedAt === null && before.some((touched) => touched.kind === leg.kind))
							.map((leg) => `${leg.kind}:${leg.courier?.subject ?? "-"}`)
							.sort(),
					),
				];
				expect(holders(after)).toEqual(holders(before));
			}),
		);
	});
});

describe("legGate: purpose × role × leg", () => {
	const employee = (role: Role, subject = "courier-a", depot = "D1"): EmployeePrincipal => ({
		kind: "employee",
		role,
		subject,
		issuer: ISS,
		depot,
		scopes: new Set(["reveal"]),
	});
	const service: Principal = { kind: "service", subject: "notify-svc", issuer: ISS, scopes: new Set(["reveal"]) };
	const record = (party: Party) => ({ party, depot: "D1", courier: "courier-a", courierIssuer: ISS });
	const NOW = T0 + 60 * MIN;
	const gate = (principal: Principal, party: Party, legs: Leg[], purpose: Purpose, extra: { caseId?: string; policy?: LegPolicy } = {}): LegDecision =>
		legGate({ principal, record: record(party), legs, purpose, caseId: extra.caseId, policy: extra.policy ?? BUILT_IN_LEG_POLICY, now: NOW });
	const openLegs = (type: ShipmentEventType, courier: CourierRef | null, depot: string | null = null) => legsOf([ev(type, 0, courier, depot)], GRACE);

	/**
	 * Written out by hand from DESIGN: with one open leg of each kind held by courier-a at D1, who may
	 * reveal which party for which purpose (r = recipient, s = sender); customer_service here has a case.
	 */
	const TABLE: Record<string, Record<"delivery" | "pickup" | "return", Record<Purpose, string>>> = {
		courier: {
			delivery: { delivery: "r", pickup: "", return: "", customer_service: "rs", notify: "" },
			pickup: { delivery: "", pickup: "s", return: "", customer_service: "rs", notify: "" },
			return: { delivery: "", pickup: "", return: "rs", customer_service: "rs", notify: "" },
		},
		clerk: {
			delivery: { delivery: "r", pickup: "", return: "", customer_service: "rs", notify: "" },
			pickup: { delivery: "", pickup: "s", return: "", customer_service: "rs", notify: "" },
			return: { delivery: "", pickup: "", return: "rs", customer_service: "rs", notify: "" },
		},
		supervisor: {
			delivery: { delivery: "r", pickup: "", return: "", customer_service: "rs", notify: "" },
			pickup: { delivery: "", pickup: "s", return: "", customer_service: "rs", notify: "" },
			return: { delivery: "", pickup: "", return: "rs", customer_service: "rs", notify: "" },
		},
	};
	const OPENER = { delivery: "out_for_delivery", pickup: "pickup_scheduled", return: "return_started" } as const;
	const cases: [string, Role, "delivery" | "pickup" | "return", Purpose, Party, boolean][] = [];
	for (const role of ["courier", "clerk", "supervisor"] as const) {
		for (const kind of ["delivery", "pickup", "return"] as const) {
			for (const purpose of PURPOSES) {
				if (purpose === "notify") continue;
				for (const party of ["recipient", "sender"] as const) {
					cases.push([
						`${role} with an open ${kind} leg: ${purpose} ${party}`,
						role,
						kind,
						purpose,
						party,
						TABLE[role]?.[kind][purpose].includes(party[0] as string) ?? false,
					]);
				}
			}
		}
	}
	it.each(cases)("%s", (_, role, kind, purpose, party, ok) => {
		const decision = gate(employee(role), party, openLegs(OPENER[kind], A, "D1"), purpose, { caseId: "CASE-1" });
		expect(decision.ok).toBe(ok);
	});

	it("a courier's leg is held by the pair: the same sub under another issuer holds nothing", () => {
		const legs = openLegs("out_for_delivery", { subject: "courier-a", issuer: "https://other.test" });
		expect(gate(employee("courier"), "recipient", legs, "delivery")).toEqual({ ok: false, reason: "no_open_leg" });
	});

	it("another courier of the same depot holds nothing; clerks and supervisors of another depot neither", () => {
		const legs = openLegs("out_for_delivery", A, "D1");
		expect(gate(employee("courier", "courier-b"), "recipient", legs, "delivery")).toEqual({ ok: false, reason: "no_open_leg" });
		expect(gate(employee("clerk", "clerk-9", "D2"), "recipient", legs, "delivery")).toEqual({ ok: false, reason: "no_open_leg" });
		expect(gate(employee("supervisor", "sup-9", "D2"), "recipient", legs, "delivery")).toEqual({ ok: false, reason: "no_open_leg" });
	});

	it("a leg without a depot is at the record's depot", () => {
		expect(gate(employee("clerk", "clerk-1"), "recipient", openLegs("out_for_delivery", A), "delivery")).toEqual({ ok: true });
	});

	it("notify needs an open leg covering the party, whoever holds it", () => {
		expect(gate(service, "recipient", openLegs("out_for_delivery", B), "notify")).toEqual({ ok: true });
		expect(gate(service, "sender", openLegs("out_for_delivery", B), "notify")).toEqual({ ok: false, reason: "no_open_leg" });
		expect(gate(service, "sender", openLegs("return_started", null), "notify")).toEqual({ ok: true });
		expect(gate(service, "recipient", [], "notify")).toEqual({ ok: false, reason: "no_open_leg" });
	});

	it("customer_service needs a case id, not a leg", () => {
		expect(gate(employee("clerk"), "recipient", [], "customer_service")).toEqual({ ok: false, reason: "case_required" });
		expect(gate(employee("clerk"), "recipient", [], "customer_service", { caseId: "  " })).toEqual({ ok: false, reason: "case_required" });
		expect(gate(employee("clerk"), "recipient", [], "customer_service", { caseId: "CASE-7" })).toEqual({ ok: true });
	});

	it("no leg ever: no_open_leg (probing)", () => {
		expect(gate(employee("courier"), "recipient", [], "delivery")).toEqual({ ok: false, reason: "no_open_leg" });
	});

	it("a leg that moved away from the asker within the window is stale; the new holder passes", () => {
		const legs = legsOf([ev("out_for_delivery", 0, A), ev("out_for_delivery", 50, B)], GRACE);
		expect(gate(employee("courier", "courier-a"), "recipient", legs, "delivery")).toEqual({ ok: false, reason: "stale" });
		expect(gate(employee("courier", "courier-b"), "recipient", legs, "delivery")).toEqual({ ok: true });
	});

	it("a leg closed within the window is stale; past the window it is no_open_leg", () => {
		const legs = legsOf([ev("out_for_delivery", -600, A), ev("delivered", -500)], GRACE);
		const policy = { ...BUILT_IN_LEG_POLICY, staleWindowSeconds: 12 * 3600 };
		expect(gate(employee("courier"), "recipient", legs, "delivery", { policy })).toEqual({ ok: false, reason: "stale" });
		// closeAfter = T0 - 470 min; NOW = T0 + 60 min: 530 minutes ago.
		expect(gate(employee("courier"), "recipient", legs, "delivery", { policy: { ...policy, staleWindowSeconds: 529 * 60 } })).toEqual({
			ok: false,
			reason: "no_open_leg",
		});
		expect(gate(employee("courier"), "recipient", legs, "delivery", { policy: { ...policy, staleWindowSeconds: 531 * 60 } })).toEqual({
			ok: false,
			reason: "stale",
		});
	});

	it("within grace after delivered the leg still reveals", () => {
		const legs = legsOf([ev("out_for_delivery", 0, A), ev("delivered", 40)], GRACE);
		expect(gate(employee("courier"), "recipient", legs, "delivery")).toEqual({ ok: true });
	});

	it("report-only: the would-be refusal is reported and the ask passes; off: no check at all", () => {
		const reportOnly = { ...BUILT_IN_LEG_POLICY, requireActiveLeg: false, reportOnly: true };
		expect(gate(employee("courier"), "recipient", [], "delivery", { policy: reportOnly })).toEqual({ ok: true, wouldRefuse: "no_open_leg" });
		expect(gate(employee("courier"), "recipient", openLegs("out_for_delivery", A), "delivery", { policy: reportOnly })).toEqual({ ok: true });
		const off = { ...BUILT_IN_LEG_POLICY, requireActiveLeg: false };
		expect(gate(employee("courier"), "recipient", [], "delivery", { policy: off })).toEqual({ ok: true });
		// A case id is asked of every customer_service reveal, whatever the leg requirement.
		expect(gate(employee("courier"), "recipient", [], "customer_service", { policy: off })).toEqual({ ok: false, reason: "case_required" });
	});

	it("a courier never passes on a leg held by someone else, whatever the events (property)", () => {
		fc.assert(
			fc.property(
				fc.array(fc.record({ type: fc.constantFrom(...SHIPMENT_EVENT_TYPES), minutes: fc.integer({ min: -600, max: 59 }) }), { maxLength: 10 }),
				fc.constantFrom<Purpose>("delivery", "pickup", "return"),
				fc.constantFrom<Party>("recipient", "sender"),
				(events, purpose, party) => {
					const legs = legsOf(
						events.map((event) => ev(event.type, event.minutes, B, "D1")),
						GRACE,
					);
					expect(gate(employee("courier", "courier-a"), party, legs, purpose).ok).toBe(false);
				},
			),
		);
	});
});

describe("leg policy", () => {
	const row = (layer: LegPolicyRow["layer"], target: string, mode: LegPolicyRow["mode"], values: Partial<LegPolicyRow>): LegPolicyRow => ({
		layer,
		target_issuer: "",
		target,
		mode,
		require_active_leg: null,
		leg_grace_seconds: null,
		stale_window_seconds: null,
		case_limit: null,
		...values,
	});
	const courier = { kind: "employee" as const, issuer: ISS, subject: "courier-a", role: "courier", depot: "D1" };
	const DEFAULT = row("default", "", "enforce", { require_active_leg: 1, leg_grace_seconds: 1800, stale_window_seconds: 43_200 });

	it("the migration's defaults: required, 30 minutes' grace, 12 hours' stale window, no case limit", () => {
		expect(resolveLegPolicy([DEFAULT], courier)).toEqual(BUILT_IN_LEG_POLICY);
		expect(resolveLegPolicy([], courier)).toEqual(BUILT_IN_LEG_POLICY);
	});

	it("a report-only layer over an enforcing 0 makes the requirement report-only; it never switches an enforced one off", () => {
		const rollout = [row("default", "", "enforce", { require_active_leg: 0 }), row("depot", "D1", "report-only", { require_active_leg: 1 })];
		expect(resolveLegPolicy(rollout, courier)).toMatchObject({ requireActiveLeg: false, reportOnly: true });
		expect(resolveLegPolicy([DEFAULT, row("depot", "D1", "report-only", { require_active_leg: 0 })], courier)).toMatchObject({
			requireActiveLeg: true,
			reportOnly: false,
		});
	});

	it("the most specific enforcing layer wins, per column", () => {
		const rows = [DEFAULT, row("role", "courier", "enforce", { case_limit: 5 }), row("depot", "D1", "enforce", { stale_window_seconds: 3600 })];
		expect(resolveLegPolicy(rows, courier)).toEqual({ ...BUILT_IN_LEG_POLICY, staleWindowSeconds: 3600, caseLimit: 5 });
	});

	it("grace is the depot's, else the default's", () => {
		const rows = [DEFAULT, row("depot", "D1", "enforce", { leg_grace_seconds: 600 })];
		expect(graceSecondsAt(rows, "D1")).toBe(600);
		expect(graceSecondsAt(rows, "D2")).toBe(1800);
		expect(graceSecondsAt([], null)).toBe(1800);
	});
});
