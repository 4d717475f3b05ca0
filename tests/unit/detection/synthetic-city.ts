// Synthetic city for calibration/power tests and the benchmark: H3 res-8 cells around
// a centre, background rates with a downtown gradient, two secondary hubs, per-cell
// log-normal heterogeneity, a daily cycle (evening peak, night trough), a weekend
// dip and a nightlife district whose cycle peaks late. Counts are Poisson per
// cell-hour, so the EBP null is true up to the engine's baseline estimation error.
import { cellToLatLng, greatCircleDistance, gridDisk, latLngToCell } from 'h3-js';
import { createRng, poisson, type Rng } from '../../../functions/_shared/detection/index.ts';
import type { CubeRow } from '../../../functions/_shared/detection/index.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface City {
  cells: string[];
  /** Mean events per hour at profile 1, per cell. */
  rate: Float64Array;
  /** 1 for nightlife cells (late-peaking cycle). */
  nightlife: Uint8Array;
  center: string;
}

function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * rings = 41 gives 5,167 cells. `totalPerHour` scales the mean citywide events per hour.
 */
export function makeCity(opts: { rings?: number; totalPerHour?: number; seed?: number; lat?: number; lng?: number } = {}): City {
  const rings = opts.rings ?? 41;
  const center = latLngToCell(opts.lat ?? 40.7484, opts.lng ?? -73.9857, 8);
  const cells = gridDisk(center, rings);
  const rng = createRng(opts.seed ?? 2024);
  const [clat, clng] = cellToLatLng(center);
  const hubs: Array<[number, number, number, number]> = [
    // lat, lng, weight, scale km: a compact CBD, a wider downtown, two secondary hubs
    [clat, clng, 3, 0.6],
    [clat, clng, 1, 1.6],
    [clat + 0.05, clng + 0.04, 0.35, 1.0],
    [clat - 0.045, clng - 0.05, 0.25, 1.2],
  ];
  const raw = new Float64Array(cells.length);
  const nightlife = new Uint8Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const [lat, lng] = cellToLatLng(cells[i]!);
    let v = 0.015;
    for (const [hl, hg, w, s] of hubs) v += w * Math.exp(-greatCircleDistance([lat, lng], [hl, hg], 'km') / s);
    raw[i] = v * Math.exp(0.5 * normal(rng) - 0.125);
    if (greatCircleDistance([lat, lng], [clat - 0.02, clng + 0.03], 'km') < 1.2) nightlife[i] = 1;
  }
  let sum = 0;
  for (const v of raw) sum += v;
  const scale = (opts.totalPerHour ?? 60) / sum;
  const rate = raw.map((v) => v * scale);
  return { cells, rate, nightlife, center };
}

/** Relative intensity of hour t (epoch ms, UTC as local time) for a cell type. */
export function profile(t: number, nightlife: boolean): number {
  const hod = Math.floor((t % DAY_MS) / HOUR_MS);
  const dow = Math.floor(t / DAY_MS + 4) % 7; // 0 = Sunday (1970-01-01 was a Thursday)
  const weekend = dow === 0 || dow === 6;
  const peak = nightlife ? 23 : 18;
  const daily = 1 + 0.7 * Math.cos((2 * Math.PI * (hod - peak)) / 24);
  return daily * (weekend ? (nightlife ? 1.3 : 0.8) : 1);
}

export interface CubeSample {
  rows: CubeRow[];
  historyStart: number;
  now: number;
  casesInWindow: number;
}

/** Upper bound of profile() over all hours and cell types. */
const PROFILE_MAX = 1.7 * 1.3;

/**
 * Poisson counts for every cell-hour in [now − (historyHours + windowHours)h, now),
 * simulated per cell as a non-homogeneous Poisson process by thinning (candidates at
 * the peak rate, each kept with probability rate(t)/peak), which costs O(events)
 * instead of O(cells × hours). `inject` multiplies the rate of the given cells in the
 * last `hours` hours by `relativeRisk`.
 */
export function sampleCube(
  city: City,
  now: number,
  historyHours: number,
  windowHours: number,
  rng: Rng,
  inject?: { cells: Set<number>; hours: number; relativeRisk: number },
): CubeSample {
  const H = historyHours + windowHours;
  const start = now - H * HOUR_MS;
  const prof = new Float64Array(H);
  const profN = new Float64Array(H);
  for (let t = 0; t < H; t++) {
    prof[t] = profile(start + t * HOUR_MS, false);
    profN[t] = profile(start + t * HOUR_MS, true);
  }
  const counts = new Map<number, number>();
  const rows: CubeRow[] = [];
  let casesInWindow = 0;
  for (let i = 0; i < city.cells.length; i++) {
    const p = city.nightlife[i] ? profN : prof;
    const hot = inject?.cells.has(i) ?? false;
    const rr = hot ? Math.max(1, inject!.relativeRisk) : 1;
    const bound = city.rate[i]! * PROFILE_MAX * rr;
    const k = poisson(rng, bound * H);
    counts.clear();
    for (let q = 0; q < k; q++) {
      const t = Math.floor(rng.next() * H);
      let m = city.rate[i]! * p[t]!;
      if (hot && t >= H - inject!.hours) m *= inject!.relativeRisk;
      if (rng.next() * bound < m) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    for (const [t, n] of counts) {
      rows.push({ cell: city.cells[i]!, bucketStart: start + t * HOUR_MS, n });
      if (t >= historyHours) casesInWindow += n;
    }
  }
  return { rows, historyStart: start, now, casesInWindow };
}

/** Expected count over the last `hours` before now for a set of cells. */
export function expectedIn(city: City, cells: Iterable<number>, now: number, hours: number): number {
  let e = 0;
  for (const i of cells) {
    for (let h = 1; h <= hours; h++) e += city.rate[i]! * profile(now - h * HOUR_MS, city.nightlife[i] === 1);
  }
  return e;
}
