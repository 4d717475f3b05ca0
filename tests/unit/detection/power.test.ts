import { gridDisk } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { buildH3DiskIndex, createRng, scanCube } from '../../../functions/_shared/detection/index.ts';
import { expectedIn, HOUR_MS, makeCity, sampleCube } from './synthetic-city.ts';

// Power: a 7-cell (k = 1 disk), 3-hour outbreak on the synthetic city, on top of the
// background, with ≥ 20 expected background cases in the cluster. An alert is a primary
// cluster with p ≤ 0.05 that overlaps the outbreak cells. 199 replicates per trial keep
// the run short (p ≤ 0.05 is resolved to 0.005; 999 replicates can only add power).
const TRIALS = 50;

describe('power on the synthetic city', () => {
  const city = makeCity();
  const diskIndex = buildH3DiskIndex(city.cells, 3);
  const cells = city.cells.map((cell) => ({ cell }));
  // Wednesday 6 March 2024, the 3 hours before 19:00 (evening peak).
  const now = Date.UTC(2024, 2, 6, 19);
  // The 7-cell disk with the largest expected count in those hours.
  let center = 0;
  let bestExpected = 0;
  for (let i = 0; i < city.cells.length; i++) {
    const disk = gridDisk(city.cells[i]!, 1).map((c) => diskIndex.index.get(c));
    if (disk.some((x) => x === undefined)) continue;
    const e = expectedIn(city, disk as number[], now, 3);
    if (e > bestExpected) {
      bestExpected = e;
      center = i;
    }
  }
  const hot = new Set(gridDisk(city.cells[center]!, 1).map((c) => diskIndex.index.get(c)!));

  function trials(relativeRisk: number, seed: number): { alerts: number; details: string[] } {
    const rng = createRng(seed);
    let alerts = 0;
    const details: string[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const s = sampleCube(city, now, 14 * 24, 6, rng, { cells: hot, hours: 3, relativeRisk });
      const res = scanCube(
        { cells, rows: s.rows, now, historyStart: s.historyStart },
        { diskIndex, monteCarlo: { replicates: 199, seed: seed * 1000 + t, budgetMs: Infinity } },
      );
      const c = res.clusters[0];
      const hit = c !== undefined && c.pValue <= 0.05 && c.cells.some((x) => hot.has(diskIndex.index.get(x)!));
      if (hit) alerts++;
      if (c) details.push(`${c.k}/${c.durationBuckets}h ${c.observed}:${c.expected.toFixed(1)} p=${c.pValue.toPrecision(2)}`);
    }
    return { alerts, details };
  }

  it('the outbreak cells expect ≥ 20 background cases in 3 hours', () => {
    expect(hot.size).toBe(7);
    expect(bestExpected).toBeGreaterThanOrEqual(20);
  });

  it('relative risk 3: an alert in ≥ 45 of 50 trials', () => {
    const r = trials(3, 31);
    console.log(`[power] RR 3, expected ${bestExpected.toFixed(1)}: ${r.alerts}/${TRIALS} alerts; e.g. ${r.details.slice(0, 5).join(', ')}`);
    expect(r.alerts).toBeGreaterThanOrEqual(45);
  }, 600_000);

  it('relative risk 2: reported, not gated', () => {
    const r = trials(2, 21);
    console.log(`[power] RR 2, expected ${bestExpected.toFixed(1)}: ${r.alerts}/${TRIALS} alerts; e.g. ${r.details.slice(0, 5).join(', ')}`);
    expect(r.alerts).toBeGreaterThanOrEqual(0);
  }, 600_000);
});
