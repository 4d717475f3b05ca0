import { describe, expect, it } from 'vitest';
import {
  AliasTable,
  createRng,
  EbpReplicator,
  ebpScore,
  kulldorffLlr,
  kulldorffRelativeRisk,
  MultinomialReplicator,
  permutationExpected,
  PermutationReplicator,
  scanPoints,
} from '../../../functions/_shared/detection/index.ts';
import { ReplicateSink } from '../../../functions/_shared/detection/replicate-sink.ts';

describe('score functions, by hand', () => {
  it('Kulldorff Poisson GLR: c=10, e=4, C=20 → 10·ln(10/4) + 10·ln(10/16) = 4.462871026', () => {
    expect(kulldorffLlr(10, 4, 20)).toBeCloseTo(10 * Math.log(2.5) + 10 * Math.log(10 / 16), 12);
    expect(kulldorffLlr(10, 4, 20)).toBeCloseTo(4.462871026284195, 9);
    expect(kulldorffLlr(3, 4, 20)).toBe(0); // no excess, no cluster
    expect(kulldorffLlr(20, 4, 20)).toBeCloseTo(20 * Math.log(5), 12); // all cases inside
    expect(kulldorffRelativeRisk(10, 4, 20)).toBeCloseTo(2.5 / (10 / 16), 12);
  });

  it('expectation-based Poisson: c=5, b=2 → 5·ln 2.5 + 2 − 5 = 1.581453659', () => {
    expect(ebpScore(5, 2)).toBeCloseTo(1.581453659370776, 12);
    expect(ebpScore(2, 2)).toBe(0);
    expect(ebpScore(43, 20.658530631037845)).toBeCloseTo(9.1806, 4);
  });
});

describe('scanPoints statistics on small cases computed by hand', () => {
  it('Kulldorff Poisson, purely spatial: counts 8,1,1 on equal populations → LLR 8·ln 2.4 + 2·ln 0.3 = 4.595804290', () => {
    const res = scanPoints(
      {
        locations: [
          { id: 'a', x: 0, y: 0 },
          { id: 'b', x: 1, y: 0 },
          { id: 'c', x: 2, y: 0 },
        ],
        counts: [[8, 1, 1]],
        population: [100, 100, 100],
      },
      { model: 'poisson', zones: { type: 'circles', maxPopulationFraction: 0.5 }, monteCarlo: { replicates: 0 } },
    );
    // The 50 % cap (150 of 300) allows single locations only.
    expect(res.stats.zones).toBe(3);
    const mlc = res.clusters[0]!;
    expect(mlc.locations).toEqual(['a']);
    expect(mlc.observed).toBe(8);
    expect(mlc.expected).toBeCloseTo(10 / 3, 12);
    expect(mlc.score).toBeCloseTo(4.595804290179327, 9);
    expect(mlc.relativeRisk).toBeCloseTo(8, 9);
  });

  it('Kulldorff Poisson, retrospective space-time: 5 cases where 1.667 expected → LLR 5·ln 1.8 = 2.938933325', () => {
    const res = scanPoints(
      {
        locations: [
          { id: 'a', x: 0, y: 0 },
          { id: 'b', x: 1, y: 0 },
          { id: 'c', x: 2, y: 0 },
        ],
        counts: [
          [1, 1, 1],
          [5, 1, 1],
        ],
        population: [100, 100, 100],
        times: ['t0', 't1'],
      },
      { model: 'poisson', windows: 'retrospective', zones: { type: 'circles' }, monteCarlo: { replicates: 0 } },
    );
    const mlc = res.clusters[0]!;
    expect(mlc.locations).toEqual(['a']);
    expect([mlc.startTime, mlc.endTime]).toEqual(['t1', 't1']);
    expect(mlc.expected).toBeCloseTo(10 / 6, 12);
    // 5·ln(5/(10/6)) + 5·ln(5/(10 − 10/6)) = 5·ln 3 + 5·ln 0.6 = 5·ln 1.8
    expect(mlc.score).toBeCloseTo(5 * Math.log(1.8), 12);
    expect(mlc.score).toBeCloseTo(2.938933324510595, 9);
  });

  it('space-time permutation: μ = N_zone·N_window/C; A has 4 of the 4 latest cases → 4·ln(16/15) = 0.258154085', () => {
    // t0: A 2, B 2; t1: A 4, B 0. C = 8, N_A = 6, N_t1 = 4 → μ = 3.
    const res = scanPoints(
      {
        locations: [
          { id: 'A', x: 0, y: 0 },
          { id: 'B', x: 10, y: 0 },
        ],
        counts: [
          [2, 2],
          [4, 0],
        ],
      },
      { model: 'permutation', zones: { type: 'knn', k: 2 }, monteCarlo: { replicates: 0 } },
    );
    expect(res.stats.zones).toBe(3); // {A}, {B}, {A,B}
    const mlc = res.clusters[0]!;
    expect(mlc.locations).toEqual(['A']);
    expect(mlc.duration).toBe(1);
    expect(mlc.observed).toBe(4);
    expect(mlc.expected).toBeCloseTo(3, 12);
    expect(mlc.score).toBeCloseTo(4 * Math.log(4 / 3) + 4 * Math.log(4 / 5), 12);
    expect(mlc.score).toBeCloseTo(0.2581540845502848, 9);
    expect(mlc.relativeRisk).toBeCloseTo(4 / 3 / (4 / 5), 9);
    // A citywide (purely temporal) surge is not a permutation cluster.
    const surge = scanPoints(
      { locations: [{ id: 'A', x: 0, y: 0 }, { id: 'B', x: 10, y: 0 }], counts: [[1, 1], [5, 5]] },
      { model: 'permutation', zones: { type: 'knn', k: 2 }, monteCarlo: { replicates: 0 } },
    );
    expect(surge.clusters).toHaveLength(0);
  });

  it('permutation expectations sum to the window totals', () => {
    const e = permutationExpected([6, 2], [4], 8);
    expect(Array.from(e)).toEqual([3, 1]);
  });
});

describe('null replicate generators', () => {
  it('permutation replicates keep both marginals', () => {
    const rng = createRng(3);
    // 10 cases: locations 0,0,0,1,1,2,2,2,2,3; two scanned buckets receive 2 and 3 cases.
    const gen = new PermutationReplicator(Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2, 3]), [2, 3]);
    const sink = new ReplicateSink(4, 2);
    const locTotals = [3, 2, 4, 1];
    for (let r = 0; r < 500; r++) {
      sink.reset();
      gen.generate(rng, sink);
      let b0 = 0;
      let b1 = 0;
      for (let l = 0; l < 4; l++) {
        b0 += sink.x[l * 2]!;
        b1 += sink.x[l * 2 + 1]!;
        expect(sink.x[l * 2]! + sink.x[l * 2 + 1]!).toBeLessThanOrEqual(locTotals[l]!);
      }
      expect([b0, b1]).toEqual([2, 3]);
    }
  });

  it('multinomial replicates place exactly C cases with probabilities ∝ expected', () => {
    const rng = createRng(4);
    const gen = new MultinomialReplicator(Float64Array.from([1, 2, 3]), 4, 50, 1);
    const sink = new ReplicateSink(3, 1);
    const mean = [0, 0, 0];
    const R = 4000;
    for (let r = 0; r < R; r++) {
      sink.reset();
      gen.generate(rng, sink);
      for (let l = 0; l < 3; l++) mean[l]! += sink.x[l]! / R;
    }
    expect(mean[0]!).toBeCloseTo(5, 0);
    expect(mean[1]!).toBeCloseTo(10, 0);
    expect(mean[2]!).toBeCloseTo(15, 0);
  });

  it('alias table samples in proportion to its weights', () => {
    const rng = createRng(5);
    const t = new AliasTable([0.1, 0, 0.6, 0.3]);
    const n = 100_000;
    const f = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) f[t.sample(rng)]!++;
    expect(f[1]).toBe(0);
    expect(f[0]! / n).toBeCloseTo(0.1, 2);
    expect(f[2]! / n).toBeCloseTo(0.6, 2);
    expect(f[3]! / n).toBeCloseTo(0.3, 2);
  });

  it('EBP replicates: sparse (total + multinomial), dense and predictive samplers have mean b; predictive variance b + b²/α', () => {
    const b = Float64Array.from([0.02, 0.05, 0.3, 0.1, 0.001, 0.2]); // 3 locations × 2 buckets
    const sparse = new EbpReplicator(b, 2);
    const dense = new EbpReplicator(Float64Array.from([3, 5, 12, 20, 0.5, 40]), 2);
    const predictive = new EbpReplicator(b, 2, Float64Array.from([2, 5, 1e9]));
    expect(sparse.mode).toBe('sparse');
    expect(dense.mode).toBe('dense');
    expect(predictive.mode).toBe('predictive');
    const R = 200_000;
    for (const [gen, means, shape] of [
      [sparse, b, null],
      [dense, Float64Array.from([3, 5, 12, 20, 0.5, 40]), null],
      [predictive, b, [2, 5, 1e9]],
    ] as const) {
      const rng = createRng(6);
      const sink = new ReplicateSink(3, 2);
      const s = new Float64Array(6);
      const tot = new Float64Array(3);
      const tot2 = new Float64Array(3);
      for (let r = 0; r < R; r++) {
        sink.reset();
        gen.generate(rng, sink);
        for (let i = 0; i < 6; i++) s[i]! += sink.x[i]!;
        for (let l = 0; l < 3; l++) {
          const t = sink.x[2 * l]! + sink.x[2 * l + 1]!;
          tot[l]! += t;
          tot2[l]! += t * t;
        }
      }
      for (let i = 0; i < 6; i++) {
        const m = means[i]!;
        expect(Math.abs(s[i]! / R - m)).toBeLessThan(5 * Math.sqrt((m * 3) / R) + 1e-9);
      }
      for (let l = 0; l < 3; l++) {
        const m = means[2 * l]! + means[2 * l + 1]!;
        const v = tot2[l]! / R - (tot[l]! / R) ** 2;
        const expected = shape ? m + (m * m) / shape[l]! : m;
        expect(Math.abs(v / expected - 1)).toBeLessThan(0.05);
      }
    }
  });
});
