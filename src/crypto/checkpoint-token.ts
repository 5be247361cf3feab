import { CompactSign, compactVerify } from "jose";
import type { SigningKey, VerificationKey } from "./signing-key";
import { inServiceAt } from "./verification-keys";

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

export type CheckpointVerdict =
	| { ok: true; checkpoint: Checkpoint; kid: string }
	/**
	 * `bad_signature`: no listed key signed it (or it is not a checkpoint); `signed_after_retirement`:
	 * a previous key signed it, dated after that key stopped signing.
	 */
	| { ok: false; reason: "bad_signature" | "signed_after_retirement" };

/**
 * Checks a checkpoint against the current key and every previous one. The key is chosen by the
 * JWS `kid` header (RFC 7515 §4.1.4) and used with its own algorithm only (RFC 8725 §3.1). Old
 * checkpoints keep verifying after a rollover for as long as their key is configured, but a
 * previous key vouches for nothing dated after its retirement.
 */
export async function checkCheckpoint(keys: readonly VerificationKey[], signature: string): Promise<CheckpointVerdict> {
	let signer: VerificationKey | undefined;
	let checkpoint: Checkpoint;
	try {
		const { payload, protectedHeader } = await compactVerify(
			signature,
			(header) => {
				const key = keys.find((candidate) => candidate.kid === header.kid && candidate.alg === header.alg);
				if (!key) throw new Error("unknown key");
				signer = key;
				return key.publicKey;
			},
			{ algorithms: [...new Set(keys.map((key) => key.alg))] },
		);
		if (protectedHeader.typ !== CHECKPOINT_TYPE) return { ok: false, reason: "bad_signature" };
		const parsed = JSON.parse(new TextDecoder().decode(payload)) as Checkpoint;
		if (typeof parsed.seq !== "number" || typeof parsed.hash !== "string" || typeof parsed.at !== "number") return { ok: false, reason: "bad_signature" };
		checkpoint = { seq: parsed.seq, hash: parsed.hash, at: parsed.at };
	} catch {
		return { ok: false, reason: "bad_signature" };
	}
	if (!signer) return { ok: false, reason: "bad_signature" };
	if (!inServiceAt(signer, checkpoint.at)) return { ok: false, reason: "signed_after_retirement" };
	return { ok: true, checkpoint, kid: signer.kid };
}

/** The checkpoint a signature vouches for, or null if no listed key signed it while in service. */
export async function verifyCheckpoint(keys: readonly VerificationKey[], signature: string): Promise<Checkpoint | null> {
	const verdict = await checkCheckpoint(keys, signature);
	return verdict.ok ? verdict.checkpoint : null;
}
