import { auditLogFor } from "../audit/audit-log-for";
import type { AuditLog } from "../audit/log";
import { type IssuerDirectory, issuerDirectory } from "../auth/issuer-directory";
import type { Principal } from "../auth/principal";
import { CallStore } from "../calls/call-store";
import { keyringConfig, signingJwkConfig, trustedIssuersConfig } from "../config";
import { type Keyring, keyringFor } from "../crypto/keyring";
import { type SigningKey, signingKeyFor } from "../crypto/signing-key";
import { AlertStore } from "../detection/alert-store";
import type { Env } from "../env";
import type { RowTrust } from "../integrity/row-trust";
import { rowTrustFor } from "../integrity/row-trust-for";
import { type LimiterKey, limiterOf } from "../limits/limiter-client";
import type { EffectivePolicy, PolicyRow } from "../limits/policy";
import { cachedPolicies, PolicyStore } from "../limits/policy-store";
import type { PrincipalLimiter } from "../limits/principal-limiter";
import { PrincipalStatusStore } from "../limits/principal-status-store";
import { resolvedPolicy } from "../limits/resolved-policies";
import { recordStoreFor } from "../records/record-store-for";
import type { RecordStore } from "../records/store";
import { LegStore } from "../shipments/leg-store";

/**
 * What a request's handlers use, built once per request and only when first asked for: a handler
 * names what it needs instead of constructing it. A missing or malformed secret still fails only
 * the requests that need it (each getter parses its configuration on first use).
 */
export interface Services {
	readonly issuers: IssuerDirectory;
	readonly records: RecordStore;
	readonly audit: AuditLog;
	readonly keyring: Promise<Keyring>;
	readonly signingKey: Promise<SigningKey>;
	readonly policyStore: PolicyStore;
	readonly alerts: AlertStore;
	readonly statuses: PrincipalStatusStore;
	/** Shipment events and legs (DESIGN "Reveals follow the work"). */
	readonly legs: LegStore;
	/** Privacy-number bindings (DESIGN "Calls instead of numbers"). */
	readonly calls: CallStore;
	/** MACs of the rows that grant or withhold access (src/integrity/). */
	readonly rowTrust: RowTrust;
	/** Every policy layer, as this isolate read them within the last few seconds. */
	policies(now: number): Promise<PolicyRow[]>;
	/** The limits of a principal, resolved from the cached layers. */
	policyOf(principal: Principal, now: number): Promise<EffectivePolicy>;
	limiter(principal: LimiterKey): DurableObjectStub<PrincipalLimiter>;
}

export function services(env: Env, ctx?: Pick<ExecutionContext, "waitUntil">): Services {
	const memo = new Map<string, unknown>();
	const once = <T>(name: string, build: () => T): T => {
		if (!memo.has(name)) memo.set(name, build());
		return memo.get(name) as T;
	};
	const self: Services = {
		get issuers() {
			return once("issuers", () => issuerDirectory(trustedIssuersConfig(env)));
		},
		get records() {
			return once("records", () => recordStoreFor(env, ctx));
		},
		get audit() {
			return once("audit", () => auditLogFor(env, ctx));
		},
		get keyring() {
			return once("keyring", () => keyringFor(keyringConfig(env)));
		},
		get signingKey() {
			return once("signingKey", () => signingKeyFor(signingJwkConfig(env)));
		},
		get policyStore() {
			return once("policyStore", () => new PolicyStore(env.DB, (issuer) => self.issuers.stored(issuer), self.rowTrust));
		},
		get alerts() {
			return once("alerts", () => new AlertStore(env.DB));
		},
		get statuses() {
			return once("statuses", () => new PrincipalStatusStore(env.DB, (issuer) => self.issuers.stored(issuer), self.rowTrust));
		},
		get rowTrust() {
			return once("rowTrust", () => rowTrustFor(env, ctx));
		},
		get legs() {
			return once("legs", () => new LegStore(env.DB, self.audit, (issuer) => self.issuers.stored(issuer), self.rowTrust));
		},
		get calls() {
			return once("calls", () => new CallStore(env.DB, self.audit));
		},
		policies: (now) => cachedPolicies(self.policyStore, now),
		policyOf: async (principal, now) =>
			resolvedPolicy(await self.policies(now), {
				kind: principal.kind,
				issuer: principal.issuer,
				subject: principal.subject,
				...(principal.kind === "employee" ? { role: principal.role, depot: principal.depot } : {}),
			}),
		limiter: (principal) => limiterOf(env, principal),
	};
	return self;
}
