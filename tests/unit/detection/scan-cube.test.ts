import { gridDisk } from 'h3-js';
import { describe, expect, it } from 'vitest';
import {
  buildH3DiskIndex,
  createRng,
  estimateCubeBaselines,
  recurrenceIntervalDays,
  scanCube,
  severityFromRecurrence,
} from '../../../functions/_shared/detection/index.ts';
import type { CubeRow, ScanCubeResult } from '../../../functions/_shared/detection/index.ts';
import { HOUR_MS, makeCity, sampleCube } from './synthetic-city.ts';

// A small city (217 cells) keeps these behavioural tests fast.
const city = makeCity({ rings: 8, totalPerHour: 12, seed: 5 });
const cells = city.cells.map((cell) => ({ cell }));
const diskIndex = buildH3DiskIndex(city.cells, 3);
const NOW = Date.UTC(2024, 2, 6, 19); // Wednesday 19:00 UTC
const centerIdx = diskIndex.index.get(city.center)!;
const hot = new Set(gridDisk(city.center, 1).map((c) => diskIndex.index.get(c)!));

function sample(seed: number, historyDays = 14, inject?: number): ReturnType<typeof sampleCube> {
  return sampleCube(city, NOW, historyDays * 24, 6, createRng(seed), inject ? { cells: hot, hours: 2, relativeRisk: inject } : undefined);
}

function checkClusters(res: ScanCubeResult, now: number): void {
  const seen = new Set<string>();
  let prev = Infinity;
  for (const c of res.clusters) {
    expect(c.cells).toContain(c.centerCell);
    expect(c.k).toBeGreaterThanOrEqual(0);
    expect(c.k).toBeLessThanOrEqual(3);
    expect(c.windowEnd).toBe(now);
    expect(c.windowStart).toBe(now - c.durationBuckets * HOUR_MS);
    expect(c.durationBuckets).toBeGreaterThanOrEqual(1);
    expect(c.durationBuckets).toBeLessThanOrEqual(6);
    expect(c.observed).toBeGreaterThanOrEqual(2); // minCases
    expect(c.observed).toBeGreaterThan(c.expected);
    expect(c.score).toBeLessThanOrEqual(prev);
    prev = c.score;
    expect(c.recurrenceIntervalDays).toBeCloseTo(recurrenceIntervalDays(c.pValue, HOUR_MS, { analyses: res.stats.analyses }), 9);
    expect(c.severity).toBe(severityFromRecurrence(c.recurrenceIntervalDays));
    for (const x of c.cells) {
      expect(seen.has(x)).toBe(false); // secondary clusters do not overlap
      seen.add(x);
    }
  }
}

describe('scanCube', () => {
  it('chooses EBP with two weeks of history, space-time permutation with two days, and can be forced', () => {
    const long = sample(1, 14);
    const a = scanCube({ cells, rows: long.rows, now: NOW, historyStart: long.historyStart }, { diskIndex, monteCarlo: { replicates: 19 } });
    expect(a.model).toBe('ebp');
    expect(a.stats.historyBuckets).toBe(14 * 24);
    const short = sample(2, 2);
    const b = scanCube({ cells, rows: short.rows, now: NOW, historyStart: short.historyStart }, { diskIndex, monteCarlo: { replicates: 19 } });
    expect(b.model).toBe('permutation');
    expect(b.stats.modelReason).toMatch(/history 48 buckets < 168/);
    const c = scanCube({ cells, rows: long.rows, now: NOW, historyStart: long.historyStart }, { diskIndex, model: 'permutation', monteCarlo: { replicates: 19 } });
    expect(c.model).toBe('permutation');
  });

  it('finds an injected 7-cell outbreak (EBP) and reports it consistently', () => {
    const s = sample(3, 14, 4);
    const res = scanCube({ cells, rows: s.rows, now: NOW, historyStart: s.historyStart }, { diskIndex, monteCarlo: { seed: 3 } });
    const top = res.clusters[0]!;
    expect(top.pValue).toBeLessThanOrEqual(0.01);
    expect(top.cells.some((x) => hot.has(diskIndex.index.get(x)!))).toBe(true);
    expect(top.relativeRisk).toBeCloseTo(top.observed / top.expected, 12);
    expect(res.stats.earlyStopped).toBe(false);
    expect(res.stats.replications).toBe(999);
    checkClusters(res, NOW);
  });

  it('finds an injected outbreak on cold start (space-time permutation)', () => {
    const s = sample(4, 3, 6);
    const res = scanCube({ cells, rows: s.rows, now: NOW, historyStart: s.historyStart }, { diskIndex, monteCarlo: { seed: 4 } });
    expect(res.model).toBe('permutation');
    const top = res.clusters[0]!;
    expect(top.pValue).toBeLessThanOrEqual(0.05);
    expect(top.cells.some((x) => hot.has(diskIndex.index.get(x)!))).toBe(true);
    checkClusters(res, NOW);
  });

  it('stops early on null data once 50 replicates beat the observed statistic', () => {
    let found = false;
    for (let seed = 10; seed < 20 && !found; seed++) {
      const s = sample(seed);
      const res = scanCube({ cells, rows: s.rows, now: NOW, historyStart: s.historyStart }, { diskIndex, monteCarlo: { seed } });
      if (res.clusters[0] && res.clusters[0].pValue > 0.2) {
        found = true;
        expect(res.stats.earlyStopped).toBe(true);
        expect(res.stats.replications).toBeLessThan(999);
        expect(res.clusters[0].pValueMonteCarlo).toBeCloseTo(50 / res.stats.replications, 12);
        checkClusters(res, NOW);
      }
    }
    expect(found).toBe(true);
  });

  it('stops at the CPU budget (injected clock) and records it; the Gumbel fit carries the p-value', () => {
    const s = sample(5, 14, 4);
    let t = 0;
    const res = scanCube(
      { cells, rows: s.rows, now: NOW, historyStart: s.historyStart },
      { diskIndex, monteCarlo: { budgetMs: 60, clock: () => (t += 1) } },
    );
    expect(res.stats.budgetExhausted).toBe(true);
    expect(res.stats.replications).toBeGreaterThanOrEqual(20);
    expect(res.stats.replications).toBeLessThan(100);
    const top = res.clusters[0]!;
    expect(top.pValueGumbel).not.toBeNull();
    expect(top.pValue).toBe(top.pValueGumbel);
  });

  it('is deterministic for a seed', () => {
    const s = sample(6);
    const run = (): ScanCubeResult => scanCube({ cells, rows: s.rows, now: NOW, historyStart: s.historyStart }, { diskIndex, monteCarlo: { seed: 42, replicates: 99 } });
    const a = run();
    const b = run();
    expect(b.clusters).toEqual(a.clusters);
    expect(b.stats.replications).toBe(a.stats.replications);
  });

  it('returns no clusters (and runs no replicates) when the window has fewer than minCases anywhere', () => {
    const rows: CubeRow[] = [{ cell: city.center, bucketStart: NOW - 30 * 24 * HOUR_MS, n: 3 }];
    const res = scanCube({ cells, rows, now: NOW }, { diskIndex });
    expect(res.clusters).toEqual([]);
    expect(res.stats.replications).toBe(0);
    const empty = scanCube({ cells: [], rows: [], now: NOW });
    expect(empty.clusters).toEqual([]);
    expect(empty.model).toBe('permutation');
  });

  it('rounds now up to the end of the current bucket and defaults the history start to the earliest row', () => {
    const s = sample(7);
    const res = scanCube({ cells, rows: s.rows, now: NOW - 20 * 60_000 }, { diskIndex, monteCarlo: { replicates: 19 } });
    expect(res.stats.historyBuckets).toBeLessThanOrEqual(14 * 24);
    expect(res.stats.historyBuckets).toBeGreaterThan(13 * 24);
    for (const c of res.clusters) expect(c.windowEnd).toBe(NOW);
  });

  it('adds cells that only appear in rows, and gives cells without history a positive baseline', () => {
    const s = sample(8);
    const outside = gridDisk(city.center, 9).find((c) => !diskIndex.index.has(c))!;
    const rows = [...s.rows, { cell: outside, bucketStart: NOW - HOUR_MS, n: 1 }];
    const est = estimateCubeBaselines({ cells, rows, now: NOW, historyStart: s.historyStart });
    expect(est.cells).toContain(outside);
    const l = est.cells.indexOf(outside);
    for (let j = 0; j < 6; j++) expect(est.baselines[l * 6 + j]!).toBeGreaterThan(0);
    expect(est.observed[l * 6 + 5]).toBe(1);
    expect(est.model).toBe('ebp');
  });

  it('prorates the current, partly elapsed bucket: a scan at :15 expects a quarter of that hour', () => {
    const s = sample(9);
    const full = estimateCubeBaselines({ cells, rows: s.rows, now: NOW, historyStart: s.historyStart });
    const quarter = estimateCubeBaselines({ cells, rows: s.rows, now: NOW - 0.75 * HOUR_MS, historyStart: s.historyStart });
    expect(quarter.bucketStarts).toEqual(full.bucketStarts);
    for (let l = 0; l < full.cells.length; l++) {
      for (let j = 0; j < 5; j++) expect(quarter.baselines[l * 6 + j]).toBeCloseTo(full.baselines[l * 6 + j]!, 12);
      expect(quarter.baselines[l * 6 + 5]).toBeCloseTo(full.baselines[l * 6 + 5]! * 0.25, 12);
    }
  });

  it('sees the same burst as stronger when it came in the first quarter of the hour than over a whole hour', () => {
    const s = sample(10);
    // Eight events in the centre cell's current bucket, on top of the sampled counts.
    const rows: CubeRow[] = [...s.rows, { cell: city.center, bucketStart: NOW - HOUR_MS, n: 8 }];
    const opts = { diskIndex, monteCarlo: { replicates: 99, seed: 3 } } as const;
    const atQuarter = scanCube({ cells, rows, now: NOW - 0.75 * HOUR_MS, historyStart: s.historyStart }, opts);
    const atHour = scanCube({ cells, rows, now: NOW, historyStart: s.historyStart }, opts);
    const top = (r: ScanCubeResult) => r.clusters.find((c) => c.cells.includes(city.center))!;
    expect(top(atQuarter).expected).toBeLessThan(top(atHour).expected);
    expect(top(atQuarter).relativeRisk).toBeGreaterThan(top(atHour).relativeRisk);
    expect(top(atQuarter).score).toBeGreaterThan(top(atHour).score);
  });

  it('tracks the daily cycle in its baselines (evening above night)', () => {
    const s = sample(9);
    const evening = estimateCubeBaselines({ cells, rows: s.rows, now: NOW, historyStart: s.historyStart });
    const night = estimateCubeBaselines({ cells, rows: s.rows, now: NOW - 12 * HOUR_MS, historyStart: s.historyStart - 12 * HOUR_MS });
    const sum = (b: Float64Array): number => b.reduce((a, x) => a + x, 0);
    expect(sum(evening.baselines) / sum(night.baselines)).toBeGreaterThan(2);
    // The universe total baseline over the window is close to the truth.
    let truth = 0;
    for (let i = 0; i < city.cells.length; i++) truth += city.rate[i]! * 6 * 1.6; // profile ≈ 1.6 around 16–19 h
    expect(sum(evening.baselines) / truth).toBeGreaterThan(0.8);
    expect(sum(evening.baselines) / truth).toBeLessThan(1.25);
    expect(centerIdx).toBeGreaterThanOrEqual(0);
  });

  it('adjusts for earlier analyses: replicates span the last A analyses and RI uses D/[1 − (1 − p)^(1/A)]', () => {
    const s = sample(10, 14, 3);
    const input = { cells, rows: s.rows, now: NOW, historyStart: s.historyStart };
    const plain = scanCube(input, { diskIndex, monteCarlo: { seed: 1, earlyStopAfter: 0, replicates: 199 } });
    const adjusted = scanCube(input, { diskIndex, analyses: 24, monteCarlo: { seed: 1, earlyStopAfter: 0, replicates: 199 } });
    expect(adjusted.stats.analyses).toBe(24);
    expect(adjusted.clusters[0]!.score).toBe(plain.clusters[0]!.score);
    // Maxima over 24 analyses are stochastically larger: the adjusted p is not smaller.
    expect(adjusted.stats.gumbel!.mu).toBeGreaterThan(plain.stats.gumbel!.mu);
    expect(adjusted.clusters[0]!.pValueMonteCarlo).toBeGreaterThanOrEqual(plain.clusters[0]!.pValueMonteCarlo);
    checkClusters(adjusted, NOW);
  });

  it('validates its input', () => {
    expect(() => scanCube({ cells: [{ cell: 'nope' }], rows: [], now: NOW })).toThrow(TypeError);
    expect(() => scanCube({ cells, rows: [{ cell: city.center, bucketStart: NOW - HOUR_MS, n: -1 }], now: NOW }, { diskIndex })).toThrow(RangeError);
    expect(() => scanCube({ cells, rows: [], now: NOW }, { diskIndex, maxDurationBuckets: 0 })).toThrow(RangeError);
    expect(() => scanCube({ cells, rows: [{ cell: city.center, bucketStart: NOW - HOUR_MS, n: 2 }], now: NOW }, { diskIndex, model: 'ebp' })).toThrow(/history/);
  });
});
