/**
 * What `npm run token` was asked for, checked against what the vault accepts and the demo data
 * holds, before anything is signed: a token the vault would refuse, or one that matches no demo
 * parcel, otherwise only shows up later as a bare 401 or an empty list.
 */
import { ROLES, type Role, SCOPES } from "../../src/auth/principal.ts";
import { normalizePhone } from "../../src/records/phone.ts";
import { COURIERS_PER_DEPOT, DEPOTS, demoCourier } from "./demo-data.ts";
import type { DevTokenOptions } from "./dev-issuer.ts";

export interface TokenArguments {
	sub?: string | undefined;
	scope?: string | undefined;
	role?: string | undefined;
	depot?: string | undefined;
	"any-depot"?: boolean | undefined;
	phone?: string | undefined;
	ttl?: string | undefined;
}

export type TokenRequest = { ok: true; options: DevTokenOptions; warnings: string[] } | { ok: false; errors: string[] };

/** The vault's own bounds (src/auth/verify-bearer.ts): `sub` 1–128 characters, `depot` 1–64. */
const MAX_SUB = 128;
const MAX_DEPOT = 64;
/** The vault refuses a token issued more than 24 hours ago, so a longer life buys nothing. */
const MAX_TTL_SECONDS = 86_400;

export function tokenRequest(args: TokenArguments): TokenRequest {
	const errors: string[] = [];
	const warnings: string[] = [];

	const sub = args.sub ?? "";
	if (sub.length === 0) errors.push("--sub is required: the principal's name (a service name, or an employee id such as courier-ur-ts-01-1).");
	else if (sub.length > MAX_SUB) errors.push(`--sub is ${sub.length} characters; the vault accepts at most ${MAX_SUB}.`);

	// RFC 6749 §3.3: scopes are space-separated; commas are forgiven because they are a common slip.
	const scopes = [...new Set((args.scope ?? "").split(/[\s,]+/).filter(Boolean))];
	const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
	if (unknown.length > 0)
		errors.push(
			`--scope: ${unknown.map((s) => `"${s}"`).join(", ")} ${unknown.length > 1 ? "are not scopes" : "is not a scope"}; the scopes are ${SCOPES.join(", ")}.`,
		);

	const employee = args.role !== undefined || args.depot !== undefined;
	if (args.role !== undefined && args.depot === undefined)
		errors.push("--role needs --depot: the vault refuses an employee token without both (and a service token has neither).");
	if (args.depot !== undefined && args.role === undefined)
		errors.push("--depot needs --role: the vault refuses an employee token without both (and a service token has neither).");
	if (args.role !== undefined && !(ROLES as readonly string[]).includes(args.role))
		errors.push(`--role: "${args.role}" is not a role; the roles are ${ROLES.join(", ")}.`);
	if (args.depot !== undefined) errors.push(...depotErrors(args.depot, args["any-depot"] === true));
	if (args["any-depot"] && args.depot === undefined) warnings.push("--any-depot does nothing without --depot.");

	let phoneNumber: string | undefined;
	if (args.phone !== undefined) {
		const normalized = normalizePhone(args.phone);
		if (normalized === null) errors.push(`--phone: "${args.phone}" is not a phone number; give it in E.164, e.g. +8613812345678.`);
		else phoneNumber = normalized;
		if (!employee) warnings.push("--phone is an employee's own phone (the A side of their calls); a service token does not use it.");
	}

	const ttl = Number(args.ttl ?? "3600");
	if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS)
		errors.push(`--ttl: "${args.ttl}" is not a whole number of seconds from 1 to ${MAX_TTL_SECONDS} (the vault refuses tokens older than a day).`);

	if (errors.length > 0) return { ok: false, errors };

	if (scopes.length === 0) warnings.push("the token carries no scope: every call but the public ones will answer 403.");
	if (employee) {
		// Employee principals reach only the routes open to `reveal` (src/http/auth.ts): other scopes are dead weight.
		if (!scopes.includes("reveal")) warnings.push("an employee token without the reveal scope can neither scan parcels nor reveal: add --scope reveal.");
		const idle = scopes.filter((scope) => scope !== "reveal");
		if (idle.length > 0) warnings.push(`employee tokens use only the reveal scope; ${idle.join(", ")} will open nothing for them.`);
		const hint = courierHint(sub, args.role as Role, args.depot as string);
		if (hint) warnings.push(hint);
	}

	const options: DevTokenOptions = { sub, scope: scopes.join(" "), ttlSeconds: ttl };
	if (args.role !== undefined) options.role = args.role;
	if (args.depot !== undefined) options.depot = args.depot;
	if (phoneNumber !== undefined) options.phoneNumber = phoneNumber;
	return { ok: true, options, warnings };
}

function depotErrors(depot: string, anyDepot: boolean): string[] {
	if (depot.length === 0 || depot.length > MAX_DEPOT) return [`--depot must be 1 to ${MAX_DEPOT} characters.`];
	if (anyDepot || DEPOTS.includes(depot)) return [];
	const sameLetters = DEPOTS.find((known) => known.toLowerCase() === depot.toLowerCase());
	if (sameLetters) return [`--depot: "${depot}" matches no depot; depots are case-sensitive, did you mean ${sameLetters}?`];
	return [`--depot: "${depot}" is not a demo depot (${DEPOTS.join(", ")}); add --any-depot to mint it for a depot of your own data.`];
}

/** A courier sees only parcels assigned to their `sub`: say so when that name holds no demo parcel. */
function courierHint(sub: string, role: Role, depot: string): string | undefined {
	if (role !== "courier" || !DEPOTS.includes(depot)) return undefined;
	const couriers = Array.from({ length: COURIERS_PER_DEPOT }, (_, i) => demoCourier(depot, i + 1));
	if (couriers.includes(sub)) return undefined;
	return `no demo parcel is assigned to courier "${sub}"; ${depot}'s demo couriers are ${couriers[0]} … ${couriers.at(-1)}.`;
}
