import { issuerAlias, type TrustedIssuerConfig } from "../config";

/**
 * The trusted issuers as people and callers name them. A principal is the pair (issuer, subject)
 * (DESIGN "Identity"); where a caller names only a subject (a courier service assigning a parcel,
 * an ops path), the subject is the employee issuer's. Stored rows written before issuers were
 * recorded carry the issuer '' and mean that issuer too (migration 0006).
 */
export interface IssuerDirectory {
	/** The `iss` employees sign in with: the entry marked `employees`, else the first. */
	readonly employeeIssuer: string;
	/** The `iss` an alias or an `iss` names, or null when it names no trusted issuer. */
	resolve(aliasOrIss: string): string | null;
	/** The readable alias of a trusted `iss` (the `iss` itself for one no longer trusted). */
	aliasOf(iss: string): string;
	/** A stored issuer as it is meant: '' (a row from before issuers were recorded) is the employee issuer. */
	stored(issuer: string | null): string;
}

const built = new WeakMap<TrustedIssuerConfig[], IssuerDirectory>();

export function issuerDirectory(config: TrustedIssuerConfig[]): IssuerDirectory {
	let directory = built.get(config);
	if (!directory) {
		const employeeIssuer = (config.find((entry) => entry.employees) ?? config[0])?.iss;
		if (employeeIssuer === undefined) throw new Error("TRUSTED_ISSUERS is empty");
		const byAlias = new Map(config.map((entry) => [issuerAlias(entry), entry.iss]));
		const aliases = new Map(config.map((entry) => [entry.iss, issuerAlias(entry)]));
		directory = {
			employeeIssuer,
			resolve: (name) => (aliases.has(name) ? name : (byAlias.get(name) ?? null)),
			aliasOf: (iss) => aliases.get(iss) ?? iss,
			stored: (issuer) => (issuer === null || issuer === "" ? employeeIssuer : issuer),
		};
		built.set(config, directory);
	}
	return directory;
}
