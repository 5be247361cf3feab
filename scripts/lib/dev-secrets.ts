/**
 * Writes .dev.vars with fresh development secrets, only when it is absent: a developer's existing
 * keys (and the local data encrypted under them) are never replaced.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { DEV_ISSUER, DEV_ISSUER_KEY_FILE } from "./dev-issuer.ts";

const DEV_VARS = ".dev.vars";

function randomKey(): string {
	return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

async function ed25519(kid: string) {
	const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
	return { privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "EdDSA" }, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" } };
}

export async function ensureDevSecrets(root: string): Promise<"created" | "kept"> {
	const devVars = join(root, DEV_VARS);
	if (existsSync(devVars)) {
		if (!existsSync(join(root, DEV_ISSUER_KEY_FILE))) {
			console.warn(`! ${DEV_VARS} exists but ${DEV_ISSUER_KEY_FILE} does not: \`npm run token\` cannot sign. Delete ${DEV_VARS} to start afresh.`);
		}
		return "kept";
	}
	const stamp = new Date().toISOString().slice(0, 10).replace(/-/g, "");
	const signing = await ed25519(`reveal-dev-${stamp}`);
	const issuer = await ed25519(`dev-issuer-${stamp}`);
	const vars = {
		VAULT_KEYRING: JSON.stringify({ primary: `dev-${stamp}`, keys: { [`dev-${stamp}`]: randomKey() } }),
		REVEAL_SIGNING_JWK: JSON.stringify(signing.privateJwk),
		TRUSTED_ISSUERS: JSON.stringify([{ iss: DEV_ISSUER, jwks: { keys: [issuer.publicJwk] } }]),
	};
	writeFileSync(join(root, DEV_ISSUER_KEY_FILE), `${JSON.stringify(issuer.privateJwk, null, 2)}\n`, { mode: 0o600 });
	const lines = Object.entries(vars).map(([name, value]) => `${name}='${value}'`);
	writeFileSync(devVars, `# Development secrets written by \`npm run dev\`; never use them anywhere else.\n${lines.join("\n")}\n`, { mode: 0o600 });
	return "created";
}
