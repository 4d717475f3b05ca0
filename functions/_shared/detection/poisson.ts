/**
 * Poisson sampling.
 *
 * - mean < PTRS_THRESHOLD (10): sequential-search inversion. One uniform per draw,
 *   expected mean + 1 comparisons, exact up to floating point. This is the hot path
 *   of every Monte Carlo replicate (cell-hour baselines are mostly far below 1), and
 *   callers that draw repeatedly from the same mean pass a precomputed exp(-mean)
 *   (`poissonInversion`) so that a zero draw costs one uniform and one comparison.
 * - mean ≥ 10: PTRS, the transformed rejection method with squeeze of Hörmann
 *   (1993, "The transformed rejection method for generating Poisson random
 *   variables", Insurance: Mathematics and Economics 12:39-45). It is exact (a
 *   rejection sampler, not an approximation), needs about 2.3 uniforms per draw
 *   whatever the mean, and Hörmann proves its hat valid for mean ≥ 10. Inversion
 *   would cost O(mean) and exp(-mean) underflows above 745; a normal approximation
 *   would distort the upper tail, which is exactly what a scan statistic looks at.
 */
import type { Rng } from './rng.ts';

export const PTRS_THRESHOLD = 10;

const LOG_FACT_TABLE_SIZE = 256;
const LOG_FACT = new Float64Array(LOG_FACT_TABLE_SIZE);
for (let i = 1; i < LOG_FACT_TABLE_SIZE; i++) LOG_FACT[i] = LOG_FACT[i - 1]! + Math.log(i);

const HALF_LOG_2PI = 0.9189385332046728;

/** log(k!) for integer k ≥ 0 (table below 256, Stirling series above; |error| < 1e-14 relative). */
export function logFactorial(k: number): number {
  if (k < LOG_FACT_TABLE_SIZE) return LOG_FACT[k] ?? 0;
  const x = k + 1;
  const ix = 1 / x;
  const ix2 = ix * ix;
  // log Γ(x) Stirling series.
  return (
    (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI +
    ix * (1 / 12 - ix2 * (1 / 360 - ix2 * (1 / 1260 - ix2 / 1680)))
  );
}

/** Poisson draw by inversion with a caller-supplied exp(-mean); for mean < 10. */
export function poissonInversion(rng: Rng, mean: number, expNegMean: number): number {
  const u = rng.next();
  let p = expNegMean;
  if (u <= p) return 0;
  let s = p;
  let x = 0;
  while (u > s) {
    x++;
    p *= mean / x;
    s += p;
    // Guard against the cumulative sum stalling below u through rounding.
    if (p < 1e-300 || x > 1000) break;
  }
  return x;
}

/** PTRS (Hörmann 1993), exact Poisson draw for mean ≥ 10. */
export function poissonPtrs(rng: Rng, mean: number): number {
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logFactorial(k)) {
      return k;
    }
  }
}

/** One Poisson(mean) draw. */
export function poisson(rng: Rng, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean < PTRS_THRESHOLD) return poissonInversion(rng, mean, Math.exp(-mean));
  return poissonPtrs(rng, mean);
}
