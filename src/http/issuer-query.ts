import { z } from "@hono/zod-openapi";
import type { IssuerDirectory } from "../auth/issuer-directory";
import { ProblemError } from "./problem";

/** `?issuer=`: which trusted issuer a path's subject belongs to, by alias or `iss`. */
export const issuerQueryField = () =>
	z.string().min(1).max(256).optional().openapi({
		description:
			'The subject\'s issuer, by alias (as listings show it in `issuer_alias`) or `iss`. Default: the issuer TRUSTED_ISSUERS marks for employees, else its first entry (DESIGN "Identity").',
	});

/** The `iss` a `?issuer=` names (the employee issuer when absent); 422 when it names no trusted issuer. */
export function issuerOf(issuers: IssuerDirectory, named: string | undefined): string {
	if (named === undefined) return issuers.employeeIssuer;
	const iss = issuers.resolve(named);
	if (iss !== null) return iss;
	throw new ProblemError("validation-failed", {
		detail: "issuer names no trusted issuer; use an alias from GET /v1/employees or an iss from TRUSTED_ISSUERS.",
		extensions: { errors: [{ pointer: "/issuer", code: "invalid_value", message: "is not a trusted issuer" }] },
	});
}

/** An employee layer's target issuer; other layers name no person and take none. */
export function layerIssuer(issuers: IssuerDirectory, layer: string, named: string | undefined): string {
	if (layer === "employee") return issuerOf(issuers, named);
	if (named === undefined) return "";
	throw new ProblemError("validation-failed", {
		detail: "Only employee layers name an issuer: drop `issuer` for a role or depot layer.",
		extensions: { errors: [{ pointer: "/issuer", code: "custom", message: "only employee layers take an issuer" }] },
	});
}
