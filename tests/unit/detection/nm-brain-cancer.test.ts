import { describe, expect, it } from 'vitest';
import { knnZones, scanPoints } from '../../../functions/_shared/detection/index.ts';
import { loadNm } from './nm-data.ts';

// Published result (scanstatistics README @ 30b424c, JOSS 10.21105/joss.00515):
// scan_eb_poisson on 1986–89, knn_zones(k = 15) on seat coordinates without Cibola,
// GLM baselines from years < 1986 → 415 zones, MLC {losalamos, santafe}, duration 4,
// MC p 0.005, Gumbel p 0.004. Observed 43, baseline 20.659, score 9.1806 re-derived in R.
describe('New Mexico brain cancer, expectation-based Poisson', () => {
  const nm = loadNm();

  it('builds 415 kNN (k = 15) zones on seat distances (SaTScan\'s chord orders them as spDists\' great circle)', () => {
    expect(nm.seats).toHaveLength(32);
    expect(knnZones(nm.seats, 15, 'latlng').nZones).toBe(415);
  });

  it('finds the published most likely cluster with observed 43, baseline 20.659, score 9.1806 and p-values', () => {
    const res = scanPoints(
      { locations: nm.seats, counts: nm.counts, baselines: nm.baselines, times: nm.years },
      { model: 'ebp', zones: { type: 'knn', k: 15 }, monteCarlo: { replicates: 999, seed: 1, earlyStopAfter: 0 } },
    );
    expect(res.stats.zones).toBe(415);
    const mlc = res.clusters[0]!;
    expect([...mlc.locations].sort()).toEqual(['losalamos', 'santafe']);
    expect(mlc.startTime).toBe(1986);
    expect(mlc.endTime).toBe(1989);
    expect(mlc.duration).toBe(4);
    expect(mlc.observed).toBe(43);
    expect(Math.abs(mlc.expected - 20.659)).toBeLessThan(0.001);
    expect(Math.abs(mlc.score - 9.1806)).toBeLessThan(1e-4);
    expect(res.stats.replications).toBe(999);
    expect(mlc.pValueMonteCarlo).toBeLessThanOrEqual(0.01);
    expect(mlc.pValueGumbel).not.toBeNull();
    expect(mlc.pValueGumbel!).toBeGreaterThanOrEqual(0.002);
    expect(mlc.pValueGumbel!).toBeLessThanOrEqual(0.008);
    // Secondary clusters never overlap the primary.
    for (const c of res.clusters.slice(1)) {
      expect(c.locations.some((l) => mlc.locations.includes(l))).toBe(false);
      expect(c.score).toBeLessThanOrEqual(mlc.score);
    }
  });
});
