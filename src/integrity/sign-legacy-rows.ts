import { auditWitnessFor } from "../audit/witness-client";
import { issuerDirectory } from "../auth/issuer-directory";
import { keyringConfig, trustedIssuersConfig } from "../config";
import type { Keyring } from "../crypto/keyring";
import { keyringFor } from "../crypto/keyring";
import { sealRow } from "../crypto/row-mac";
import type { Env } from "../env";
import { learnLegacyRowsSigned } from "./legacy-rows";
import { alertTriageContent, eventContent, legContent, policyContent, recordContent, statusContent } from "./row-contents";
import { type RecordMacWrite, RowMacStore } from "./row-mac-store";

/** Records MACed per run: 10 statements of 100, well inside the per-invocation query limit. */
const RECORDS_PER_RUN = 1_000;

export interface LegacyRun {
	status: "signed" | "signing";
	policies: number;
	statuses: number;
	records: number;
	legs: number;
	alerts: number;
	events: number;
}

/**
 * The every-minute legacy job (migrations 0014, 0018 and 0019): MACs rows written before there were MACs
 * for their table, as they are, a bounded batch a run. A run that finds none left of a migration's
 * tables tells the witness, and from then on a row of those tables without a MAC is a forgery
 * (legacy-rows.ts). Rows are MACed as they read when the job reaches them: an edit made straight in
 * D1 before then is blessed with them, which is why the job runs from the first minute after the
 * migration and the window is documented.
 */
export async function signLegacyRows(env: Env, options: { recordsPerRun?: number } = {}): Promise<LegacyRun> {
	const idle = { policies: 0, statuses: 0, records: 0, legs: 0, alerts: 0, events: 0 };
	const witness = auditWitnessFor(env);
	if (!witness) return { status: "signing", ...idle };
	const [first, second, third] = await Promise.all([witness.legacyRowsSigned("0014"), witness.legacyRowsSigned("0018"), witness.legacyRowsSigned("0019")]);
	learnLegacyRowsSigned(first !== null, "0014");
	learnLegacyRowsSigned(second !== null, "0018");
	learnLegacyRowsSigned(third !== null, "0019");
	if (first !== null && second !== null && third !== null) return { status: "signed", ...idle };
	const keyring = await keyringFor(keyringConfig(env));
	const store = new RowMacStore(env.DB);
	const stored = storedIssuerOf(env);
	const perRun = options.recordsPerRun ?? RECORDS_PER_RUN;
	const run = {
		...idle,
		...(first === null ? await signOnce(store, keyring, stored, perRun) : {}),
		...(second === null ? await signOnce0018(store, keyring, stored, perRun) : {}),
		...(third === null ? await signOnce0019(store, keyring, stored, perRun) : {}),
	};
	const now = Date.now();
	if (first === null && run.policies + run.statuses + run.records === 0) {
		await witness.markLegacyRowsSigned(now, "0014");
		learnLegacyRowsSigned(true, "0014");
	}
	if (second === null && run.legs + run.alerts === 0) {
		await witness.markLegacyRowsSigned(now, "0018");
		learnLegacyRowsSigned(true, "0018");
	}
	if (third === null && run.events === 0) {
		await witness.markLegacyRowsSigned(now, "0019");
		learnLegacyRowsSigned(true, "0019");
	}
	const done =
		(first !== null || run.policies + run.statuses + run.records === 0) &&
		(second !== null || run.legs + run.alerts === 0) &&
		(third !== null || run.events === 0);
	return { ...run, status: done ? "signed" : "signing" };
}

/** Legs and alert triage from before migration 0018, as they are; the batches stay within D1's 100 KB a statement. */
async function signOnce0018(store: RowMacStore, keyring: Keyring, stored: (issuer: string | null) => string, perRun: number) {
	const legs = await store.unsignedLegs(perRun);
	const legWrites = await Promise.all(
		legs.map(async (leg) => ({
			...leg,
			old_mac: null,
			...(await sealRow(keyring, "legs", legContent({ ...leg, courier_issuer: leg.courier === null ? null : stored(leg.courier_issuer) }))),
		})),
	);
	// One statement per alert: at most 100 a run, well inside the per-invocation query limit.
	const alerts = await store.unsignedTriage(Math.min(perRun, 100));
	const alertWrites = await Promise.all(
		alerts.map(async (row) => {
			const seal = await sealRow(keyring, "alerts", alertTriageContent(row));
			return store.setTriageMac(row, seal.mac, seal.mac_key);
		}),
	);
	const batches = [];
	for (let i = 0; i < legWrites.length; i += 100) batches.push(store.setLegMacs(legWrites.slice(i, i + 100)));
	await store.run([...batches, ...alertWrites]);
	return { legs: legs.length, alerts: alerts.length };
}

/** Shipment events from before migration 0019, as they are, in batches of 100 (within D1's 100 KB a statement). */
async function signOnce0019(store: RowMacStore, keyring: Keyring, stored: (issuer: string | null) => string, perRun: number) {
	const events = await store.unsignedEvents(perRun);
	const writes = await Promise.all(
		events.map(async (event) => ({
			...event,
			old_mac: null,
			...(await sealRow(keyring, "shipment_events", eventContent({ ...event, courier_issuer: event.courier === null ? null : stored(event.courier_issuer) }))),
		})),
	);
	const batches = [];
	for (let i = 0; i < writes.length; i += 100) batches.push(store.setEventMacs(writes.slice(i, i + 100)));
	await store.run(batches);
	return { events: events.length };
}

async function signOnce(store: RowMacStore, keyring: Keyring, stored: (issuer: string | null) => string, recordsPerRun: number) {
	const layers = (await store.policyLayers()).filter((layer) => layer.mac === null && layer.mac_key === null);
	const layerWrites = await Promise.all(
		layers.map(async (layer) => {
			const seal = await sealRow(
				keyring,
				"policies",
				policyContent(layer, (issuer) => stored(issuer)),
			);
			return store.setPolicyMac(layer, seal.mac, seal.mac_key);
		}),
	);
	const statuses = (await store.statuses(100_000)).filter((row) => row.mac === null && row.mac_key === null);
	const statusWrites = await Promise.all(
		statuses.map(async (row) => {
			const seal = await sealRow(keyring, "principal_status", statusContent({ ...row, issuer: stored(row.issuer) }));
			return store.setStatusMac(row, seal.mac, seal.mac_key);
		}),
	);
	const records = await store.unsignedRecords(recordsPerRun);
	const recordWrites: RecordMacWrite[] = await Promise.all(
		records.map(async (row) => {
			const courierIssuer = row.courier === null ? null : stored(row.courier_issuer);
			// Unsigned, so the bit is as `honeytokens` lists it now.
			const seal = await sealRow(keyring, "records", recordContent({ ...row, courier_issuer: courierIssuer, honeytoken: row.honeytoken === 1 }));
			return { id: row.id, depot: row.depot, courier: row.courier, courier_issuer: row.courier_issuer, old_mac: null, ...seal };
		}),
	);
	const batches = [];
	for (let i = 0; i < recordWrites.length; i += 100) batches.push(store.setRecordMacs(recordWrites.slice(i, i + 100)));
	await store.run([...layerWrites, ...statusWrites, ...batches]);
	return { policies: layers.length, statuses: statuses.length, records: records.length };
}

/** What a stored issuer means: '' (a row from before migration 0006) is the employee issuer. */
export function storedIssuerOf(env: Env): (issuer: string | null) => string {
	return (issuer) => (issuer ? issuer : issuerDirectory(trustedIssuersConfig(env)).stored(issuer ?? ""));
}
