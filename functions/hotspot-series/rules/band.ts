/**
 * The band drawn around the expected count: the central 95 % interval of
 * Poisson(expected) — the 2.5 % and 97.5 % quantiles as R's qpois gives them (the
 * smallest k with P(X ≤ k) ≥ p). A plain Poisson band, not the scan's
 * posterior-predictive one: it says how unusual an hour's count is if the baseline
 * were exact, which is what a reader checks by eye.
 */
import { logFactorial } from '../../_shared/detection/poisson.ts';

/** Smallest k with P(X ≤ k) ≥ p for X ~ Poisson(mean); 0 for mean ≤ 0. */
export function poissonQuantile(p: number, mean: number): number {
  if (!(mean > 0)) return 0;
  if (!(p > 0 && p < 1)) throw new RangeError('p must be in (0, 1)');
  // Terms summed in log space from k = 0: fine for the counts of one hotspot's cells per hour.
  const logMean = Math.log(mean);
  let cdf = 0;
  const limit = Math.ceil(mean + 40 * Math.sqrt(mean) + 40);
  for (let k = 0; k <= limit; k++) {
    cdf += Math.exp(k * logMean - mean - logFactorial(k));
    if (cdf >= p * (1 - 1e-12)) return k;
  }
  return limit;
}

export const BAND_LEVEL = 0.95;

export function poissonBand(mean: number): { low: number; high: number } {
  const tail = (1 - BAND_LEVEL) / 2;
  return { low: poissonQuantile(tail, mean), high: poissonQuantile(1 - tail, mean) };
}
