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

/**
 * A lead-in before the measured seconds: the same load, not measured. What a request leaves
 * behind for later (a limiter's flush 2 s after a decision, the ledger's write to D1 a second
 * after that) then falls in the measured seconds as it does under a steady load, instead of the
 * measured seconds starting on an idle worker. `measuring` is called as the measured seconds begin.
 */
export interface LeadIn {
	seconds: number;
	measuring: () => void;
}

export async function load(
	connections: number,
	seconds: number,
	step: Step,
	maxRequests = Number.POSITIVE_INFINITY,
	leadIn: LeadIn = { seconds: 0, measuring: () => undefined },
): Promise<LoadResult> {
	const latencies: number[] = [];
	const errorSamples: string[] = [];
	let errors = 0;
	let started = 0;
	const begin = performance.now() + leadIn.seconds * 1000;
	const deadline = begin + seconds * 1000;
	const measuring = setTimeout(leadIn.measuring, leadIn.seconds * 1000);
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
				// Errors count from the first request; latencies only from the measured seconds.
				if (t0 >= begin) latencies.push(performance.now() - t0);
			}
		}),
	);
	clearTimeout(measuring);
	const elapsed = (performance.now() - begin) / 1000;
	latencies.sort((a, b) => a - b);
	return {
		requests: latencies.length,
		errors,
		seconds: elapsed,
		rps: latencies.length / elapsed,
		p50: percentile(latencies, 50),
		p95: percentile(latencies, 95),
		p99: percentile(latencies, 99),
		errorSamples,
	};
}
