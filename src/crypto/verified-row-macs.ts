import type { Keyring } from "./keyring";

/** Row MACs remembered per keyring; the least recently verified go first. */
export const REMEMBERED_ROW_MACS = 4_096;

/**
 * Row MACs this isolate has verified, each with the exact row content it verified over. The same
 * record and its legs are read by the ask, the redeem and the masked reads that follow, and the
 * HMAC over their canonical JSON was the largest piece of a read's own CPU. A hit needs the same
 * table, the same columns with the same values (as one string) and the same MAC under the same key
 * id: a row edited under its old MAC, or a MAC copied onto other content, misses and is verified
 * (and fails). A verification is a pure function of (key, content, MAC), so a remembered one says
 * exactly what a new one would; only `valid` verdicts are remembered, and the memo belongs to one
 * keyring, so a key that leaves the ring takes its verdicts with it.
 */
export class VerifiedRowMacs {
	private readonly verified = new Map<string, string>();

	holds(keyId: string, mac: string, content: string): boolean {
		const seal = sealKey(keyId, mac);
		if (this.verified.get(seal) !== content) return false;
		this.verified.delete(seal);
		this.verified.set(seal, content);
		return true;
	}

	remember(keyId: string, mac: string, content: string): void {
		const seal = sealKey(keyId, mac);
		this.verified.delete(seal);
		this.verified.set(seal, content);
		// A Map iterates in insertion order: the first key is the one verified longest ago.
		if (this.verified.size > REMEMBERED_ROW_MACS) this.verified.delete(this.verified.keys().next().value as string);
	}
}

const byKeyring = new WeakMap<Keyring, VerifiedRowMacs>();

export function verifiedRowMacsOf(keyring: Keyring): VerifiedRowMacs {
	let memo = byKeyring.get(keyring);
	if (!memo) {
		memo = new VerifiedRowMacs();
		byKeyring.set(keyring, memo);
	}
	return memo;
}

const sealKey = (keyId: string, mac: string) => `${keyId}\u0000${mac}`;
