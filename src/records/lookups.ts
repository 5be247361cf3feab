import { actorOf } from "../audit/actor";
import type { EmployeePrincipal, Principal } from "../auth/principal";
import { phoneIndexCandidates } from "../crypto/blind-index";
import { ProblemError } from "../http/problem";
import type { Services } from "../http/services";
import { reachLimiter } from "../limits/limiter-client";
import { rateLimitHeaders } from "../limits/rate-limit-headers";
import { legStateFor } from "../shipments/leg-gate";
import { isAssignedTo } from "./assignment";
import { normalizePhone } from "./phone";
import type { RecordView, ShipmentRecordView } from "./schemas";
import type { StoredRecord } from "./store";
import { recordView } from "./view";

const PHONE_LOOKUP_LIMIT = 100;

/** What a lookup found, masked, and the RateLimit-Policy and RateLimit fields of the caller's lookup limits. */
export interface LookupResult {
	records: RecordView[];
	rateLimit: Record<string, string>;
}

/**
 * Counts a lookup in the caller's limiter, after it was read: whether it found anything is part of
 * the decision (a miss), and the records it found go into the caller's per-minute audit entry. A
 * refused lookup is a 429 problem and shows nothing of what was read.
 */
async function countLookup(services: Services, principal: Principal, kind: "phone" | "shipment", found: readonly StoredRecord[], miss: boolean) {
	const policy = await services.policyOf(principal, Date.now());
	const ask = { miss, recordIds: found.map((record) => record.id) };
	const decision = await reachLimiter(() => services.limiter(principal).lookup(kind, ask, policy, actorOf(principal)));
	const headers = rateLimitHeaders(decision.usage);
	if (!decision.granted) {
		const retry = String(decision.retryAfterSeconds ?? 60);
		throw new ProblemError("quota-exceeded", {
			detail:
				decision.refusal === "misses"
					? `Too many of your lookups found nothing of yours; lookups resume in ${retry} s. Check the parcel's waybill number.`
					: `Your lookup limit is reached; try again in ${retry} s.`,
			extensions: { limit: decision.refusal },
			headers: { ...headers, "Retry-After": retry },
		});
	}
	return headers;
}

/** What a shipment lookup found: each record with the caller's work on it, and for an employee whether the shipment is at their depot. */
export interface ShipmentLookupResult {
	records: ShipmentRecordView[];
	/** Employees only: see `shipmentKnownAtDepot`. */
	shipmentKnown?: boolean;
	rateLimit: Record<string, string>;
}

/**
 * Whether a shipment the employee sees none of is still one of their depot's: the terminal then
 * says "not yours" instead of "no such shipment". Safe to tell because it never reaches past the
 * employee's own depot: a parcel held elsewhere reads exactly like a mistyped number, so no one
 * learns from it whether another depot holds a shipment; within the depot, which waybills are
 * there is what its staff sort by hand every day, and the answer carries no contact data (the
 * records stay hidden). A row whose assignment MAC fails reads as nobody's depot, so it does not
 * count. The lookup is still a miss, counted toward the miss limit like any other.
 */
function shipmentKnownAtDepot(employee: EmployeePrincipal, records: readonly StoredRecord[]): boolean {
	return records.some((record) => !record.assignmentForged && record.depot === employee.depot);
}

/**
 * The records of a shipment, masked, each with the caller's work on it (open, closed or no leg of
 * theirs); an employee sees only those assigned to them, and a lookup that finds none of theirs is a miss.
 */
export async function lookupByShipment(services: Services, principal: Principal, shipmentId: string): Promise<ShipmentLookupResult> {
	const { records, legs } = await services.records.findByShipment(shipmentId);
	const visible = principal.kind === "employee" ? records.filter((record) => isAssignedTo(principal, record)) : records;
	const rateLimit = await countLookup(services, principal, "shipment", visible, principal.kind === "employee" && visible.length === 0);
	const now = Date.now();
	return {
		records: visible.map((record) => ({ ...recordView(record), leg: legStateFor({ principal, record, legs, now }) })),
		...(principal.kind === "employee" ? { shipmentKnown: visible.length > 0 || shipmentKnownAtDepot(principal, records) } : {}),
		rateLimit,
	};
}

/** The live records of an exact phone, through the keyed blind index under every key of the ring. */
export async function lookupByPhone(services: Services, principal: Principal, phone: string): Promise<LookupResult> {
	const normalized = normalizePhone(phone);
	// The schemas refuse unnormalizable phones; reaching this is a bug, not bad input.
	if (normalized === null) throw new Error("phone passed validation but does not normalize");
	const found = await services.records.findByPhoneIndex(await phoneIndexCandidates(await services.keyring, normalized), PHONE_LOOKUP_LIMIT);
	const rateLimit = await countLookup(services, principal, "phone", found, false);
	return { records: found.map(recordView), rateLimit };
}
