/**
 * The README's promise, checked as a newcomer meets it: `npm run dev` on a port that is not the
 * default serves /healthz and seeds the demo data; a record created with a token from `npm run
 * token` reads back; the depot terminal's reveal works once; `npm run seed` and `npm run token`
 * behave as README says; and every README shell block that talks to a running vault runs, with
 * `PORT` set, without an error. The vault keeps its own local database (.wrangler/smoke-state),
 * fresh each run, so a developer's data is neither used nor touched.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createVaultClient } from "contact-vault/client";
import { CLIENT_TYPES_FILE, clientTypes } from "./lib/client-types.ts";
import { startValidatingProxy } from "./lib/validating-proxy.ts";
import { freePort } from "./lib/wrangler-dev.ts";

const STATE = ".wrangler/smoke-state";
/** README sections whose shell blocks are not run: the quick start is how this starts the vault, deploying needs an account. */
const NOT_RUN = ["Quick start", "Deploying to Cloudflare", "Audit archive"];

const port = await freePort();
const baseUrl = `http://127.0.0.1:${port}`;
rmSync(STATE, { recursive: true, force: true });
const { VAULT_URL: _ignored, ...inherited } = process.env;
const env = { ...inherited, PORT: String(port), VAULT_DEV_STATE: STATE };
const dev = spawn("npm", ["run", "dev"], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
let output = "";
dev.stdout.on("data", (chunk) => (output += chunk));
dev.stderr.on("data", (chunk) => (output += chunk));

/** What else this run started (the validating proxies), stopped with it. */
const running: { stop(): void }[] = [];

function stop(code: number, message: string): never {
	for (const started of running) started.stop();
	if (dev.pid) process.kill(-dev.pid, "SIGTERM");
	if (code !== 0) console.error(output.slice(-4000));
	console.log(message);
	process.exit(code);
}

/** Runs an npm script as a user would type it, in the smoke's environment. */
const npm = (args: string[], extraEnv: Record<string, string> = {}) =>
	spawnSync("npm", ["run", "-s", ...args], { encoding: "utf8", env: { ...env, ...extraEnv }, timeout: 60_000 });

const token = (args: string[]) => {
	const result = npm(["token", "--", ...args]);
	if (result.status !== 0) stop(1, `npm run token failed: ${result.stderr}`);
	return result.stdout.trim();
};

const deadline = Date.now() + 120_000;
while (!output.includes("contact-vault is running")) {
	if (Date.now() > deadline) stop(1, "npm run dev did not come up within two minutes");
	await new Promise((resolve) => setTimeout(resolve, 500));
}
if (!output.includes(`contact-vault is running at ${baseUrl}`)) stop(1, `npm run dev does not say it runs at ${baseUrl}`);
if (!output.includes("✓ seeded demo data")) stop(1, "npm run dev did not seed its fresh database");

const health = await fetch(`${baseUrl}/healthz`);
if (health.status !== 200) stop(1, `/healthz answered ${health.status}`);

// The document as served, held to Redocly's recommended ruleset (redocly.yaml lists the warnings kept).
const documentFile = `${STATE}-openapi.json`;
writeFileSync(documentFile, await (await fetch(`${baseUrl}/openapi.json`)).text());
const lint = spawnSync("npx", ["redocly", "lint", "--config", "redocly.yaml", "--format", "summary", documentFile], { encoding: "utf8", timeout: 120_000 });
if (lint.status !== 0) stop(1, `redocly lint of /openapi.json failed:\n${lint.stdout}${lint.stderr}`);

// The typed client's committed types are what the served document generates (npm run client:generate).
if ((await clientTypes(JSON.parse(readFileSync(documentFile, "utf8")))) !== readFileSync(CLIENT_TYPES_FILE, "utf8")) {
	stop(1, `${CLIENT_TYPES_FILE} differs from what /openapi.json generates: run \`npm run client:generate\` with the vault running, and commit it`);
}

// The check itself can fail: a copy of the document without GET /v1/principal's 200 makes Prism
// report the vault's 200 as a response violation.
const brokenFile = `${STATE}-openapi-broken.json`;
const broken = JSON.parse(readFileSync(documentFile, "utf8")) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
delete broken.paths["/v1/principal"]?.get?.responses["200"];
writeFileSync(brokenFile, JSON.stringify(broken));
const probe = await startValidatingProxy(brokenFile, baseUrl);
running.push(probe);
const probeToken = token(["--sub", "smoke-probe", "--scope", "records:read"]);
await fetch(`${probe.url}/v1/principal`, { headers: { Authorization: `Bearer ${probeToken}` } }).then((response) => response.arrayBuffer());
await probe.settled();
const caught = probe.responseViolations();
probe.stop();
if (caught.length === 0) stop(1, "the validating proxy did not report an undocumented status: the contract check is blind");

// Every call below goes through Prism with the document as served; any response violation fails.
const proxy = await startValidatingProxy(documentFile, baseUrl);
running.push(proxy);
const vaultUrl = proxy.url;

const service = token(["--sub", "smoke-svc", "--scope", "records:write records:read"]);
const headers = { Authorization: `Bearer ${service}`, "Content-Type": "application/json" };
// Create and read back through the typed client (contact-vault/client), held to the document by Prism like every call here.
const vault = createVaultClient({ baseUrl: vaultUrl, token: service });
const booking = {
	shipment_id: `SMOKE${Date.now()}`,
	party: "recipient" as const,
	contact: { name: "张三", phone: "13812345678", address: "广东省深圳市南山区科技园路1号" },
	depot: "SZ-NS-01",
};
const created = await vault
	.createRecord(booking, { idempotencyKey: `smoke-${booking.shipment_id}` })
	.catch((error: Error) => stop(1, `create: ${error.message}`));
const retried = await vault
	.createRecord(booking, { idempotencyKey: `smoke-${booking.shipment_id}` })
	.catch((error: Error) => stop(1, `create retried: ${error.message}`));
if (!retried.replayed || retried.record.id !== created.record.id) stop(1, "a create retried with its Idempotency-Key was not replayed");
const id = created.record.id;
const view = await vault.getRecord(id).catch((error: Error) => stop(1, `read back: ${error.message}`));
if (view.masked.phone !== "1******5678") stop(1, `read back: ${JSON.stringify(view.masked)}`);

const demo = await fetch(`${vaultUrl}/v1/records?shipment_id=DEMO000001`, { headers });
const demoRecords = ((await demo.json()) as { records: { id: string; party: string; depot: string; courier: string | null }[] }).records;
if (demoRecords.length !== 2) stop(1, "demo data is not there");

// The depot terminal's flow, as the README shows it: scan, call, ask for the phone after the call, redeem once.
const parcel = demoRecords.find((record) => record.party === "recipient" && record.courier) ?? stop(1, "no assigned demo recipient");
const courier = token(["--sub", parcel.courier as string, "--scope", "reveal", "--role", "courier", "--depot", parcel.depot, "--phone", "+8613912340002"]);
const employee = { Authorization: `Bearer ${courier}`, "Content-Type": "application/json" };
const scanned = (await (await fetch(`${vaultUrl}/v1/records?shipment_id=DEMO000001`, { headers: employee })).json()) as { records: { id: string }[] };
if (scanned.records.length !== 1) stop(1, `the courier sees ${scanned.records.length} records of the shipment, expected 1`);
const askPhone = () =>
	fetch(`${vaultUrl}/v1/reveals`, {
		method: "POST",
		headers: employee,
		body: JSON.stringify({ record_id: parcel.id, fields: ["phone"], purpose: "delivery" }),
	});
// A delivery's phone is the exception: only after a call on the leg (DESIGN "Calls instead of numbers").
const uncalled = await askPhone();
const uncalledType = ((await uncalled.json()) as { type?: string }).type;
if (uncalled.status !== 403 || uncalledType !== "/problems/call-first") stop(1, `a phone ask before any call answered ${uncalled.status} ${uncalledType}`);
const called = await fetch(`${vaultUrl}/v1/calls`, { method: "POST", headers: employee, body: JSON.stringify({ record_id: parcel.id, purpose: "delivery" }) });
if (called.status !== 201) stop(1, `the call answered ${called.status}: ${await called.text()}`);
const { call_id } = (await called.json()) as { call_id: string };
const asked = await askPhone();
if (asked.status !== 201) stop(1, `reveal ask answered ${asked.status}: ${await asked.text()}`);
const { reveal_token } = (await asked.json()) as { reveal_token: string };
const redeemed = await fetch(`${vaultUrl}/v1/reveals/redeem`, { method: "POST", headers: employee, body: JSON.stringify({ reveal_token }) });
const revealed = (await redeemed.json()) as { fields?: { phone?: string } };
if (redeemed.status !== 200 || !revealed.fields?.phone?.startsWith("+")) stop(1, `redeem answered ${redeemed.status}`);
const replay = await fetch(`${vaultUrl}/v1/reveals/redeem`, { method: "POST", headers: employee, body: JSON.stringify({ reveal_token }) });
if (replay.status !== 409) stop(1, `a second redeem answered ${replay.status}, expected 409`);
const ended = await fetch(`${vaultUrl}/v1/calls/${call_id}`, { method: "DELETE", headers: { Authorization: `Bearer ${courier}` } });
if (ended.status !== 204) stop(1, `ending the call answered ${ended.status}`);

const ops = token(["--sub", "ops-smoke", "--scope", "ops"]);
const verified = (await (await fetch(`${vaultUrl}/v1/audit/verify`, { headers: { Authorization: `Bearer ${ops}` } })).json()) as { ok?: boolean };
if (verified.ok !== true) stop(1, `audit verify: ${JSON.stringify(verified)}`);

// The terminal signs in at the development OpenID provider npm run dev started, whose login page answers.
const terminal = await (await fetch(`${baseUrl}/terminal`)).text();
const authorize = terminal.match(/class="sign-in-with" data-iss="https:\/\/dev-issuer\.contact-vault\.local"[^>]* data-authorization-endpoint="([^"]+)"/)?.[1];
if (!authorize) stop(1, "the terminal offers no sign-in with the development identity provider");
if (!terminal.includes('id="token"')) stop(1, "npm run dev should let the pages take a pasted token (PAGES_TOKEN_PASTE=1)");
const discovery = await fetch(new URL("/.well-known/openid-configuration", authorize as string));
if (!discovery.ok) stop(1, `the development OpenID provider does not answer at ${authorize}`);

// `npm run seed` finds the vault on PORT, as `npm run dev` put it, and says plainly when nothing is there.
const reseed = npm(["seed"]);
if (reseed.status !== 0 || !reseed.stdout.includes(`demo data already present at ${baseUrl}`))
	stop(1, `PORT=${port} npm run seed: ${reseed.stdout}${reseed.stderr}`);
const nowhere = npm(["seed"], { PORT: String(await freePort()) });
if (nowhere.status === 0 || !nowhere.stderr.includes("nothing answers") || /\n\s+at /.test(nowhere.stderr)) {
	stop(1, `npm run seed with no vault on PORT should say so, without a stack trace: ${nowhere.stderr}`);
}

// `npm run token`: usage on --help, and a refusal that says why for what the vault would refuse.
const help = npm(["token", "--", "--help"]);
if (help.status !== 0 || !help.stdout.startsWith("usage:") || help.stderr !== "") stop(1, `npm run token -- --help: ${help.stdout}${help.stderr}`);
const refusals: [string[], string][] = [
	[["--sub", "x", "--scope", "reveal", "--role", "driver", "--depot", "UR-TS-01"], '"driver" is not a role'],
	[["--sub", "x", "--scope", "reveal", "--role", "clerk", "--depot", "ur-ts-01"], "did you mean UR-TS-01"],
	[["--sub", "x", "--scope", "reveal", "--role", "clerk", "--depot", "NOWHERE-01"], "is not a demo depot"],
	[["--sub", "x", "--scope", "records:read read"], '"read" is not a scope'],
	[["--sub", "x", "--scope", "reveal", "--role", "clerk"], "--role needs --depot"],
	[["--sub", "x", "--scope", "reveal", "--role", "courier", "--depot", "UR-TS-01", "--phone", "12345"], "is not a phone number"],
];
for (const [args, reason] of refusals) {
	const refused = npm(["token", "--", ...args]);
	if (refused.status === 0 || refused.stdout !== "" || !refused.stderr.includes(reason) || /\n\s+at /.test(refused.stderr)) {
		stop(1, `npm run token -- ${args.join(" ")} should refuse, saying ${reason}: status ${refused.status}, ${refused.stderr}`);
	}
}
const withPhone = token(["--sub", "courier-ur-ts-01-1", "--scope", "reveal", "--role", "courier", "--depot", "UR-TS-01", "--phone", "+86 138 1234 5678"]);
const claims = JSON.parse(Buffer.from(withPhone.split(".")[1] ?? "", "base64url").toString("utf8")) as { phone_number?: string };
if (claims.phone_number !== "+8613812345678") stop(1, `--phone gave phone_number ${claims.phone_number}`);
const anyDepot = npm(["token", "--", "--sub", "x", "--scope", "reveal", "--role", "clerk", "--depot", "NOWHERE-01", "--any-depot"]);
if (anyDepot.status !== 0) stop(1, `--any-depot should mint a token for a depot of one's own: ${anyDepot.stderr}`);

// Every README shell block that talks to a running vault, as a user would paste it, with PORT set.
const blocks = readmeShellBlocks(readFileSync("README.md", "utf8")).filter((block) => !NOT_RUN.includes(block.section));
if (blocks.length < 4) stop(1, `found only ${blocks.length} README shell blocks to run`);
for (const block of blocks) {
	// curl -s hides HTTP errors; a block that gets one must fail here, so curl fails on them.
	const script = `set -euo pipefail\ncurl() { command curl --fail-with-body --show-error "$@"; }\n${block.text}`;
	const run = spawnSync("bash", ["-c", script], { encoding: "utf8", env, timeout: 60_000 });
	if (run.status !== 0 || run.stderr !== "") {
		stop(
			1,
			`README "${block.section}" (line ${block.line}) failed with PORT=${port}: status ${run.status}\n${run.stdout.slice(-1500)}\n${run.stderr.slice(-1500)}`,
		);
	}
}

await proxy.settled();
proxy.stop();
const violations = proxy.responseViolations();
if (violations.length > 0) stop(1, `answers the OpenAPI document does not describe (Prism):\n${violations.join("\n")}`);

stop(
	0,
	`dev smoke ok at ${baseUrl}: client types match the document, healthz, seed, token (help, refusals, phone), create, read back, reveal ask and single redeem, audit verify, sign-in offered, ${blocks.length} README blocks; /openapi.json Redocly-clean, every answer above held to it by Prism (which reports an undocumented status)`,
);

/** The ```sh blocks of a Markdown text, with the heading they sit under and their first line. */
function readmeShellBlocks(markdown: string): { section: string; line: number; text: string }[] {
	const blocks: { section: string; line: number; text: string }[] = [];
	let section = "";
	// Inside a fence; `shell` says whether it is a shell block (other fences are skipped whole, so their lines are not read as headings).
	let open: { shell: boolean; line: number; lines: string[] } | undefined;
	for (const [index, line] of markdown.split("\n").entries()) {
		if (open) {
			if (!/^```\s*$/.test(line)) open.lines.push(line);
			else {
				if (open.shell) blocks.push({ section, line: open.line, text: open.lines.join("\n") });
				open = undefined;
			}
		} else if (line.startsWith("```")) open = { shell: /^```(sh|bash|shell)\s*$/.test(line), line: index + 1, lines: [] };
		else if (/^#{1,6} /.test(line)) section = line.replace(/^#+ /, "").trim();
	}
	return blocks;
}
