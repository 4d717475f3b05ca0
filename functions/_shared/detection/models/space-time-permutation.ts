/**
 * Space-time permutation scan statistic (Kulldorff et al. 2005, PLoS Med 2:e59).
 *
 * Cases only: with N_z the cases of zone z over the whole study period, N_w the
 * cases of all locations during window w and C the total, the expected count of the
 * cylinder is μ = N_z·N_w / C, and the Poisson-form GLR
 *   c·log(c/μ) + (C − c)·log((C − c)/(C − μ))   (c > μ)
 * is maximised (it is "no longer a formal likelihood ratio test"). Both marginals are
 * preserved by the null replicates, which randomly permute the case times among the
 * cases, so purely spatial or purely temporal variation (a citywide surge) is not a
 * cluster.
 */
import type { ReplicateSink } from '../replicate-sink.ts';
import type { Rng } from '../rng.ts';

export { kulldorffLlr as permutationScore } from './kulldorff-poisson.ts';

/**
 * Permutation replicate generator. Only the scanned buckets matter: a random subset
 * of the cases receives the scanned buckets' times (bucket j gets exactly
 * `bucketTotals[j]` cases, its observed marginal), drawn by a partial Fisher–Yates
 * shuffle of the case locations. Cost per replicate: O(cases in scanned buckets).
 */
export class PermutationReplicator {
  private readonly caseLocation: Int32Array;
  private readonly bucketTotals: Int32Array;
  private readonly nBuckets: number;
  constructor(caseLocation: Int32Array, bucketTotals: ArrayLike<number>) {
    this.caseLocation = Int32Array.from(caseLocation);
    this.nBuckets = bucketTotals.length;
    this.bucketTotals = Int32Array.from(bucketTotals);
    let m = 0;
    for (let j = 0; j < this.nBuckets; j++) m += this.bucketTotals[j]!;
    if (m > this.caseLocation.length) throw new RangeError('bucket totals exceed the number of cases');
  }
  generate(rng: Rng, sink: ReplicateSink): void {
    const cases = this.caseLocation;
    const n = cases.length;
    const nb = this.nBuckets;
    let pos = 0;
    for (let j = 0; j < nb; j++) {
      const m = this.bucketTotals[j]!;
      for (let q = 0; q < m; q++) {
        const r = pos + Math.floor(rng.next() * (n - pos));
        const loc = cases[r]!;
        cases[r] = cases[pos]!;
        cases[pos] = loc;
        pos++;
        sink.add(loc, j, 1);
      }
    }
  }
}

/** Expected counts μ(l, j) = N_l · N_j / C for the scanned buckets (row-major by location). */
export function permutationExpected(
  locationTotals: ArrayLike<number>,
  bucketTotals: ArrayLike<number>,
  total: number,
): Float64Array {
  const nl = locationTotals.length;
  const nb = bucketTotals.length;
  const out = new Float64Array(nl * nb);
  if (!(total > 0)) return out;
  for (let l = 0; l < nl; l++) {
    const nlv = locationTotals[l]!;
    for (let j = 0; j < nb; j++) out[l * nb + j] = (nlv * bucketTotals[j]!) / total;
  }
  return out;
}
