import { z } from "zod";
import { issuerDirectory } from "../auth/issuer-directory";
import { SCOPES, type ServicePrincipal } from "../auth/principal";
import { trustedIssuersConfig } from "../config";
import type { Env } from "../env";
import { ProblemError } from "../http/problem";
import { issuerName, subject } from "../records/schemas";

/**
 * What a calling worker's service binding says about it (`props` in its wrangler.toml): who it is,
 * under which trusted issuer, and what it may do. Props are set by whoever deploys the calling
 * worker in this account, not by a request: they stand where a bearer token stands over HTTP.
 */
export interface CourierProps {
	/** A trusted issuer of TRUSTED_ISSUERS, by alias or `iss`: the namespace of `subject` (DESIGN "Identity"). */
	issuer: string;
	/** The service's name, as a token's `sub` would carry it. */
	subject: string;
	/** The scopes it holds, as a token's `scope` would list them. */
	scopes: string[];
}

const Props = z.strictObject({
	issuer: issuerName(),
	subject: subject(),
	scopes: z.array(z.enum(SCOPES)).max(SCOPES.length),
});

/**
 * The service principal a binding's props name, or 401: props that are missing or malformed, or
 * an issuer that is not trusted, admit no one (fail closed). Like a rejected bearer token, the
 * caller is told one thing and the reason is logged.
 */
export function callerOf(env: Env, props: unknown, where: string): ServicePrincipal {
	const parsed = Props.safeParse(props);
	const issuer = parsed.success ? issuerDirectory(trustedIssuersConfig(env)).resolve(parsed.data.issuer) : null;
	if (!parsed.success || issuer === null) {
		console.warn(JSON.stringify({ event: "rpc_rejected", reason: parsed.success ? "untrusted_issuer" : "malformed_props", path: where }));
		throw new ProblemError("unauthorized", {
			detail:
				'The service binding\'s props must name the caller: {issuer: a trusted issuer of TRUSTED_ISSUERS, subject, scopes: [...]} (README "Workers RPC").',
		});
	}
	return { kind: "service", issuer, subject: parsed.data.subject, scopes: new Set(parsed.data.scopes) };
}
