import { CompactSign, compactVerify } from "jose";
import { decodeBase64url } from "./base64url";
import type { SigningKey, VerificationKey } from "./signing-key";
import { inServiceAt } from "./verification-keys";

export const CHECKPOINT_TYPE = "audit-checkpoint+jws";

/** The checkpoint before another one, as that one names it: the entry it vouched for. */
export interface CheckpointLink {
	seq: number;
	hash: string;
}

/**
 * A signed statement that the audit chain had `seq` entries ending in `hash` at time `at`.
 *
 * `prev` chains checkpoints: each names the checkpoint before it (in seq order), or null for the
 * first of the chain, so deleting any checkpoint but the newest leaves a link naming a missing one
 * (and the witness knows the newest). Checkpoints signed before links existed have no `prev` at
 * all and verify as what they are: unlinked.
 */
export interface Checkpoint {
	seq: number;
	hash: string;
	at: number;
	prev?: CheckpointLink | null;
}

function payloadOf(checkpoint: Checkpoint): Record<string, unknown> {
	const payload: Record<string, unknown> = { seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at };
	if (checkpoint.prev !== undefined) payload.prev = checkpoint.prev === null ? null : { seq: checkpoint.prev.seq, hash: checkpoint.prev.hash };
	return payload;
}

/**
 * Signs a checkpoint as a compact JWS (RFC 7515) with the vault's key. Anyone holding the public
 * JWKS can check it offline; an operator who rewrites the chain cannot produce a matching one.
 */
export function signCheckpoint(key: SigningKey, checkpoint: Checkpoint): Promise<string> {
	const payload = new TextEncoder().encode(JSON.stringify(payloadOf(checkpoint)));
	return new CompactSign(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CHECKPOINT_TYPE }).sign(key.privateKey);
}

/** The payload's claims if well formed; `prev` stays absent for a checkpoint signed before links existed. */
function parseClaims(raw: unknown): Checkpoint | null {
	if (typeof raw !== "object" || raw === null) return null;
	const { seq, hash, at, prev } = raw as Record<string, unknown>;
	if (typeof seq !== "number" || typeof hash !== "string" || typeof at !== "number") return null;
	if (prev === undefined) return { seq, hash, at };
	if (prev === null) return { seq, hash, at, prev: null };
	if (typeof prev !== "object") return null;
	const link = prev as Record<string, unknown>;
	if (typeof link.seq !== "number" || typeof link.hash !== "string") return null;
	return { seq, hash, at, prev: { seq: link.seq, hash: link.hash } };
}

/**
 * What a checkpoint claims, read without checking its signature: for the witness, which only
 * matches a signature to the checkpoint it planned (the signature is checked by verification).
 */
export function checkpointClaims(signature: string): Checkpoint | null {
	try {
		return parseClaims(JSON.parse(new TextDecoder().decode(decodeBase64url(signature.split(".")[1] ?? ""))));
	} catch {
		return null;
	}
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
	let checkpoint: Checkpoint | null;
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
		checkpoint = parseClaims(JSON.parse(new TextDecoder().decode(payload)));
	} catch {
		return { ok: false, reason: "bad_signature" };
	}
	if (!signer || !checkpoint) return { ok: false, reason: "bad_signature" };
	if (!inServiceAt(signer, checkpoint.at)) return { ok: false, reason: "signed_after_retirement" };
	return { ok: true, checkpoint, kid: signer.kid };
}

/** The checkpoint a signature vouches for, or null if no listed key signed it while in service. */
export async function verifyCheckpoint(keys: readonly VerificationKey[], signature: string): Promise<Checkpoint | null> {
	const verdict = await checkCheckpoint(keys, signature);
	return verdict.ok ? verdict.checkpoint : null;
}
