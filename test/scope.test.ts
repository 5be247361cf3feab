import { describe, expect, it } from "vitest";
import type { EmployeePrincipal, Principal, Role } from "../src/auth/principal";
import type { ContactField } from "../src/crypto/envelope";
import type { Party } from "../src/records/store";
import { PURPOSES, type Purpose, revealScope } from "../src/reveals/scope";

/**
 * The whole scope matrix, written out by hand from DESIGN's purpose table: for each purpose and
 * party, the fields an assigned employee may reveal (n = name, p = phone, a = address).
 */
const EMPLOYEE_TABLE: Record<Purpose, Record<Party, string>> = {
	delivery: { recipient: "npa", sender: "" },
	pickup: { recipient: "", sender: "npa" },
	return: { recipient: "npa", sender: "npa" },
	customer_service: { recipient: "p", sender: "p" },
	notify: { recipient: "", sender: "" },
};
const SERVICE_TABLE: Record<Purpose, Record<Party, string>> = {
	delivery: { recipient: "", sender: "" },
	pickup: { recipient: "", sender: "" },
	return: { recipient: "", sender: "" },
	customer_service: { recipient: "", sender: "" },
	notify: { recipient: "p", sender: "p" },
};
const LETTER: Record<ContactField, string> = { name: "n", phone: "p", address: "a" };
const FIELDS: ContactField[] = ["name", "phone", "address"];
const PARTIES: Party[] = ["sender", "recipient"];
const ROLES: Role[] = ["courier", "clerk", "supervisor"];

const employee = (role: Role): EmployeePrincipal => ({ kind: "employee", role, subject: "emp-1", issuer: "iss", depot: "D1", scopes: new Set(["reveal"]) });
const service: Principal = { kind: "service", subject: "notify-svc", issuer: "iss", scopes: new Set(["reveal"]) };

/** A record assigned (or not) to `employee(role)`: couriers by courier id, the others by depot. */
function recordFor(role: Role, party: Party, assigned: boolean) {
	if (role === "courier") return { party, depot: "D1", courier: assigned ? "emp-1" : "emp-2", courierIssuer: "iss" };
	return { party, depot: assigned ? "D1" : "D2", courier: "emp-1", courierIssuer: "iss" };
}

describe("reveal scope: role × purpose × party × field", () => {
	const cases: [string, Principal, ReturnType<typeof recordFor>, Purpose, ContactField, boolean][] = [];
	for (const role of ROLES) {
		for (const purpose of PURPOSES) {
			for (const party of PARTIES) {
				for (const field of FIELDS) {
					const permitted = EMPLOYEE_TABLE[purpose][party].includes(LETTER[field]);
					cases.push([`${role} assigned ${purpose} ${party}.${field}`, employee(role), recordFor(role, party, true), purpose, field, permitted]);
					cases.push([`${role} unassigned ${purpose} ${party}.${field}`, employee(role), recordFor(role, party, false), purpose, field, false]);
				}
			}
		}
	}
	for (const purpose of PURPOSES) {
		for (const party of PARTIES) {
			for (const field of FIELDS) {
				cases.push([
					`service ${purpose} ${party}.${field}`,
					service,
					{ party, depot: "D9", courier: null, courierIssuer: null } as never,
					purpose,
					field,
					SERVICE_TABLE[purpose][party].includes(LETTER[field]),
				]);
			}
		}
	}

	it("covers every combination", () => {
		expect(cases).toHaveLength(ROLES.length * PURPOSES.length * PARTIES.length * FIELDS.length * 2 + PURPOSES.length * PARTIES.length * FIELDS.length);
	});

	it.each(cases)("%s", (_name, principal, record, purpose, field, permitted) => {
		expect(revealScope(principal, record, purpose, [field]).allowed).toBe(permitted);
	});
});

describe("reveal scope: reasons and whole asks", () => {
	it("an unassigned record is out of scope whatever the purpose states", () => {
		for (const purpose of ["delivery", "pickup", "return", "customer_service"] as const) {
			expect(revealScope(employee("courier"), { party: "recipient", depot: "D1", courier: "someone-else", courierIssuer: "iss" }, purpose, ["phone"])).toEqual({
				allowed: false,
				reason: "not_assigned",
			});
		}
	});

	it("asking for one field too many refuses the whole ask instead of trimming it", () => {
		expect(
			revealScope(employee("clerk"), { party: "recipient", depot: "D1", courier: null, courierIssuer: null }, "customer_service", ["phone", "name"]),
		).toEqual({
			allowed: false,
			reason: "field_not_in_purpose",
		});
	});

	it("a party the purpose does not cover is named as such", () => {
		expect(revealScope(employee("courier"), { party: "sender", depot: "D1", courier: "emp-1", courierIssuer: "iss" }, "delivery", ["phone"])).toEqual({
			allowed: false,
			reason: "party_not_in_purpose",
		});
	});

	it("employees cannot state notify; services can state nothing else", () => {
		expect(revealScope(employee("supervisor"), { party: "recipient", depot: "D1", courier: null, courierIssuer: null }, "notify", ["phone"])).toEqual({
			allowed: false,
			reason: "purpose_not_for_principal",
		});
		expect(revealScope(service, { party: "recipient", depot: "D1", courier: null, courierIssuer: null }, "delivery", ["phone"])).toEqual({
			allowed: false,
			reason: "purpose_not_for_principal",
		});
	});

	it("a courier's parcel that moved to another depot is out of their reach before anyone reassigns the courier", () => {
		expect(revealScope(employee("courier"), { party: "recipient", depot: "D2", courier: "emp-1", courierIssuer: "iss" }, "delivery", ["phone"])).toEqual({
			allowed: false,
			reason: "not_assigned",
		});
	});

	it("an employee stating notify for someone else's parcel is out of scope, not merely the wrong purpose", () => {
		expect(revealScope(employee("clerk"), { party: "recipient", depot: "D9", courier: null, courierIssuer: null }, "notify", ["phone"])).toEqual({
			allowed: false,
			reason: "not_assigned",
		});
	});

	it('another issuer\'s employee with the same sub is someone else (DESIGN "Identity")', () => {
		expect(revealScope(employee("courier"), { party: "recipient", depot: "D1", courier: "emp-1", courierIssuer: "other-iss" }, "delivery", ["phone"])).toEqual({
			allowed: false,
			reason: "not_assigned",
		});
	});

	it("an unassigned courier record (no courier yet) is nobody's", () => {
		expect(revealScope(employee("courier"), { party: "recipient", depot: "D1", courier: null, courierIssuer: null }, "delivery", ["phone"]).allowed).toBe(
			false,
		);
	});
});
