import { CompactSign, compactVerify } from "jose";
import type { SigningKey } from "./signing-key";

export const CHECKPOINT_TYPE = "audit-checkpoint+jws";

/** A signed statement that the audit chain had `seq` entries ending in `hash` at time `at`. */
export interface Checkpoint {
	seq: number;
	hash: string;
	at: number;
}

/**
 * Signs a checkpoint as a compact JWS (RFC 7515) with the vault's key. Anyone holding the public
 * JWKS can check it offline; an operator who rewrites the chain cannot produce a matching one.
 */
export function signCheckpoint(key: SigningKey, checkpoint: Checkpoint): Promise<string> {
	const payload = new TextEncoder().encode(JSON.stringify({ seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at }));
	return new CompactSign(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CHECKPOINT_TYPE }).sign(key.privateKey);
}

/** The checkpoint a signature vouches for, or null if no listed key signed it. */
export async function verifyCheckpoint(keys: readonly SigningKey[], signature: string): Promise<Checkpoint | null> {
	try {
		const { payload, protectedHeader } = await compactVerify(
			signature,
			(header) => {
				const key = keys.find((candidate) => candidate.kid === header.kid && candidate.alg === header.alg);
				if (!key) throw new Error("unknown key");
				return key.publicKey;
			},
			{ algorithms: [...new Set(keys.map((key) => key.alg))] },
		);
		if (protectedHeader.typ !== CHECKPOINT_TYPE) return null;
		const parsed = JSON.parse(new TextDecoder().decode(payload)) as Checkpoint;
		return typeof parsed.seq === "number" && typeof parsed.hash === "string" && typeof parsed.at === "number" ? parsed : null;
	} catch {
		return null;
	}
}
