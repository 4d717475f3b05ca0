/**
 * Kulldorff's discrete Poisson scan statistic, conditioned on the total number of
 * cases C (SaTScan user guide, "Likelihood Ratio Test"):
 *   LLR = c·log(c/e) + (C − c)·log((C − c)/(C − e))   if c > e, else 0,
 * where c is the observed and e the expected count inside the cylinder, with the
 * expected counts (from population, or from covariate-adjusted expected counts)
 * scaled so that they sum to C. Null replicates distribute the C cases
 * multinomially over the cell-buckets in proportion to their expected counts.
 */
import type { ReplicateSink } from '../replicate-sink.ts';
import type { Rng } from '../rng.ts';

export function kulldorffLlr(c: number, e: number, total: number): number {
  if (!(c > e)) return 0;
  if (!(e > 0)) return Infinity;
  const out = total - c;
  const outE = total - e;
  let s = c * Math.log(c / e);
  if (out > 0) s += out * Math.log(out / outE);
  return s;
}

/** SaTScan relative risk: (c/e) / ((C − c)/(C − e)). */
export function kulldorffRelativeRisk(c: number, e: number, total: number): number {
  const inside = c / e;
  const outside = (total - c) / (total - e);
  return outside > 0 ? inside / outside : Infinity;
}

/**
 * Walker's alias table for sampling categories with probabilities ∝ weights,
 * O(1) per draw after O(n) set-up.
 */
export class AliasTable {
  readonly n: number;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;
  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new RangeError('alias table needs at least one category');
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError('weights must be finite and ≥ 0');
      total += w;
    }
    if (!(total > 0)) throw new RangeError('weights must not all be zero');
    this.n = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i]! * n) / total;
      (scaled[i]! < 1 ? small : large).push(i);
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large[large.length - 1]!;
      this.prob[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      if (scaled[l]! < 1) {
        large.pop();
        small.push(l);
      }
    }
    for (const i of large) {
      this.prob[i] = 1;
      this.alias[i] = i;
    }
    for (const i of small) {
      this.prob[i] = 1;
      this.alias[i] = i;
    }
  }
  sample(rng: Rng): number {
    const u = rng.next() * this.n;
    const i = Math.floor(u);
    return u - i < this.prob[i]! ? i : this.alias[i]!;
  }
}

/**
 * Multinomial replicate: C cases over the scanned cell-buckets (weights = expected)
 * plus one "elsewhere" category holding the expected count of cell-buckets that no
 * window can reach (e.g. earlier buckets in a prospective scan).
 */
export class MultinomialReplicator {
  private readonly table: AliasTable;
  private readonly nScanned: number;
  private readonly total: number;
  private readonly nBuckets: number;
  constructor(expectedScanned: Float64Array, expectedElsewhere: number, total: number, nBuckets: number) {
    const w = new Float64Array(expectedScanned.length + 1);
    w.set(expectedScanned);
    w[expectedScanned.length] = Math.max(0, expectedElsewhere);
    this.table = new AliasTable(w);
    this.nScanned = expectedScanned.length;
    this.total = total;
    this.nBuckets = nBuckets;
  }
  generate(rng: Rng, sink: ReplicateSink): void {
    const n = this.nScanned;
    const B = this.nBuckets;
    for (let i = 0; i < this.total; i++) {
      const k = this.table.sample(rng);
      if (k < n) {
        const loc = (k / B) | 0;
        sink.add(loc, k - loc * B, 1);
      }
    }
  }
}
