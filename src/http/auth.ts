import type { MiddlewareHandler } from "hono";
import { IssuerUnavailableError, TokenRejectedError } from "../auth/errors";
import type { Principal, Scope } from "../auth/principal";
import { trustedIssuer, trustedIssuers } from "../auth/trusted-issuers";
import { ACCESS_HEADER, verifyAccessAssertion } from "../auth/verify-access";
import { verifyBearer } from "../auth/verify-bearer";
import { opsAccessConfig, trustedIssuersConfig } from "../config";
import type { AppEnv } from "./app-env";
import { ProblemError } from "./problem";

const REALM = 'realm="contact-vault"';

/**
 * Which principal kinds a route admits, and with which scopes (any one of them suffices). A kind
 * that is absent is refused whatever its token's scopes: an employee token that an issuer
 * over-scoped with `records:read` still cannot search records.
 */
export type Admits = Partial<Record<Principal["kind"], Scope[]>>;

/**
 * Authenticates the bearer token and checks it against `admits`. The caller learns only 401
 * (who are you) or 403 (not allowed), with RFC 6750 §3 challenges; the precise reason is logged.
 */
export function authorize(admits: Admits): MiddlewareHandler<AppEnv> & { admits: Admits } {
	// `admits` rides on the handler so the OpenAPI document states each operation's scopes from it.
	const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
		const issuers = trustedIssuers(trustedIssuersConfig(c.env));
		const header = c.req.header("Authorization");
		const assertion = c.req.header(ACCESS_HEADER);
		const match = header ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header) : null;
		let principal: AppEnv["Variables"]["principal"];
		try {
			if (!header && assertion && c.env.OPS_ACCESS) {
				principal = await viaAccess(c.req.header("Sec-Fetch-Site"), assertion, c.env);
			} else {
				if (!match?.[1]) throw new TokenRejectedError(header ? "malformed" : "missing");
				principal = await verifyBearer(match[1], issuers, new Date());
			}
		} catch (error) {
			if (error instanceof IssuerUnavailableError) {
				console.error(JSON.stringify({ event: "issuer_unavailable", issuer: error.issuer }));
				throw new ProblemError("dependency-unavailable", { detail: "The token issuer's keys could not be fetched; try again shortly." });
			}
			if (!(error instanceof TokenRejectedError)) throw error;
			console.warn(JSON.stringify({ event: "auth_rejected", reason: error.reason, claim: error.claim, path: c.req.path }));
			throw new ProblemError("unauthorized", {
				// One text for every reason: the caller never learns which check failed.
				detail: "A valid bearer token is required: send Authorization: Bearer with a current token from a trusted issuer (get a new one if it expired).",
				headers: { "WWW-Authenticate": error.reason === "missing" ? `Bearer ${REALM}` : `Bearer ${REALM}, error="invalid_token"` },
			});
		}
		const refused = scopeRefusal(admits, principal, c.req.path);
		if (refused) throw refused;
		c.set("principal", principal);
		await next();
	};
	return Object.assign(middleware, { admits });
}

/**
 * The 403 for a principal whose scopes `admits` does not cover, or null when it does. One rule for
 * every way in: the HTTP middleware above and the Workers RPC entrypoint (src/rpc/).
 */
export function scopeRefusal(admits: Admits, principal: Principal, where: string): ProblemError | null {
	const anyOf = admits[principal.kind] ?? [];
	if (anyOf.some((scope) => principal.scopes.has(scope))) return null;
	console.warn(JSON.stringify({ event: "scope_refused", sub: principal.subject, kind: principal.kind, path: where }));
	return new ProblemError("forbidden", {
		detail: anyOf.length ? `This call needs the scope ${anyOf.join(" or ")}.` : `This call is not open to ${principal.kind} principals.`,
		headers: { "WWW-Authenticate": `Bearer ${REALM}, error="insufficient_scope"${anyOf.length ? `, scope="${anyOf.join(" ")}"` : ""}` },
	});
}

/**
 * The ops console behind Cloudflare Access: Access authenticated the person and says so in a
 * header, added to every request the browser makes with Access's session cookie, including one
 * another site makes it send. So only the console's own requests pass: Fetch Metadata says
 * `same-origin` (W3C Fetch Metadata Request Headers §2.1), which every current browser sends and no
 * other site can forge. Scripts use bearer tokens, not this path.
 */
async function viaAccess(site: string | undefined, assertion: string, env: AppEnv["Bindings"]): Promise<Principal> {
	if (site !== "same-origin") throw new TokenRejectedError("cross_site");
	// Read only on this path: a malformed OPS_ACCESS fails the console, not every caller.
	const access = opsAccessConfig(env);
	if (!access) throw new TokenRejectedError("missing");
	return verifyAccessAssertion(assertion, { issuer: trustedIssuer(access.issuer), aud: access.aud, opsEmails: access.opsEmails }, new Date());
}
