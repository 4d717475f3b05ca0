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
import { gamma } from '../gamma.ts';
import { poisson, poissonPtrs, PTRS_THRESHOLD } from '../poisson.ts';
import type { ReplicateSink } from '../replicate-sink.ts';
import type { Rng } from '../rng.ts';
import { AliasTable } from './kulldorff-poisson.ts';

export function ebpScore(c: number, b: number): number {
  if (!(c > b)) return 0;
  if (!(b > 0)) return Infinity;
  return c * Math.log(c / b) + b - c;
}

/**
 * Poisson(b) replicate of the scanned cell-bucket matrix. Two exact samplers:
 *  - sparse (mean baseline per cell-bucket < 0.25, the usual hourly case): draw the
 *    total N ~ Poisson(Σb), then place the N cases multinomially with probabilities
 *    b/Σb (alias table) — independent Poissons conditioned on their sum are
 *    multinomial, so this is the same distribution at O(N) instead of O(cells × W);
 *  - dense: one inversion/PTRS draw per cell-bucket with precomputed exp(−b).
 * With `cellShape` (baselines estimated from data), replicates are posterior-predictive
 * instead: each location's rate is multiplied by G ~ Gamma(α, α) (mean 1, α = the
 * shape of the rate's posterior, e.g. history cases + prior), shared by its buckets, so
 * the location's window total is negative binomial. This carries the baseline's
 * estimation error into the null distribution; with plug-in Poisson replicates a
 * maximum over thousands of noisy baselines is anti-conservative. Drawn per location
 * by NB inversion (P(0) precomputed, so an empty location costs one uniform), the
 * cases are then spread over the location's buckets in proportion to its baselines.
 */
export class EbpReplicator {
  private readonly means: Float64Array;
  private readonly nBuckets: number;
  private readonly total: number;
  private readonly alias: AliasTable | null;
  private readonly expNeg: Float64Array | null;
  private readonly nb: NegativeBinomialCells | null;

  constructor(baselines: Float64Array, nBuckets: number, cellShape?: Float64Array | null) {
    this.means = baselines;
    this.nBuckets = nBuckets;
    this.nb = cellShape ? new NegativeBinomialCells(baselines, nBuckets, cellShape) : null;
    let t = 0;
    for (let i = 0; i < baselines.length; i++) t += baselines[i]!;
    this.total = t;
    const sparse = t < 0.25 * baselines.length;
    this.alias = sparse && t > 0 ? new AliasTable(baselines) : null;
    if (sparse) {
      this.expNeg = null;
    } else {
      this.expNeg = new Float64Array(baselines.length);
      for (let i = 0; i < baselines.length; i++) this.expNeg[i] = Math.exp(-baselines[i]!);
    }
  }

  get mode(): 'sparse' | 'dense' | 'predictive' {
    return this.nb ? 'predictive' : this.expNeg ? 'dense' : 'sparse';
  }

  generate(rng: Rng, sink: ReplicateSink): void {
    if (this.nb) {
      this.nb.generate(rng, sink);
      return;
    }
    const B = this.nBuckets;
    if (this.expNeg === null) {
      if (this.alias === null) return;
      const n = poisson(rng, this.total);
      for (let q = 0; q < n; q++) {
        const k = this.alias.sample(rng);
        const loc = (k / B) | 0;
        sink.add(loc, k - loc * B, 1);
      }
      return;
    }
    const means = this.means;
    const expNeg = this.expNeg;
    for (let i = 0; i < means.length; i++) {
      const m = means[i]!;
      let x: number;
      if (m < PTRS_THRESHOLD) {
        const e = expNeg[i]!;
        const u = rng.next();
        if (u <= e) continue;
        let p = e;
        let s = e;
        x = 0;
        while (u > s) {
          x++;
          p *= m / x;
          s += p;
          if (p < 1e-300 || x > 1000) break;
        }
      } else {
        x = poissonPtrs(rng, m);
      }
      if (x > 0) {
        const loc = (i / B) | 0;
        sink.add(loc, i - loc * B, x);
      }
    }
  }
}

/** NB threshold above which the gamma–Poisson composition replaces inversion. */
const NB_INVERSION_MAX_MEAN = 40;

class NegativeBinomialCells {
  private readonly nLoc: number;
  private readonly B: number;
  private readonly mean: Float64Array;
  private readonly shape: Float64Array;
  private readonly p0: Float64Array;
  private readonly q: Float64Array;
  /** Cumulative share of each bucket in the location's total (nLoc × B). */
  private readonly cum: Float64Array;

  constructor(baselines: Float64Array, B: number, cellShape: Float64Array) {
    const nLoc = baselines.length / B;
    if (!Number.isInteger(nLoc) || cellShape.length !== nLoc) throw new RangeError('cellShape must have one value per location');
    this.nLoc = nLoc;
    this.B = B;
    this.mean = new Float64Array(nLoc);
    this.shape = new Float64Array(nLoc);
    this.p0 = new Float64Array(nLoc);
    this.q = new Float64Array(nLoc);
    this.cum = new Float64Array(nLoc * B);
    for (let l = 0; l < nLoc; l++) {
      let m = 0;
      for (let j = 0; j < B; j++) m += baselines[l * B + j]!;
      let c = 0;
      for (let j = 0; j < B; j++) {
        c += m > 0 ? baselines[l * B + j]! / m : 1 / B;
        this.cum[l * B + j] = c;
      }
      this.cum[l * B + B - 1] = 1;
      const a = cellShape[l]!;
      if (!(a > 0)) throw new RangeError('cellShape must be > 0');
      this.mean[l] = m;
      this.shape[l] = a;
      this.q[l] = m / (a + m);
      this.p0[l] = Math.exp(-a * Math.log1p(m / a));
    }
  }

  generate(rng: Rng, sink: ReplicateSink): void {
    const B = this.B;
    for (let l = 0; l < this.nLoc; l++) {
      const u = rng.next();
      let p = this.p0[l]!;
      if (u <= p) continue;
      const m = this.mean[l]!;
      const a = this.shape[l]!;
      let k: number;
      if (m <= NB_INVERSION_MAX_MEAN) {
        const q = this.q[l]!;
        let s = p;
        k = 0;
        while (u > s) {
          p *= ((a + k) / (k + 1)) * q;
          k++;
          s += p;
          if (p < 1e-300 || k > 100_000) break;
        }
      } else {
        k = poisson(rng, (m * gamma(rng, a)) / a);
        if (k === 0) continue;
      }
      const o = l * B;
      if (B === 1) {
        sink.add(l, 0, k);
        continue;
      }
      for (let i = 0; i < k; i++) {
        const v = rng.next();
        let j = 0;
        while (j < B - 1 && this.cum[o + j]! < v) j++;
        sink.add(l, j, 1);
      }
    }
  }
}
