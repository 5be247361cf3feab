/**
 * One reveal's own CPU work, measured in Node 22 with the worker's own modules: unwrap the data key
 * and decrypt the asked field, sign the reveal token, verify it, and the limiter's decision; next to
 * the bare WebCrypto calls inside them, so the overhead above the crypto is visible.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { exportJWK, generateKeyPair } from "jose";
import { openContact, sealContact } from "../src/crypto/envelope";
import { Keyring } from "../src/crypto/keyring";
import { signRevealToken, verifyRevealToken } from "../src/crypto/reveal-token";
import { signingKeyFor } from "../src/crypto/signing-key";
import { decide, type LimiterState } from "../src/limits/decide";
import { resolvePolicy } from "../src/limits/policy";

const ITERATIONS = process.argv.includes("--smoke") ? 50 : 5000;

async function measure(name: string, operation: () => Promise<unknown> | unknown): Promise<{ name: string; microseconds: number }> {
	for (let i = 0; i < Math.min(200, ITERATIONS); i++) await operation(); // warm up
	const start = performance.now();
	for (let i = 0; i < ITERATIONS; i++) await operation();
	return { name, microseconds: ((performance.now() - start) * 1000) / ITERATIONS };
}

const rootKey = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
	.replace(/\+/g, "-")
	.replace(/\//g, "_")
	.replace(/=+$/, "");
const keyring = await Keyring.import({ primary: "k1", keys: { k1: rootKey } });
const sealed = await sealContact(keyring, "rec_bench", { name: "欧阳娜娜", phone: "+8613812345678", address: "广东省深圳市南山区科技园路1号" });
const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
const jwk = await exportJWK(privateKey);
const signingKey = await signingKeyFor({ kty: "OKP", crv: "Ed25519", x: jwk.x as string, d: jwk.d as string, kid: "bench" });
const grant = {
	jti: crypto.randomUUID(),
	subject: "c1",
	subjectIssuer: "iss",
	recordId: "rec_bench",
	fields: ["phone" as const],
	purpose: "delivery",
	issuedAt: Math.floor(Date.now() / 1000) * 1000,
	expiresAt: Math.floor(Date.now() / 1000) * 1000 + 60_000,
};
const token = await signRevealToken(signingKey, grant);
const policy = resolvePolicy([], { kind: "employee", issuer: "bench", subject: "c1", role: "courier", depot: "D1" });
const now = Date.now();
const state: LimiterState = {
	grants: Array.from({ length: 100 }, (_, i) => ({ at: now - i * 60_000, recordId: `r${i % 80}` })),
	probes: [],
	suspension: null,
	quotaAlertAt: null,
};

// The bare calls, on the same keys.
const wrappingKey = keyring.wrappingKey("k1");
const wrapped = Uint8Array.from(
	atob(
		sealed.wrappedKey
			.replace(/-/g, "+")
			.replace(/_/g, "/")
			.padEnd(Math.ceil(sealed.wrappedKey.length / 4) * 4, "="),
	),
	(c) => c.charCodeAt(0),
);
const dataKey = (await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"])) as CryptoKey;
const iv = crypto.getRandomValues(new Uint8Array(12));
const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, dataKey, new TextEncoder().encode("+8613812345678"));
const message = new TextEncoder().encode("a".repeat(300));
const signature = await crypto.subtle.sign("Ed25519", signingKey.privateKey, message);

const operations = [
	await measure("unwrap data key + decrypt one field (openContact)", () => openContact(keyring, "rec_bench", sealed, ["phone"])),
	await measure("sign reveal token (signRevealToken)", () => signRevealToken(signingKey, grant)),
	await measure("verify reveal token (verifyRevealToken)", () => verifyRevealToken([signingKey], token, new Date())),
	await measure("limiter decision, 100 grants in state (decide)", () => decide(state, { recordId: "r5", class: "in_scope", honeytoken: false }, policy, now)),
];
const bare = [
	await measure("bare: AES-KW unwrapKey", () => crypto.subtle.unwrapKey("raw", wrapped, wrappingKey, "AES-KW", "AES-GCM", false, ["decrypt"])),
	await measure("bare: AES-GCM decrypt", () => crypto.subtle.decrypt({ name: "AES-GCM", iv }, dataKey, ciphertext)),
	await measure("bare: Ed25519 sign", () => crypto.subtle.sign("Ed25519", signingKey.privateKey, message)),
	await measure("bare: Ed25519 verify", () => crypto.subtle.verify("Ed25519", signingKey.publicKey, signature, message)),
];
const revealWorkMicroseconds = operations.reduce((sum, op) => sum + op.microseconds, 0);
const bareCryptoMicroseconds = bare.reduce((sum, op) => sum + op.microseconds, 0);
mkdirSync("bench/results", { recursive: true });
writeFileSync(
	`bench/results/micro${process.argv.includes("--smoke") ? ".smoke" : ""}.json`,
	`${JSON.stringify({ iterations: ITERATIONS, node: process.argv[0], operations: [...operations, ...bare], revealWorkMicroseconds, bareCryptoMicroseconds }, null, 2)}\n`,
);
for (const op of [...operations, ...bare]) console.log(`${op.name.padEnd(52)} ${op.microseconds.toFixed(1).padStart(8)} µs`);
console.log(`vault code per reveal: ${revealWorkMicroseconds.toFixed(0)} µs (bare crypto ${bareCryptoMicroseconds.toFixed(0)} µs)`);
