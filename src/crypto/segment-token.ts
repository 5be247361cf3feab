import { CompactSign } from "jose";
import type { SigningKey } from "./signing-key";

export const SEGMENT_TYPE = "audit-segment+jws";

/**
 * What the vault vouches for about one archived segment of the audit chain: its seq range, the
 * hash the chain had just before it and at its end, how many lines of each kind it holds, and the
 * SHA-256 (base64url) of its exact bytes. Signed as a compact JWS (RFC 7515) with the vault's key,
 * so the archive verifies offline against the public JWKS alone (scripts/verify-archive.ts).
 */
export interface SegmentStatement {
	first_seq: number;
	last_seq: number;
	prev_hash: string;
	last_hash: string;
	entries: number;
	checkpoints: number;
	/** UTC day (YYYY-MM-DD) of the checkpoint the segment ends at. */
	day: string;
	sha256: string;
	at: number;
}

export function signSegment(key: SigningKey, statement: SegmentStatement): Promise<string> {
	const payload = new TextEncoder().encode(JSON.stringify(statement));
	return new CompactSign(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: SEGMENT_TYPE }).sign(key.privateKey);
}
