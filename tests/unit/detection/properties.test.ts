import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ebpScore, kulldorffLlr, scanPoints } from '../../../functions/_shared/detection/index.ts';
import type { ModelKind, ScanPointsInput, ScanPointsOptions } from '../../../functions/_shared/detection/index.ts';

// Small random space-time data sets: L locations with distinct planar coordinates,
// T time steps, integer counts, positive baselines/populations.
const dataset = fc
  .record({
    L: fc.integer({ min: 2, max: 7 }),
    T: fc.integer({ min: 1, max: 4 }),
  })
  .chain(({ L, T }) =>
    fc.record({
      coords: fc.array(fc.tuple(fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true })), { minLength: L, maxLength: L }),
      counts: fc.array(fc.array(fc.integer({ min: 0, max: 8 }), { minLength: L, maxLength: L }), { minLength: T, maxLength: T }),
      baselines: fc.array(fc.array(fc.double({ min: 0.05, max: 5, noNaN: true }), { minLength: L, maxLength: L }), { minLength: T, maxLength: T }),
      population: fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { minLength: L, maxLength: L }),
    }),
  );

type Data = { coords: Array<[number, number]>; counts: number[][]; baselines: number[][]; population: number[] };

function input(d: Data): ScanPointsInput {
  return {
    locations: d.coords.map(([x, y], i) => ({ id: `L${i}`, x: x + i * 1e-6, y })),
    counts: d.counts,
    baselines: d.baselines,
    population: d.population,
  };
}

function opts(model: ModelKind, windows: 'prospective' | 'retrospective' = 'prospective'): ScanPointsOptions {
  return { model, windows, zones: { type: 'knn', k: 3 }, monteCarlo: { replicates: 0 } };
}

const MODELS: ModelKind[] = ['ebp', 'poisson', 'permutation'];

/** kNN zones depend on the order of neighbours; with tied distances that order is by label. */
function distinctDistances(d: Data): boolean {
  const pts = d.coords.map(([x, y], i) => ({ x: x + i * 1e-6, y }));
  for (const a of pts) {
    const ds = pts.map((b) => Math.hypot(a.x - b.x, a.y - b.y)).sort((u, v) => u - v);
    for (let i = 1; i < ds.length; i++) if (ds[i]! - ds[i - 1]! < 1e-9 * (1 + ds[i]!)) return false;
  }
  return true;
}

describe('property tests (fast-check)', () => {
  it('the statistic is ≥ 0 for every model and window type', () => {
    fc.assert(
      fc.property(dataset, fc.constantFrom(...MODELS), fc.constantFrom('prospective' as const, 'retrospective' as const), (d, model, windows) => {
        const total = d.counts.flat().reduce((a, b) => a + b, 0);
        fc.pre(model === 'ebp' || total > 0);
        const res = scanPoints(input(d), opts(model, windows));
        expect(res.stats.observedMax).toBeGreaterThanOrEqual(0);
        for (const c of res.clusters) expect(c.score).toBeGreaterThan(0);
      }),
      { numRuns: 300, seed: 20240501 },
    );
  });

  it('score functions are monotone in excess cases: c > e ⇒ score(c + 1) > score(c)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0.01, max: 400, noNaN: true }), fc.integer({ min: 0, max: 500 }), (c, e, extra) => {
        fc.pre(c > e);
        expect(ebpScore(c + 1, e)).toBeGreaterThan(ebpScore(c, e));
        const total = c + extra + Math.ceil(e) + 1; // C > c and C > e
        expect(kulldorffLlr(c + 1, e, total)).toBeGreaterThan(kulldorffLlr(c, e, total));
        // Kulldorff conditioned on the total: a case added inside raises C and e with it.
        const eNew = (e * (total + 1)) / total;
        expect(kulldorffLlr(c + 1, eNew, total + 1)).toBeGreaterThan(kulldorffLlr(c, e, total));
      }),
      { numRuns: 1000, seed: 7 },
    );
  });

  it('the scan statistic never decreases when cases are added inside the most likely cluster (EBP, Kulldorff)', () => {
    fc.assert(
      fc.property(dataset, fc.constantFrom<ModelKind>('ebp', 'poisson'), fc.integer({ min: 1, max: 5 }), fc.nat(), (d, model, extra, pick) => {
        const base = scanPoints(input(d), opts(model));
        const mlc = base.clusters[0];
        fc.pre(mlc !== undefined);
        const loc = Number(mlc!.locations[pick % mlc!.locations.length]!.slice(1));
        const t = mlc!.startIndex + (pick % mlc!.duration);
        const counts = d.counts.map((row) => [...row]);
        counts[t]![loc]! += extra;
        const more = scanPoints(input({ ...d, counts }), opts(model));
        expect(more.stats.observedMax).toBeGreaterThanOrEqual(base.stats.observedMax - 1e-9);
      }),
      { numRuns: 300, seed: 99 },
    );
  });

  it('the statistic and the most likely cluster are invariant to relabelling the locations', () => {
    fc.assert(
      fc.property(dataset, fc.constantFrom(...MODELS), fc.integer({ min: 0, max: 10_000 }), (d, model, seed) => {
        const total = d.counts.flat().reduce((a, b) => a + b, 0);
        fc.pre(total > 0 && distinctDistances(d));
        const L = d.coords.length;
        // A permutation of the location indices derived from `seed`.
        const perm = Array.from({ length: L }, (_, i) => i).sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101) || a - b);
        const original = input(d);
        const relabelled: ScanPointsInput = {
          locations: perm.map((i) => original.locations[i]!),
          counts: d.counts.map((row) => perm.map((i) => row[i]!)),
          baselines: d.baselines.map((row) => perm.map((i) => row[i]!)),
          population: perm.map((i) => d.population[i]!),
        };
        const a = scanPoints(original, opts(model));
        const b = scanPoints(relabelled, opts(model));
        expect(b.stats.observedMax).toBeCloseTo(a.stats.observedMax, 9);
        expect(b.stats.zones).toBe(a.stats.zones);
        if (model === 'ebp' && a.clusters[0]) {
          // Continuous baselines make the maximiser unique: same zone, same window.
          expect([...b.clusters[0]!.locations].sort()).toEqual([...a.clusters[0]!.locations].sort());
          expect(b.clusters[0]!.startIndex).toBe(a.clusters[0]!.startIndex);
        }
      }),
      { numRuns: 300, seed: 1234 },
    );
  });
});
