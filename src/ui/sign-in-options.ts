import { issuerAlias, type TrustedIssuerConfig } from "../config";

/** One way to sign in on a page: an issuer of TRUSTED_ISSUERS that has `sign_in`. Public values only. */
export interface SignInOption {
	iss: string;
	label: string;
	clientId: string;
	authorizationEndpoint: string;
	tokenEndpoint: string;
}

/** The issuers the pages offer, in configuration order. */
export function signInOptions(config: TrustedIssuerConfig[]): SignInOption[] {
	return config.flatMap((issuer) =>
		issuer.sign_in
			? [
					{
						iss: issuer.iss,
						label: issuer.sign_in.label ?? issuerAlias(issuer),
						clientId: issuer.sign_in.client_id,
						authorizationEndpoint: issuer.sign_in.authorization_endpoint,
						tokenEndpoint: issuer.sign_in.token_endpoint,
					},
				]
			: [],
	);
}
