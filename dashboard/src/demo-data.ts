/**
 * Deterministic demo data for the synthetic city "Northside": weeks of background
 * events with daily and weekly cycles over a few hundred H3 resolution-9 cells, and
 * clusters of known relative risk injected in the last hours.
 *
 * Pure (no I/O, no clock): the page's demo control, the browser tests and the bench
 * all use it. Background events are generated per absolute hour from (seed, hour,
 * category) and carry stable external ids, so running the demo twice — even hours
 * apart — only adds the hours that are new (ingest-events skips duplicates) and the
 * baselines stay what the generator says they are.
 */
import type { IngestEvent } from '@hotwatch/client';
import { cellToChildren, cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import { ACTIVITY_CENTERS, DEMO_CENTER, isLand, kmFromCenter, latLngFromKm } from './city.ts';

export { DEMO_CENTER } from './city.ts';

export const HOUR_MS = 3_600_000;

/** Fixed local offset of the synthetic city (UTC+1), for its daily and weekly rhythm. */
export const DEMO_UTC_OFFSET_MINUTES = 60;
/** Resolution-8 rings around the centre that make up the monitored area (its land cells: ~55 res-8, ~390 res-9). */
export const DEMO_RINGS = 4;
/** Default history: 28 days of baselines plus the current day. */
export const DEMO_DAYS = 29;
export const DEMO_SOURCE = 'hotwatch-demo';

export interface DemoCategory {
  name: string;
  /** Mean events per hour over the whole city (before the daily/weekly profile). */
  perHour: number;
  /** Relative intensity per local hour of day (24 values; normalised to mean 1). */
  daily: readonly number[];
  /** Multiplier on Saturday and Sunday. */
  weekend: number;
}

/** One demo event as `ingest-events` takes it (the functions' contract): no weight, flat attributes. */
export type DemoEvent = Omit<IngestEvent, 'weight' | 'attributes'> & { attributes?: Record<string, string | number> };

/**
 * A cluster to inject: every monitored res-8 cell within `rings` of `cell`, over the
 * last `hours`, at `relativeRisk` × the background. When that window expects fewer than
 * `minExpected` background events (night-time, a rare category) it is widened — longer,
 * up to CLUSTER_MAX_HOURS, then one more ring — so the demo shows a detection at any
 * hour of the week; the relative risk stays what the spec says.
 */
export interface DemoClusterSpec {
  label: string;
  category: string;
  /** Centre, a resolution-8 cell. */
  cell: string;
  rings: number;
  hours: number;
  relativeRisk: number;
  /** Default CLUSTER_MIN_EXPECTED. */
  minExpected?: number;
}

/** Background events a cluster's window should expect at least (RR 4 over 8 expected is far beyond chance). */
export const CLUSTER_MIN_EXPECTED = 8;
/** The scan's longest window (6 hourly buckets by default); clusters are never widened past it. */
export const CLUSTER_MAX_HOURS = 6;
/** Rings a cluster may be widened to. */
export const CLUSTER_MAX_RINGS = 2;

export interface InjectedCluster extends DemoClusterSpec {
  cells: string[];
  windowStart: number;
  windowEnd: number;
  /** Background events expected in the cluster's cells and window (exact, from the generator's rates). */
  expected: number;
  /** Extra events injected: Poisson((RR − 1) × expected). */
  injected: number;
}

export interface DemoUniverse {
  centerCell: string;
  res8: string[];
  res9: string[];
  /** The res-8 parent of each res-9 cell (same order as res9). */
  parentOf: string[];
  /** Weight of each res-9 cell in the city's spatial intensity (sums to 1). */
  weight: Float64Array;
}

// ---------------------------------------------------------------------------
// Random numbers: a small seedable generator (mulberry32) and a hash to derive
// independent streams from (seed, hour, category).

export type Rand = () => number;

export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashInts(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    // Mix both 32-bit halves so hour indices beyond 2^32 ms do not collide.
    for (const part of [x >>> 0, Math.floor(x / 4294967296) >>> 0]) {
      h = Math.imul(h ^ part, 0x01000193);
      h ^= h >>> 13;
      h = Math.imul(h, 0x5bd1e995);
      h ^= h >>> 15;
    }
  }
  return h >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Exact Poisson draw (Knuth's method in chunks of λ ≤ 30, so e^−λ never underflows). */
export function poisson(rand: Rand, lambda: number): number {
  let n = 0;
  let rest = lambda;
  while (rest > 0) {
    const l = Math.min(rest, 30);
    rest -= l;
    const limit = Math.exp(-l);
    let p = rand();
    while (p > limit) {
      n++;
      p *= rand();
    }
  }
  return n;
}

// ---------------------------------------------------------------------------
// The city.

function gauss(h: number, mu: number, sigma: number): number {
  // Circular in the 24-hour day.
  const d = Math.min(Math.abs(h - mu), 24 - Math.abs(h - mu));
  return Math.exp(-(d * d) / (2 * sigma * sigma));
}

function profile(f: (h: number) => number): number[] {
  const raw = Array.from({ length: 24 }, (_, h) => f(h + 0.5));
  const mean = raw.reduce((a, b) => a + b, 0) / 24;
  return raw.map((v) => v / mean);
}

/**
 * Four of the playbook categories, each with its own rhythm: commuter peaks (traffic),
 * late nights and weekends (public disorder), a daytime plateau (medical) and an
 * evening bump (fire).
 */
export const DEMO_CATEGORIES: readonly DemoCategory[] = Object.freeze([
  { name: 'traffic', perHour: 36, weekend: 0.75, daily: profile((h) => 0.25 + gauss(h, 8.5, 1.5) + 1.2 * gauss(h, 17.5, 2) + 0.4 * gauss(h, 13, 1.5)) },
  { name: 'public_disorder', perHour: 18, weekend: 1.4, daily: profile((h) => 0.25 + 1.4 * gauss(h, 23.5, 2.5) + 0.3 * gauss(h, 19, 2)) },
  { name: 'medical', perHour: 16, weekend: 1.0, daily: profile((h) => 0.5 + 0.8 * gauss(h, 11, 4) + 0.4 * gauss(h, 20, 3)) },
  { name: 'fire', perHour: 8, weekend: 1.1, daily: profile((h) => 0.6 + 0.6 * gauss(h, 18, 3)) },
])

let universeCache: DemoUniverse | undefined;

function onLand(cell: string): boolean {
  const [lat, lng] = cellToLatLng(cell);
  const { x, y } = kmFromCenter(lat, lng);
  return isLand(x, y);
}

/** The monitored area: the land cells of the res-8 disk of DEMO_RINGS around the centre, and their land res-9 children. */
export function demoUniverse(): DemoUniverse {
  if (universeCache) return universeCache;
  const centerCell = latLngToCell(DEMO_CENTER.lat, DEMO_CENTER.lng, 8);
  const res8 = [...gridDisk(centerCell, DEMO_RINGS)].filter(onLand).sort();
  const pairs = res8.flatMap((p) => cellToChildren(p, 9).filter(onLand).map((c) => [c, p] as const))
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const res9 = pairs.map((x) => x[0]);
  const parentOf = pairs.map((x) => x[1]);
  const rand = mulberry32(hashString('northside-cells'));
  const weight = new Float64Array(res9.length);
  let total = 0;
  res9.forEach((cell, i) => {
    const [lat, lng] = cellToLatLng(cell);
    const { x, y } = kmFromCenter(lat, lng);
    let w = 0.08; // suburbs still have some activity
    for (const c of ACTIVITY_CENTERS) w += c.w * Math.exp(-((x - c.x) ** 2 + (y - c.y) ** 2) / (2 * c.sigma ** 2));
    w *= Math.exp(0.35 * (rand() + rand() + rand() - 1.5)); // block-to-block variation
    weight[i] = w;
    total += w;
  });
  for (let i = 0; i < weight.length; i++) weight[i]! /= total;
  universeCache = { centerCell, res8, res9, parentOf, weight };
  return universeCache;
}

/** Local hour of day (0–23) and whether it is a weekend, for an hour start in epoch ms. */
function localTime(hourStart: number): { hour: number; weekend: boolean } {
  const d = new Date(hourStart + DEMO_UTC_OFFSET_MINUTES * 60_000);
  const dow = d.getUTCDay();
  return { hour: d.getUTCHours(), weekend: dow === 0 || dow === 6 };
}

/** Mean city-wide events in one hour of a category. */
export function cityRate(cat: DemoCategory, hourStart: number): number {
  const { hour, weekend } = localTime(hourStart);
  return cat.perHour * cat.daily[hour]! * (weekend ? cat.weekend : 1);
}

function categoryByName(name: string, categories: readonly DemoCategory[]): DemoCategory {
  const cat = categories.find((c) => c.name === name);
  if (!cat) throw new Error(`unknown demo category "${name}"`);
  return cat;
}

/** Cumulative weights for drawing a res-9 cell in O(log n). */
function cumulative(weight: Float64Array): Float64Array {
  const out = new Float64Array(weight.length);
  let acc = 0;
  for (let i = 0; i < weight.length; i++) out[i] = acc += weight[i]!;
  return out;
}

function pick(cum: Float64Array, u: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  const target = u * cum[cum.length - 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A point inside a res-9 cell (≤ 60 m from its centre; the cell's inradius is ~150 m),
 * redrawn until it is on land: coastal cells have their centre ashore but not every
 * point around it.
 */
function pointIn(cell: string, rand: Rand): { lat: number; lng: number } {
  const [lat, lng] = cellToLatLng(cell);
  const c = kmFromCenter(lat, lng);
  for (let attempt = 0; ; attempt++) {
    const r = attempt < 8 ? 0.06 * Math.sqrt(rand()) : 0;
    const a = 2 * Math.PI * rand();
    const x = c.x + r * Math.cos(a);
    const y = c.y + r * Math.sin(a);
    if (r === 0 || isLand(x, y)) {
      const p = latLngFromKm(x, y);
      return { lat: Math.round(p.lat * 1e6) / 1e6, lng: Math.round(p.lng * 1e6) / 1e6 };
    }
  }
}

export interface BackgroundOptions {
  seed?: number;
  /** Generate events with occurred_at before this instant (epoch ms). */
  now: number;
  /** Days of history before now (default DEMO_DAYS). */
  days?: number;
  categories?: readonly DemoCategory[];
  source?: string;
}

/**
 * Background events hour by hour, oldest first. Each hour of each category draws its
 * count and placements from its own stream, so the events of an hour never depend on
 * the window asked for; events later than `now` are left out.
 */
export function* backgroundEvents(opts: BackgroundOptions): Generator<DemoEvent> {
  const seed = opts.seed ?? 1;
  const categories = opts.categories ?? DEMO_CATEGORIES;
  const source = opts.source ?? DEMO_SOURCE;
  const { res9, weight } = demoUniverse();
  const cum = cumulative(weight);
  const lastHour = Math.floor(opts.now / HOUR_MS);
  const firstHour = lastHour - Math.round((opts.days ?? DEMO_DAYS) * 24) + 1;
  for (let h = firstHour; h <= lastHour; h++) {
    const hourStart = h * HOUR_MS;
    for (let ci = 0; ci < categories.length; ci++) {
      const cat = categories[ci]!;
      const rand = mulberry32(hashInts(seed, h, hashString(cat.name)));
      const n = poisson(rand, cityRate(cat, hourStart));
      for (let i = 0; i < n; i++) {
        const cell = res9[pick(cum, rand())]!;
        const at = hourStart + Math.floor(rand() * HOUR_MS);
        const p = pointIn(cell, rand);
        if (at >= opts.now) continue;
        yield {
          source,
          external_id: `bg-${seed}-${cat.name}-${h}-${i}`,
          category: cat.name,
          occurred_at: new Date(at).toISOString(),
          lat: p.lat,
          lng: p.lng,
        };
      }
    }
  }
}

/** Split any event stream into batches of at most `size` (ingest-events takes ≤ 10,000). */
export function* batches<T>(items: Iterable<T>, size = 10_000): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Expected background events of a category in some res-8 cells over [from, to) — exact under the generator. */
export function expectedBackground(category: string, res8Cells: readonly string[], from: number, to: number,
  categories: readonly DemoCategory[] = DEMO_CATEGORIES): number {
  const cat = categoryByName(category, categories);
  const { parentOf, weight } = demoUniverse();
  const wanted = new Set(res8Cells);
  let share = 0;
  parentOf.forEach((parent, i) => { if (wanted.has(parent)) share += weight[i]!; });
  let total = 0;
  for (let h = Math.floor(from / HOUR_MS); h * HOUR_MS < to; h++) {
    const start = Math.max(from, h * HOUR_MS);
    const end = Math.min(to, (h + 1) * HOUR_MS);
    total += (cityRate(cat, h * HOUR_MS) * (end - start)) / HOUR_MS;
  }
  return total * share;
}

/** A res-8 cell `east` and `north` km from the city centre (snapped to the grid). */
export function cellAtKm(east: number, north: number): string {
  const p = latLngFromKm(east, north);
  return latLngToCell(p.lat, p.lng, 8);
}

/** The default clusters: pile-ups downtown, disorder on the harbour front, a string of fires in Westfield. */
export function defaultClusters(): DemoClusterSpec[] {
  return [
    { label: 'Pile-ups on the downtown ring', category: 'traffic', cell: cellAtKm(0.9, -0.5), rings: 1, hours: 3, relativeRisk: 4, minExpected: 16 },
    { label: 'Disorder on the harbour front', category: 'public_disorder', cell: cellAtKm(2.5, 2.2), rings: 1, hours: 3, relativeRisk: 5 },
    { label: 'Fires in Westfield', category: 'fire', cell: cellAtKm(-2.1, -0.6), rings: 1, hours: 4, relativeRisk: 6 },
  ];
}

export interface ClusterOptions {
  seed?: number;
  now: number;
  clusters?: readonly DemoClusterSpec[];
  categories?: readonly DemoCategory[];
  source?: string;
  /** Distinguishes repeated injections (external ids); default `now`. */
  runId?: string | number;
}

/**
 * Extra events for each cluster, spread over its res-9 cells in proportion to the
 * background and over its window in proportion to the hourly rate, so the relative risk
 * is the same everywhere inside the cluster and equal to the spec's in expectation.
 */
export function clusterEvents(opts: ClusterOptions): { events: DemoEvent[]; clusters: InjectedCluster[] } {
  const seed = opts.seed ?? 1;
  const categories = opts.categories ?? DEMO_CATEGORIES;
  const source = opts.source ?? DEMO_SOURCE;
  const runId = String(opts.runId ?? opts.now);
  const { res9, parentOf, weight } = demoUniverse();
  const events: DemoEvent[] = [];
  const clusters: InjectedCluster[] = [];
  (opts.clusters ?? defaultClusters()).forEach((spec, k) => {
    const cat = categoryByName(spec.category, categories);
    const universe = new Set(demoUniverse().res8);
    const windowEnd = opts.now;
    const minExpected = spec.minExpected ?? CLUSTER_MIN_EXPECTED;
    let rings = spec.rings;
    let hours = spec.hours;
    let cells: string[] = [];
    let windowStart = 0;
    let expected = 0;
    for (;;) {
      cells = [...gridDisk(spec.cell, rings)].filter((c) => universe.has(c)).sort();
      windowStart = opts.now - hours * HOUR_MS;
      expected = expectedBackground(spec.category, cells, windowStart, windowEnd, categories);
      if (expected >= minExpected) break;
      if (hours < CLUSTER_MAX_HOURS) hours++;
      else if (rings < CLUSTER_MAX_RINGS) rings++;
      else break;
    }
    const rand = mulberry32(hashInts(seed, k, hashString(runId)));
    const injected = poisson(rand, Math.max(0, spec.relativeRisk - 1) * expected);
    // Draw cells within the cluster by background weight, times by the hourly rate.
    const inCluster = new Set(cells);
    const idx: number[] = [];
    parentOf.forEach((p, i) => { if (inCluster.has(p)) idx.push(i); });
    const cum = cumulative(Float64Array.from(idx, (i) => weight[i]!));
    const hourList: number[] = [];
    const rates: number[] = [];
    for (let h = Math.floor(windowStart / HOUR_MS); h * HOUR_MS < windowEnd; h++) {
      const start = Math.max(windowStart, h * HOUR_MS);
      const end = Math.min(windowEnd, (h + 1) * HOUR_MS);
      hourList.push(h);
      rates.push((cityRate(cat, h * HOUR_MS) * (end - start)) / HOUR_MS);
    }
    const hourCum = cumulative(Float64Array.from(rates));
    for (let i = 0; i < injected; i++) {
      const cell = res9[idx[pick(cum, rand())]!]!;
      const h = hourList[pick(hourCum, rand())]!;
      const start = Math.max(windowStart, h * HOUR_MS);
      const end = Math.min(windowEnd, (h + 1) * HOUR_MS);
      const at = Math.min(end - 1, start + Math.floor(rand() * (end - start)));
      const p = pointIn(cell, rand);
      events.push({
        source,
        external_id: `cluster-${seed}-${runId}-${k}-${i}`,
        category: spec.category,
        occurred_at: new Date(at).toISOString(),
        lat: p.lat,
        lng: p.lng,
        attributes: { demo_cluster: spec.label },
      });
    }
    clusters.push({ ...spec, rings, hours, cells, windowStart, windowEnd, expected, injected });
  });
  return { events, clusters };
}
