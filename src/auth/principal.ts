export const SCOPES = ["records:write", "records:read", "records:delete", "reveal", "ops"] as const;
export type Scope = (typeof SCOPES)[number];

/** The kinds of principal the vault counts and may suspend: each has a limiter of its own. */
export const PRINCIPAL_KINDS = ["employee", "service"] as const;

export const ROLES = ["courier", "clerk", "supervisor"] as const;
export type Role = (typeof ROLES)[number];

interface PrincipalBase {
	/** The token's `sub`: a service name, or the employee id that records' `courier` refers to. */
	subject: string;
	issuer: string;
	scopes: ReadonlySet<string>;
}

/** A courier microservice or other machine caller. */
export interface ServicePrincipal extends PrincipalBase {
	kind: "service";
}

/** A depot employee at a terminal: the token carries `role` and `depot`. */
export interface EmployeePrincipal extends PrincipalBase {
	kind: "employee";
	role: Role;
	depot: string;
	/**
	 * The employee's own phone in E.164, from the OIDC `phone_number` claim (OpenID Connect Core 1.0
	 * §5.1), when the token carries one that is E.164: the A side of their calls (DESIGN "Principals
	 * and scopes"). Never logged or audited.
	 */
	phoneNumber?: string;
}

export type Principal = ServicePrincipal | EmployeePrincipal;
