import { CompactSign } from "jose";
import type { SigningKey } from "./signing-key";

/** Explicit type of a leak report (RFC 8725 §3.11), so it is never mistaken for a reveal token or a checkpoint. */
export const LEAK_REPORT_TYPE = "leak-report+jws";

/**
 * Signs the evidence of a leak attribution as a compact JWS (RFC 7515) with the vault's key: the
 * same key as reveal tokens and checkpoints, so a third party checks it with /.well-known/jwks.json
 * alone (scripts/verify-evidence.ts). The payload holds hashes, record ids and audit seqs only.
 */
export function signLeakReport(key: SigningKey, report: Record<string, unknown>): Promise<string> {
	const payload = new TextEncoder().encode(JSON.stringify(report));
	return new CompactSign(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: LEAK_REPORT_TYPE }).sign(key.privateKey);
}
