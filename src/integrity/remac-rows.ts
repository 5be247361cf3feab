import { keyringConfig } from "../config";
import { keyringFor } from "../crypto/keyring";
import { checkRow, sealRow } from "../crypto/row-mac";
import type { Env } from "../env";
import { alertTriageContent, eventContent, legContent, policyContent, recordContent, statusContent } from "./row-contents";
import { type RecordMacWrite, RowMacStore, type StoredEvent, type StoredLeg } from "./row-mac-store";
import { storedIssuerOf } from "./sign-legacy-rows";

const RECORD_BATCH = 100;
const RECORD_BATCHES_PER_RUN = 10;
const LEGS_PER_RUN = 1_000;
const EVENTS_PER_RUN = 1_000;
const ALERTS_PER_RUN = 100;

export interface RemacRun {
	policies: number;
	statuses: number;
	records: number;
	legs: number;
	alerts: number;
	events: number;
	/** Rows under an old key whose MAC did not verify: left as they are, for verification and the readers to report. */
	failed: number;
}

/**
 * The every-minute re-MAC job: after a rotation, moves every row's MAC from an older key to the
 * primary, like the re-wrap job moves records' data keys (src/keys/rewrap.ts). A MAC is renewed
 * only if it verifies under the key it names, so a forged row is never blessed under the new key;
 * a row changed since it was read is left to the next run (compare-and-set). Once no row names an
 * older key, that key can leave VAULT_KEYRING (`GET /v1/keys` counts them).
 */
export async function remacToPrimary(env: Env): Promise<RemacRun> {
	const keyring = await keyringFor(keyringConfig(env));
	const primary = keyring.primaryKeyId;
	const store = new RowMacStore(env.DB);
	const stored = storedIssuerOf(env);
	const run: RemacRun = { policies: 0, statuses: 0, records: 0, legs: 0, alerts: 0, events: 0, failed: 0 };
	// Rows under a key the ring no longer holds cannot be judged: left for verification to report.
	const old = (macKey: string | null) => macKey !== null && macKey !== primary && keyring.hasKey(macKey);

	const writes: D1PreparedStatement[] = [];
	for (const layer of (await store.policyLayers()).filter((row) => old(row.mac_key as string | null))) {
		const content = policyContent(layer, (issuer) => stored(issuer));
		const seal = { mac: layer.mac as string | null, mac_key: layer.mac_key as string | null };
		if ((await checkRow(keyring, "policies", content, seal)) !== "valid") {
			run.failed++;
			continue;
		}
		const next = await sealRow(keyring, "policies", content);
		writes.push(store.setPolicyMac(layer, next.mac, next.mac_key));
		run.policies++;
	}
	for (const row of (await store.statuses(100_000)).filter((status) => old(status.mac_key))) {
		const content = statusContent({ ...row, issuer: stored(row.issuer) });
		if ((await checkRow(keyring, "principal_status", content, row)) !== "valid") {
			run.failed++;
			continue;
		}
		const next = await sealRow(keyring, "principal_status", content);
		writes.push(store.setStatusMac(row, next.mac, next.mac_key));
		run.statuses++;
	}
	const others = keyring.keyIds().filter((id) => id !== primary);
	for (const row of await store.triageMacedUnder(others, ALERTS_PER_RUN)) {
		const content = alertTriageContent(row);
		if ((await checkRow(keyring, "alerts", content, row)) !== "valid") {
			run.failed++;
			continue;
		}
		const next = await sealRow(keyring, "alerts", content);
		writes.push(store.setTriageMac(row, next.mac, next.mac_key));
		run.alerts++;
	}
	await store.run(writes);

	// Legs under an older key, a bounded batch a run (index legs_mac_key); a leg that no longer verifies keeps its MAC and is left for verification to report.
	const legs: (StoredLeg & { old_mac: string | null })[] = [];
	for (const leg of await store.legsMacedUnder(others, LEGS_PER_RUN)) {
		const content = legContent({ ...leg, courier_issuer: leg.courier === null ? null : stored(leg.courier_issuer) });
		if ((await checkRow(keyring, "legs", content, leg)) !== "valid") {
			run.failed++;
			continue;
		}
		legs.push({ ...leg, old_mac: leg.mac, ...(await sealRow(keyring, "legs", content)) });
	}
	const legBatches = [];
	for (let i = 0; i < legs.length; i += 100) legBatches.push(store.setLegMacs(legs.slice(i, i + 100)));
	run.legs += await store.run(legBatches);

	// Shipment events the same way (index shipment_events_mac_key).
	const events: (StoredEvent & { old_mac: string | null })[] = [];
	for (const event of await store.eventsMacedUnder(others, EVENTS_PER_RUN)) {
		const content = eventContent({ ...event, courier_issuer: event.courier === null ? null : stored(event.courier_issuer) });
		if ((await checkRow(keyring, "shipment_events", content, event)) !== "valid") {
			run.failed++;
			continue;
		}
		events.push({ ...event, old_mac: event.mac, ...(await sealRow(keyring, "shipment_events", content)) });
	}
	const eventBatches = [];
	for (let i = 0; i < events.length; i += 100) eventBatches.push(store.setEventMacs(events.slice(i, i + 100)));
	run.events += await store.run(eventBatches);

	let after = "";
	for (let batch = 0; batch < RECORD_BATCHES_PER_RUN; batch++) {
		const rows = await store.recordsMacedUnder(others, after, RECORD_BATCH);
		if (rows.length === 0) break;
		after = (rows.at(-1) as { id: string }).id;
		const renewed: RecordMacWrite[] = [];
		for (const row of rows) {
			const courierIssuer = row.courier === null ? null : stored(row.courier_issuer);
			const content = recordContent({ ...row, courier_issuer: courierIssuer, honeytoken: row.honeytoken === 1 });
			// The honeytoken bit is the MAC's: try the other way before calling it forged.
			const flipped = recordContent({ ...row, courier_issuer: courierIssuer, honeytoken: row.honeytoken !== 1 });
			const valid =
				(await checkRow(keyring, "records", content, row)) === "valid"
					? content
					: (await checkRow(keyring, "records", flipped, row)) === "valid"
						? flipped
						: null;
			if (!valid) {
				run.failed++;
				continue;
			}
			renewed.push({
				id: row.id,
				depot: row.depot,
				courier: row.courier,
				courier_issuer: row.courier_issuer,
				old_mac: row.mac,
				...(await sealRow(keyring, "records", valid)),
			});
		}
		if (renewed.length > 0) run.records += await store.run([store.setRecordMacs(renewed)]);
	}
	return run;
}
