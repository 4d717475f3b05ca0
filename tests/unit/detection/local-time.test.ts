/**
 * Baselines in local time across a daylight-saving change: a city whose calls surge
 * every morning at 08:00 local time keeps that rhythm when its clocks go back, so the
 * surge in the first mornings after the change is expected against a local-time
 * baseline (utcOffsetAt from the org's IANA zone) — and looks like an outbreak to a
 * UTC baseline, whose 08:00-local slot moved by an hour. An unusual surge at another
 * hour is still found with local time.
 */
import { gridDisk, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { scanCube } from '../../../functions/_shared/detection/index.ts';
import type { CubeRow } from '../../../functions/_shared/detection/types.ts';
import { localClock, offsetFunction, utcOffsetMinutes } from '../../../functions/_shared/time-zone.ts';

const HOUR = 3_600_000;
const ZONE = 'Europe/Amsterdam';
const centre = latLngToCell(51.92, 4.48, 8);
const cells = gridDisk(centre, 2);
/** Clocks go back on 2026-10-25 at 01:00 UTC (03:00 CEST → 02:00 CET). */
const now = Date.UTC(2026, 10, 4, 8); // 09:00 CET: the 08:00-local bucket is complete

function cube(): CubeRow[] {
  const rows: CubeRow[] = [];
  const localHour = (t: number) => Number(localClock(t, ZONE).slice(0, 2));
  for (let t = now - 28 * 24 * HOUR; t < now; t += HOUR) {
    cells.forEach((cell, i) => {
      // Background: 1-3 per cell-hour; the centre gets 25 more every morning at 08:00 local.
      const n = 1 + ((i + t / HOUR) % 3) + (cell === centre && localHour(t) === 8 ? 25 : 0);
      rows.push({ cell, bucketStart: t, n });
    });
  }
  return rows;
}

const run = (rows: CubeRow[], utcOffsetAt?: (t: number) => number) =>
  scanCube({ cells: [], rows, now, historyStart: now - 28 * 24 * HOUR }, {
    maxDurationBuckets: 1, monteCarlo: { replicates: 199, seed: 1, budgetMs: Infinity },
    baseline: utcOffsetAt ? { utcOffsetAt } : {},
  });
const significantAtCentre = (r: ReturnType<typeof run>) => r.clusters.filter((c) => c.cells.includes(centre) && c.pValue <= 0.01);

describe('local-time baselines across a DST change', () => {
  it('the zone helper knows the change', () => {
    expect(utcOffsetMinutes(ZONE, Date.UTC(2026, 9, 24, 12))).toBe(120);
    expect(utcOffsetMinutes(ZONE, Date.UTC(2026, 9, 25, 12))).toBe(60);
    expect(localClock(Date.UTC(2026, 10, 4, 7), ZONE)).toBe('08:00');
  });

  it('a daily 08:00-local surge after the clocks went back is expected with local time, an outbreak with UTC', () => {
    const rows = cube();
    const local = run(rows, offsetFunction(ZONE));
    expect(local.model).toBe('ebp');
    expect(significantAtCentre(local)).toEqual([]);
    const utc = run(rows);
    expect(significantAtCentre(utc).length).toBeGreaterThan(0);
  });

  it('a surge at an unusual local hour is still detected with local time', () => {
    // 40 more than the routine morning surge in the last bucket.
    const surged = cube().map((r) => (r.cell === centre && r.bucketStart === now - HOUR ? { ...r, n: r.n + 40 } : r));
    expect(significantAtCentre(run(surged, offsetFunction(ZONE))).length).toBeGreaterThan(0);
  });
});
