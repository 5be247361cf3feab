import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { simulateDay } from "../bench/simulate/day";
import type { PolicyRow } from "../src/limits/policy";

/** A small day through the same simulation `npm run simulate` runs, so it cannot rot. */
describe("harvest-day simulation (smoke)", () => {
	// CPU-bound for several seconds: on a busy machine it needs more than the default 5 s.
	it("with the migrated default policies: no honest employee suspended, every attacker flagged the same day", { timeout: 120_000 }, async () => {
		const policies = (await env.DB.prepare("SELECT * FROM policies").all<PolicyRow>()).results;
		const report = simulateDay({ depots: 6, couriersPerDepot: 9, clerks: 14, supervisors: 3, parcels: 8_000, honeytokenEvery: 200, seed: 11 }, policies);
		const goal = (start: string) => report.goals.find((g) => g.goal.startsWith(start));
		// The goals the vault meets today; probing by calls is reported, not asserted (see README). The ring's phones are
		// bounded by the plaintext phone limit of each member, whatever the day's size.
		for (const start of ["no honest employee is suspended", "every attacker", "the prober is suspended", "the stale screens", "the ring's plaintext phones"])
			expect(goal(start), start).toMatchObject({ met: true });
		// The stale screens tap 24 times whatever the day's size, 0.2% of this small day's honest work (0.03% of the full
		// day's, where the script checks the rate): here, no honest ask or call but those taps may be refused.
		const stale = report.attackers.filter((a) => a.honest);
		expect(stale.map((a) => a.refused)).toEqual([12, 12]);
		expect(report.honest.refused).toBe(24);
		expect(goal("the ring's plaintext phones")?.detail).toBe(String(report.ring.plaintext_phones));
		expect(report.honest).toMatchObject({ suspended: 0 });
		expect(report.honest.calls).toBeGreaterThan(5_000);

		const byName = (name: string) => report.attackers.filter((a) => a.name === name);
		// The stale screens' twelve taps are refused and counted apart: never a suspension.
		for (const stale of [...byName("stale screen (Reveal)"), ...byName("stale screen (Call)")]) expect(stale).toMatchObject({ suspended_at: null });
		expect(byName("prober")[0]).toMatchObject({ attack_tries: 10, suspended_at: expect.any(String) });
		expect(byName("bulk harvester")[0]).toMatchObject({ plaintext_records: 0, suspended_at: expect.any(String) });
		expect(byName("own old parcels")[0]?.flagged_by).toContain("reveals_after_close");
		// The ring stays under every limit (nobody suspended) and is flagged by the careful-insider scan.
		expect(report.ring.members).toHaveLength(5);
		for (const member of report.attackers.filter((a) => report.ring.members.includes(a.subject))) {
			expect(member.suspended_at).toBeNull();
			expect(member.first_flagged_at).not.toBeNull();
			expect(member.plaintext_records).toBeLessThanOrEqual(member.role === "supervisor" ? 400 : member.role === "courier" ? 300 : 150);
		}
		expect(report.ring.plaintext_records).toBe(
			report.attackers.filter((a) => report.ring.members.includes(a.subject)).reduce((sum, a) => sum + a.plaintext_records, 0),
		);
		for (const attacker of report.attackers) {
			for (const at of [attacker.first_flagged_at, attacker.suspended_at]) if (at !== null) expect(new Date(at).toISOString()).toBe(at);
		}
	});
});
