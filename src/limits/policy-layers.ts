/**
 * The layers a policy is resolved from, most specific first. On their own so that the leg policy
 * (src/shipments/leg-policy.ts) and the limits (policy.ts) resolve over the same layers without
 * importing each other.
 */
export const POLICY_LAYERS = ["default", "role", "depot", "employee"] as const;
export type PolicyLayer = (typeof POLICY_LAYERS)[number];

/** Who the layers are resolved for: a principal is the pair (issuer, subject); employees have a role and depot. */
export interface PolicySubject {
	kind: "employee" | "service";
	issuer: string;
	subject: string;
	role?: string;
	depot?: string;
}

/** The layers that apply to a principal, most specific first, as [layer, target issuer, target]. Services have the role "service". */
export function layersFor(principal: PolicySubject): [PolicyLayer, string, string][] {
	const layers: [PolicyLayer, string, string][] = [["employee", principal.issuer, principal.subject]];
	if (principal.kind === "employee" && principal.depot) layers.push(["depot", "", principal.depot]);
	layers.push(["role", "", principal.kind === "employee" ? (principal.role ?? "") : "service"]);
	layers.push(["default", "", ""]);
	return layers;
}

export const layerKey = (layer: PolicyLayer, targetIssuer: string, target: string) => `${layer}\u0000${targetIssuer}\u0000${target}`;
