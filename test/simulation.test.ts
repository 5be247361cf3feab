import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { simulateDay } from "../bench/simulate/day";
import type { PolicyRow } from "../src/limits/policy";

/** A small day through the same simulation `npm run simulate` runs, so it cannot rot. */
describe("harvest-day simulation (smoke)", () => {
	// CPU-bound for a few seconds: on a busy machine it needs more than the default 5 s.
	it("meets every goal on a small carrier with the migrated default policies", { timeout: 60_000 }, async () => {
		const policies = (await env.DB.prepare("SELECT * FROM policies").all<PolicyRow>()).results;
		const report = simulateDay({ depots: 6, couriersPerDepot: 9, clerks: 14, supervisors: 3, parcels: 8_000, honeytokenEvery: 200, seed: 11 }, policies);
		expect(report.goals.filter((goal) => !goal.met).map((goal) => `${goal.goal}: ${goal.detail}`)).toEqual([]);
		expect(report.honest.asks).toBeGreaterThan(1000);
		const prober = report.attackers.find((a) => a.name.includes("courier-prober"));
		expect(prober).toMatchObject({ recordsObtained: 0, suspendedAfterAsks: 10 });
		for (const attacker of report.attackers) expect(attacker.recordsObtained).toBeLessThanOrEqual(attacker.role === "courier" ? 300 : 150);
		expect(report.alerts.map((alert) => alert.kind)).toContain("depot_ring_suspected");
	});
});
