/**
 * A closed-loop load generator: `connections` workers, each sending its next request as soon as
 * the last one answers, for `seconds`. Latency is measured per request (or per step sequence) on
 * the client, the same way for the vault and the baseline.
 */
export interface LoadResult {
	requests: number;
	errors: number;
	seconds: number;
	rps: number;
	p50: number;
	p95: number;
	p99: number;
	/** First few unexpected answers, for the report. */
	errorSamples: string[];
}

export type Step = () => Promise<{ ok: boolean; detail?: string }>;

function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return Number.NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function load(connections: number, seconds: number, step: Step, maxRequests = Number.POSITIVE_INFINITY): Promise<LoadResult> {
	const latencies: number[] = [];
	const errorSamples: string[] = [];
	let errors = 0;
	let started = 0;
	const deadline = performance.now() + seconds * 1000;
	const begin = performance.now();
	await Promise.all(
		Array.from({ length: connections }, async () => {
			while (performance.now() < deadline && started < maxRequests) {
				started++;
				const t0 = performance.now();
				try {
					const outcome = await step();
					if (!outcome.ok) {
						errors++;
						if (errorSamples.length < 3 && outcome.detail) errorSamples.push(outcome.detail);
					}
				} catch (error) {
					errors++;
					if (errorSamples.length < 3) errorSamples.push((error as Error).message);
				}
				latencies.push(performance.now() - t0);
			}
		}),
	);
	return summary(latencies, errors, errorSamples, (performance.now() - begin) / 1000);
}

function summary(latencies: number[], errors: number, errorSamples: string[], seconds: number): LoadResult {
	const sorted = [...latencies].sort((a, b) => a - b);
	return {
		requests: sorted.length,
		errors,
		seconds,
		rps: sorted.length / seconds,
		p50: percentile(sorted, 50),
		p95: percentile(sorted, 95),
		p99: percentile(sorted, 99),
		errorSamples,
	};
}

/** A step that may also time its parts (a full reveal's ask and its redeem), each reported as a result of its own. */
export type PartedStep = () => Promise<{ ok: boolean; detail?: string; parts?: Record<string, number> }>;

/**
 * One connection that sends one of each step in turn, in a fresh random order every time (so no
 * step always follows the same other), for `seconds`. Every step's latencies come from the same
 * seconds of the machine: their ratios do not move with whatever else ran minutes apart, as the
 * ratios of phases run one after another do. A step's latency counts only when it answered as
 * expected; its parts (named by the step) only then too.
 */
export async function inTurn(seconds: number, steps: Record<string, PartedStep>): Promise<Record<string, LoadResult>> {
	const timings = new Map<string, { latencies: number[]; errors: number; errorSamples: string[] }>();
	const timingOf = (name: string) => {
		const known = timings.get(name);
		if (known) return known;
		const timing = { latencies: [] as number[], errors: 0, errorSamples: [] as string[] };
		timings.set(name, timing);
		return timing;
	};
	for (const name of Object.keys(steps)) timingOf(name);
	const deadline = performance.now() + seconds * 1000;
	const begin = performance.now();
	while (performance.now() < deadline) {
		const order = Object.entries(steps);
		for (let i = order.length - 1; i > 0; i--) {
			const j = Math.floor(Math.random() * (i + 1));
			[order[i], order[j]] = [order[j] as (typeof order)[number], order[i] as (typeof order)[number]];
		}
		for (const [name, step] of order) {
			const timing = timingOf(name);
			const t0 = performance.now();
			try {
				const outcome = await step();
				const elapsed = performance.now() - t0;
				if (!outcome.ok) {
					timing.errors++;
					if (timing.errorSamples.length < 3 && outcome.detail) timing.errorSamples.push(outcome.detail);
					continue;
				}
				timing.latencies.push(elapsed);
				for (const [part, ms] of Object.entries(outcome.parts ?? {})) timingOf(part).latencies.push(ms);
			} catch (error) {
				timing.errors++;
				if (timing.errorSamples.length < 3) timing.errorSamples.push((error as Error).message);
			}
		}
	}
	const elapsed = (performance.now() - begin) / 1000;
	return Object.fromEntries([...timings].map(([name, t]) => [name, summary(t.latencies, t.errors, t.errorSamples, elapsed)]));
}
