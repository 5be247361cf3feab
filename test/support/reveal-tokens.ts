import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";

/** The vault's own signing key, for forging tokens that are valid in every respect but one. */
export function vaultSigningJwk(): JWK & { kid: string } {
	return JSON.parse(env.REVEAL_SIGNING_JWK as string);
}

export function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
	const part = token.split(".")[index] as string;
	return JSON.parse(
		atob(
			part
				.replace(/-/g, "+")
				.replace(/_/g, "/")
				.padEnd(Math.ceil(part.length / 4) * 4, "="),
		),
	);
}

export interface ForgeOptions {
	header?: Record<string, unknown>;
	claims?: Record<string, unknown>;
	/** Sign with a fresh key instead of the vault's (another vault, same kid). */
	foreignKey?: boolean;
}

/** Re-signs the claims of `original` with the vault's key (or a foreign one), changed as asked. */
export async function forge(original: string, options: ForgeOptions = {}): Promise<string> {
	const header = { ...decodePart(original, 0), ...options.header };
	const claims = { ...decodePart(original, 1), ...options.claims };
	let key: CryptoKey;
	if (options.foreignKey) {
		({ privateKey: key } = await generateKeyPair("EdDSA", { extractable: true }));
		await exportJWK(key);
	} else {
		key = (await importJWK(vaultSigningJwk(), "EdDSA")) as CryptoKey;
	}
	return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
}
