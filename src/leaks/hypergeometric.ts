/**
 * How unlikely an overlap is by chance: the upper tail of the hypergeometric distribution.
 *
 * A principal legitimately revealed `successes` of the `population` records of their depot(s) in
 * the period. A list holds `draws` of those records. Had the list been drawn at random from the
 * population, the number of its records the principal revealed, X, would follow
 * Hypergeometric(population, successes, draws), and
 *
 *   P(X ≥ k) = Σ_{i=k}^{min(K, n)} C(K, i) · C(N − K, n − i) / C(N, n)
 *
 * The score is −log10 of that tail: 0 when the overlap says nothing (k = 0), 2 for a 1-in-100
 * coincidence, 30 for what never happens by chance. Computed in logarithms, so lists of 10,000
 * and populations of millions neither overflow nor underflow.
 */

const SMALL = 256;
const smallLogFactorials: number[] = [0];
for (let i = 1; i < SMALL; i++) smallLogFactorials.push((smallLogFactorials[i - 1] as number) + Math.log(i));

/** ln(n!): exact sums below 256, Stirling's series with three correction terms above (error < 1e-12). */
export function logFactorial(n: number): number {
	if (n < SMALL) return smallLogFactorials[n] as number;
	const inv = 1 / n;
	const inv2 = inv * inv;
	return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

function logChoose(n: number, k: number): number {
	if (k < 0 || k > n) return Number.NEGATIVE_INFINITY;
	return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

export interface Overlap {
	/** N: records at the principal's depot(s) in the period. */
	population: number;
	/** K: records the principal revealed in the period. */
	successes: number;
	/** n: the list's records within that population. */
	draws: number;
	/** k: the list's records the principal revealed. */
	observed: number;
}

/**
 * ln P(X ≥ k). Inputs are made consistent first (N ≥ K + n − k, K ≥ k, n ≥ k): the counts come
 * from different queries taken a moment apart and a record reassigned across depots may be
 * counted on one side only; widening never makes a coincidence look rarer than it is.
 */
export function logUpperTail({ population, successes, draws, observed }: Overlap): number {
	const k = Math.max(0, Math.floor(observed));
	if (k === 0) return 0;
	const K = Math.max(successes, k);
	const n = Math.max(draws, k);
	const N = Math.max(population, K + n - k);
	const denominator = logChoose(N, n);
	const terms: number[] = [];
	for (let i = k; i <= Math.min(K, n); i++) terms.push(logChoose(K, i) + logChoose(N - K, n - i) - denominator);
	const peak = Math.max(...terms);
	if (peak === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
	const sum = terms.reduce((total, term) => total + Math.exp(term - peak), 0);
	return Math.min(0, peak + Math.log(sum));
}

/** The score of an overlap whose probability underflows even in logarithms. */
export const MAX_SCORE = 100_000;

/** −log10 P(X ≥ k), rounded to two decimals: the suspect's score. */
export function overlapScore(overlap: Overlap): number {
	const score = -logUpperTail(overlap) / Math.LN10;
	// `+ 0` turns the −0 of a certain overlap into 0; an impossible one (never by chance) is capped.
	return Number.isFinite(score) ? Math.round(score * 100) / 100 + 0 : MAX_SCORE;
}
