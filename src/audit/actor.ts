import type { Principal } from "../auth/principal";
import type { AuditActor } from "./entry";

export function actorOf(principal: Principal): AuditActor {
	return principal.kind === "employee"
		? { subject: principal.subject, issuer: principal.issuer, role: principal.role, depot: principal.depot }
		: { subject: principal.subject, issuer: principal.issuer };
}
