/**
 * Puts demo shipments into the running local vault through the API (never straight into D1, so
 * the data is encrypted exactly as production data is), and reports today's work on them as
 * shipment events, so their legs are open. Safe to run again: it writes no record twice if the
 * demo data is there, and its batches carry Idempotency-Keys (the events' key is the hour's: each
 * hour the demo routes go out again).
 */
import { DEPOTS, demoLegEvents, demoRecords } from "./lib/demo-data.ts";
import { mintDevToken } from "./lib/dev-issuer.ts";
import { devBaseUrl } from "./lib/dev-url.ts";

export const DEMO_SHIPMENTS = 200;

export async function seed(baseUrl: string, root: string): Promise<"seeded" | "present"> {
	const token = await mintDevToken(root, { sub: "demo-seed", scope: "records:write records:read", ttlSeconds: 300 });
	const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
	const probe = await fetch(`${baseUrl}/v1/records?shipment_id=DEMO000001`, { headers });
	if (!probe.ok) throw new Error(`seed: probe failed with ${probe.status}: ${await probe.text()}`);
	const present = ((await probe.json()) as { records: unknown[] }).records.length > 0;
	const records = demoRecords(DEMO_SHIPMENTS);
	if (!present) {
		const response = await fetch(`${baseUrl}/v1/records/batch`, {
			method: "POST",
			headers: { ...headers, "Idempotency-Key": "demo-seed-v1" },
			body: JSON.stringify({ records }),
		});
		if (response.status !== 201) throw new Error(`seed: batch failed with ${response.status}: ${await response.text()}`);
	}
	// Dated from the hour, keyed by it: a second run within the hour replays the same body; a later one reports the routes again.
	const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
	const legs = await fetch(`${baseUrl}/v1/shipment-events`, {
		method: "POST",
		headers: { ...headers, "Idempotency-Key": `demo-legs-v1-${new Date(hour).toISOString().slice(0, 13)}` },
		body: JSON.stringify({ events: demoLegEvents(records, hour) }),
	});
	if (legs.status !== 200) throw new Error(`seed: shipment events failed with ${legs.status}: ${await legs.text()}`);
	return present ? "present" : "seeded";
}

export function describeDemo(): string {
	const sample = demoRecords(3).filter((record) => record.courier);
	return [
		`demo data: ${DEMO_SHIPMENTS} shipments (DEMO000001…DEMO${String(DEMO_SHIPMENTS).padStart(6, "0")}), ${DEMO_SHIPMENTS * 2} contacts`,
		`  depots: ${DEPOTS.join(", ")}`,
		`  e.g. ${sample.map((record) => `${record.shipment_id} → ${record.depot} / ${record.courier}`).join("; ")}`,
		`  legs: DEMO000001…DEMO${String(Math.ceil((DEMO_SHIPMENTS * 2) / 3)).padStart(6, "0")} out for delivery today, the rest delivered an hour ago; every 20th sender has a pickup; DEMO000003 is being returned`,
	].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
	let baseUrl: string;
	try {
		baseUrl = devBaseUrl();
	} catch (error) {
		console.error(`npm run seed: ${(error as Error).message}`);
		process.exit(2);
	}
	try {
		const outcome = await seed(baseUrl, process.cwd());
		console.log(outcome === "seeded" ? `seeded ${baseUrl}` : `demo data already present at ${baseUrl}`);
		console.log(describeDemo());
	} catch (error) {
		const reason = error instanceof TypeError ? `nothing answers at ${baseUrl}` : (error as Error).message;
		console.error(`npm run seed: ${reason}`);
		console.error("Is the vault running? Start it with `npm run dev`; seed looks where dev listens (PORT, default 8787), or at VAULT_URL.");
		process.exit(1);
	}
}
