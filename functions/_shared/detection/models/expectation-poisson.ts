/**
 * Expectation-based Poisson (EBP) scan statistic (Neill 2005/2009).
 *
 * Given baselines b (expected counts under the null, e.g. forecasts from history),
 * the alternative is a multiplicative inflation q > 1 inside the space-time cylinder:
 *   score = c·log(c/b) + b − c   if c > b, else 0,
 * where c and b are the observed count and the baseline summed over the cylinder.
 * Unlike Kulldorff's model it does not condition on the total, so a region-wide surge
 * is detected. Null replicates draw every cell-bucket count from Poisson(b).
 */
import { poissonFill, precomputeExpNeg } from '../poisson.ts';
import type { Rng } from '../rng.ts';

export function ebpScore(c: number, b: number): number {
  if (!(c > b)) return 0;
  if (!(b > 0)) return Infinity;
  return c * Math.log(c / b) + b - c;
}

/** Poisson(b) replicate of the scanned cell-bucket matrix. */
export class EbpReplicator {
  private readonly means: Float64Array;
  private readonly expNeg: Float64Array;
  constructor(baselines: Float64Array) {
    this.means = baselines;
    this.expNeg = precomputeExpNeg(baselines);
  }
  generate(rng: Rng, out: Float64Array): void {
    poissonFill(rng, this.means, this.expNeg, out);
  }
}
