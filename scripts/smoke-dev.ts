/**
 * The README's promise, checked: `npm run dev` serves /healthz, and a record created with a token
 * from `npm run token` reads back. Runs `npm run dev` as a user would, on a free port.
 */
import { spawn, spawnSync } from "node:child_process";
import { freePort } from "./lib/wrangler-dev.ts";

const port = await freePort();
const baseUrl = `http://127.0.0.1:${port}`;
const dev = spawn("npm", ["run", "dev"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"], detached: true });
let output = "";
dev.stdout.on("data", (chunk) => (output += chunk));
dev.stderr.on("data", (chunk) => (output += chunk));

function stop(code: number, message: string): never {
	if (dev.pid) process.kill(-dev.pid, "SIGTERM");
	if (code !== 0) console.error(output.slice(-4000));
	console.log(message);
	process.exit(code);
}

const token = (args: string[]) => {
	const result = spawnSync("npm", ["run", "-s", "token", "--", ...args], { encoding: "utf8" });
	if (result.status !== 0) stop(1, `npm run token failed: ${result.stderr}`);
	return result.stdout.trim();
};

const deadline = Date.now() + 120_000;
while (!output.includes("contact-vault is running")) {
	if (Date.now() > deadline) stop(1, "npm run dev did not come up within two minutes");
	await new Promise((resolve) => setTimeout(resolve, 500));
}

const health = await fetch(`${baseUrl}/healthz`);
if (health.status !== 200) stop(1, `/healthz answered ${health.status}`);

const service = token(["--sub", "smoke-svc", "--scope", "records:write records:read"]);
const headers = { Authorization: `Bearer ${service}`, "Content-Type": "application/json" };
const created = await fetch(`${baseUrl}/v1/records`, {
	method: "POST",
	headers,
	body: JSON.stringify({
		shipment_id: `SMOKE${Date.now()}`,
		party: "recipient",
		contact: { name: "张三", phone: "13812345678", address: "广东省深圳市南山区科技园路1号" },
		depot: "SZ-NS-01",
	}),
});
if (created.status !== 201) stop(1, `create answered ${created.status}: ${await created.text()}`);
const { id } = (await created.json()) as { id: string };
const read = await fetch(`${baseUrl}/v1/records/${id}`, { headers });
const view = (await read.json()) as { masked?: { phone?: string } };
if (read.status !== 200 || view.masked?.phone !== "1******5678") stop(1, `read back answered ${read.status}: ${JSON.stringify(view)}`);

const demo = await fetch(`${baseUrl}/v1/records?shipment_id=DEMO000001`, { headers });
const demoRecords = ((await demo.json()) as { records: { id: string; party: string; depot: string; courier: string | null }[] }).records;
if (demoRecords.length !== 2) stop(1, "demo data is not there");

// The depot terminal's flow, as the README shows it: scan, ask, redeem once.
const parcel = demoRecords.find((record) => record.party === "recipient" && record.courier) ?? stop(1, "no assigned demo recipient");
const courier = token(["--sub", parcel.courier as string, "--scope", "reveal", "--role", "courier", "--depot", parcel.depot]);
const employee = { Authorization: `Bearer ${courier}`, "Content-Type": "application/json" };
const scanned = (await (await fetch(`${baseUrl}/v1/records?shipment_id=DEMO000001`, { headers: employee })).json()) as { records: { id: string }[] };
if (scanned.records.length !== 1) stop(1, `the courier sees ${scanned.records.length} records of the shipment, expected 1`);
const asked = await fetch(`${baseUrl}/v1/reveals`, {
	method: "POST",
	headers: employee,
	body: JSON.stringify({ record_id: parcel.id, fields: ["phone"], purpose: "delivery" }),
});
if (asked.status !== 201) stop(1, `reveal ask answered ${asked.status}: ${await asked.text()}`);
const { reveal_token } = (await asked.json()) as { reveal_token: string };
const redeemed = await fetch(`${baseUrl}/v1/reveals/redeem`, { method: "POST", headers: employee, body: JSON.stringify({ reveal_token }) });
const revealed = (await redeemed.json()) as { fields?: { phone?: string } };
if (redeemed.status !== 200 || !revealed.fields?.phone?.startsWith("+")) stop(1, `redeem answered ${redeemed.status}`);
const replay = await fetch(`${baseUrl}/v1/reveals/redeem`, { method: "POST", headers: employee, body: JSON.stringify({ reveal_token }) });
if (replay.status !== 409) stop(1, `a second redeem answered ${replay.status}, expected 409`);

const ops = token(["--sub", "ops-smoke", "--scope", "ops"]);
const verified = (await (await fetch(`${baseUrl}/v1/audit/verify`, { headers: { Authorization: `Bearer ${ops}` } })).json()) as { ok?: boolean };
if (verified.ok !== true) stop(1, `audit verify: ${JSON.stringify(verified)}`);

stop(0, `dev smoke ok at ${baseUrl}: healthz, token, create, read back, demo data, reveal ask and single redeem, audit verify`);
