import { issuerDirectory } from "../auth/issuer-directory";
import { trustedIssuersConfig } from "../config";
import { AlertStore } from "../detection/alert-store";
import type { Env } from "../env";
import { PolicyStore } from "../limits/policy-store";
import { PrincipalStatusStore } from "../limits/principal-status-store";
import { recordStoreFor } from "../records/record-store-for";

/** Records given their courier's issuer per run; the rest wait for the next minute. */
const RECORDS_PER_RUN = 5_000;

/**
 * Migration 0006 could not know TRUSTED_ISSUERS, so rows written before it name their person with
 * the issuer '' (the employee issuer, not yet written down). This writes that issuer's `iss` in,
 * a bounded batch per run, so a later change of which issuer is marked for employees cannot move
 * old rows to other people. Each table is done when it has no '' left; a run then changes nothing.
 */
export async function recordEmployeeIssuer(env: Env): Promise<Record<string, number>> {
	const employeeIssuer = issuerDirectory(trustedIssuersConfig(env)).employeeIssuer;
	return {
		records: await recordStoreFor(env).recordCourierIssuer(employeeIssuer, RECORDS_PER_RUN),
		policies: await new PolicyStore(env.DB).recordEmployeeIssuer(employeeIssuer),
		statuses: await new PrincipalStatusStore(env.DB).recordEmployeeIssuer(employeeIssuer),
		alerts: await new AlertStore(env.DB).recordEmployeeIssuer(employeeIssuer),
	};
}
