import { env } from "cloudflare:workers";
import type { AuditWitness } from "../../src/audit/witness";
import { WITNESS_NAME } from "../../src/audit/witness-client";

/** The witness of the test database, for reading what it remembers. */
export function witnessStub(): DurableObjectStub<AuditWitness> {
	const namespace = env.AUDIT_WITNESS as DurableObjectNamespace<AuditWitness>;
	return namespace.get(namespace.idFromName(WITNESS_NAME));
}

/**
 * The AUDIT_WITNESS binding of a witness that cannot be reached: every call on its stub fails as a
 * call to an unreachable object does. D1 and everything else stay real.
 */
export function unreachableWitness(): DurableObjectNamespace<AuditWitness> {
	const namespace = env.AUDIT_WITNESS as DurableObjectNamespace<AuditWitness>;
	const stub = new Proxy(
		{},
		{
			get: (_target, property) =>
				property === "then"
					? undefined
					: async () => {
							throw new Error("Durable Object is unreachable (network connection lost)");
						},
		},
	);
	return { idFromName: (name: string) => namespace.idFromName(name), get: () => stub } as unknown as DurableObjectNamespace<AuditWitness>;
}
