import type { RecordedAsk } from "../src/audit/recorded-asks";
import type { RecordedCall } from "../src/audit/recorded-calls";
import type { PolicyRow } from "../src/limits/policy";
import { replay } from "../src/simulation/replay";

/**
 * What one POST /v1/policies/simulate costs in CPU: N recorded asks of one depot (20 couriers, 2
 * clerks, a supervisor) over 15 days (14 and the warm-up day), each replayed through `decide` twice
 * (today's layers and a proposal), and M recorded calls beside them through `decideCall` twice.
 * Prints figures; run with `npx tsx bench/policy-replay.ts [N] [M]` (M: 0 unless given).
 */
const N = Number(process.argv[2] ?? 100_000);
const M = Number(process.argv[3] ?? 0);
/** Node's process CPU clock: what a Worker's CPU limit counts, unlike wall time on a shared machine. */
type CpuUsage = { user: number; system: number };
const cpuUsage = (previous?: CpuUsage) => (process as unknown as { cpuUsage(previous?: CpuUsage): CpuUsage }).cpuUsage(previous);
const people = [
	...Array.from({ length: 20 }, (_, i) => ({ subject: `c${i}`, role: "courier" })),
	{ subject: "k0", role: "clerk" },
	{ subject: "k1", role: "clerk" },
	{ subject: "s0", role: "supervisor" },
];
const start = Date.UTC(2026, 10, 1);
const span = 15 * 86_400_000;
const asks: RecordedAsk[] = Array.from({ length: N }, (_, i) => {
	const who = people[i % people.length] as { subject: string; role: string };
	return {
		seq: i + 1,
		at: start + Math.floor((i * span) / N),
		granted: true,
		issuer: "iss",
		subject: who.subject,
		role: who.role,
		depot: "D1",
		recordId: `r${i}`,
		reason: null,
	};
});
const calls: RecordedCall[] = Array.from({ length: M }, (_, i) => {
	const who = people[i % people.length] as { subject: string; role: string };
	return {
		seq: N + i + 1,
		at: start + Math.floor((i * span) / M),
		kind: "call.granted",
		issuer: "iss",
		subject: who.subject,
		role: who.role,
		depot: "D1",
		recordId: `r${i}`,
		reason: null,
		callId: `call_${i}`,
		reused: false,
		legRefusal: false,
		action: null,
	};
});
const rows: PolicyRow[] = [
	{
		layer: "role",
		target_issuer: "",
		target: "courier",
		mode: "enforce",
		burst_limit: 30,
		burst_window_seconds: 600,
		daily_limit: 400,
		distinct_limit: 300,
		ring_threshold: null,
		depot_daily_budget: null,
		lookup_limit: null,
		lookup_window_seconds: null,
		require_active_leg: null,
		leg_grace_seconds: null,
		stale_window_seconds: null,
		case_limit: null,
		plaintext_phone_limit: null,
		call_burst_limit: null,
		call_burst_window_seconds: null,
		call_daily_limit: null,
		call_distinct_limit: null,
		lookup_daily_limit: null,
		miss_limit: null,
		refusal_limit: null,
		version: 1,
		updated_by: "x",
		updated_at: 0,
	},
];
const proposed = rows.map((row) => ({ ...row, daily_limit: 150, distinct_limit: 150, call_daily_limit: 150, call_distinct_limit: 150 }));
const t0 = performance.now();
const c0 = cpuUsage();
const result = replay(asks, [], rows, proposed, start + 86_400_000, start + span, calls);
const ms = performance.now() - t0;
const cpu = cpuUsage(c0);
const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
console.log(
	JSON.stringify({
		asks: N,
		replayed: result.asks,
		ms: Math.round(ms),
		cpu_ms: cpuMs,
		calls: M,
		calls_replayed: result.calls.calls,
		per_decided_us: Math.round((ms * 1000) / (N + M)),
		current_refused: result.current.refused,
		proposed_refused: result.proposed.refused,
		calls_current_refused: result.calls.current.refused,
		calls_proposed_refused: result.calls.proposed.refused,
	}),
);
