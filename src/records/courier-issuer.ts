import type { IssuerDirectory } from "../auth/issuer-directory";
import { ProblemError } from "../http/problem";

/**
 * The issuer a courier service means when it assigns a parcel: the one it names (alias or `iss`),
 * or the employee issuer when it names only the courier's `sub` (DESIGN "Identity"). An issuer the
 * vault does not trust is a 422 at `pointer`: a parcel assigned to nobody who can sign in.
 */
export function courierIssuerOf(issuers: IssuerDirectory, named: string | undefined, pointer: string): string {
	if (named === undefined) return issuers.employeeIssuer;
	const iss = issuers.resolve(named);
	if (iss !== null) return iss;
	throw new ProblemError("validation-failed", {
		detail: "courier_issuer names no trusted issuer; use an alias or iss from TRUSTED_ISSUERS, or leave it out for the employee issuer.",
		extensions: { errors: [{ pointer, code: "invalid_value", message: "is not a trusted issuer" }] },
	});
}
