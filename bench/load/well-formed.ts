/**
 * What a smoke run of the benchmark can honestly say: every phase ran at every concurrency, every
 * request got the answer it expected, and every figure is a number a report could print. It does
 * not judge the figures: half a second on a shared machine measures nothing.
 */
import type { LoadResult } from "./driver.ts";

export interface MicroResults {
	operations: { name: string; microseconds: number }[];
	revealWorkMicroseconds: number;
	bareCryptoMicroseconds: number;
}

const finite = (value: number): boolean => Number.isFinite(value) && value >= 0;

/** The problems found, one line each; none means the benchmark works. */
export function wellFormed(
	runs: Record<string, Record<string, LoadResult[]>>,
	expected: { phase: string; concurrencies: number[] }[],
	rounds: number,
	micro: MicroResults,
): string[] {
	const problems: string[] = [];
	for (const { phase, concurrencies } of expected) {
		for (const c of concurrencies) {
			const list = runs[phase]?.[`c${c}`] ?? [];
			if (list.length !== rounds) problems.push(`${phase} c=${c}: ${list.length} of ${rounds} runs`);
			for (const result of list) {
				if (result.requests === 0) problems.push(`${phase} c=${c}: no request was made`);
				if (result.errors > 0) problems.push(`${phase} c=${c}: ${result.errors} unexpected answers: ${result.errorSamples.join(" | ")}`);
				const figures = [result.rps, result.p50, result.p95, result.p99];
				if (!figures.every(finite)) problems.push(`${phase} c=${c}: figures not all numbers (${figures.join(", ")})`);
				else if (!(result.p50 <= result.p95 && result.p95 <= result.p99)) problems.push(`${phase} c=${c}: percentiles out of order`);
			}
		}
	}
	if (micro.operations.length === 0) problems.push("microbenchmark: no operations");
	for (const op of micro.operations) if (!finite(op.microseconds) || op.microseconds === 0) problems.push(`microbenchmark: ${op.name} = ${op.microseconds}`);
	if (!finite(micro.revealWorkMicroseconds) || !finite(micro.bareCryptoMicroseconds)) problems.push("microbenchmark: totals are not numbers");
	return problems;
}
