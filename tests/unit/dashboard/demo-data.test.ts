/** The demo generator: deterministic, hour-stable, inside the city, and its clusters detectable at their known relative risk. */
import { cellToParent, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { isLand, kmFromCenter } from '../../../dashboard/src/city.ts';
import {
  backgroundEvents, batches, CLUSTER_MAX_HOURS, CLUSTER_MAX_RINGS, clusterEvents, DEMO_CATEGORIES, DEMO_DAYS, defaultClusters,
  demoUniverse, expectedBackground, HOUR_MS, type DemoEvent,
} from '../../../dashboard/src/demo-data.ts';
import { scanCube } from '../../../functions/_shared/detection/scan-cube.ts';

const NOW = Date.parse('2026-11-26T15:20:00Z');

describe('demo data', () => {
  const bg = [...backgroundEvents({ now: NOW })];

  it('covers the 28-day baseline plus today, hour by hour, never after now', () => {
    const times = bg.map((e) => Date.parse(e.occurred_at));
    expect(Math.max(...times)).toBeLessThan(NOW);
    expect((NOW - Math.min(...times)) / 86_400_000).toBeGreaterThan(28);
    expect(DEMO_DAYS).toBeGreaterThanOrEqual(29);
    expect(bg.length).toBeGreaterThan(40_000);
    expect(new Set(bg.map((e) => e.external_id)).size).toBe(bg.length);
  });

  it('is deterministic per seed, and an hour\'s events do not depend on the window asked for', () => {
    const again = [...backgroundEvents({ now: NOW, days: 2 })];
    const byId = new Map(bg.map((e) => [e.external_id, e]));
    for (const e of again) expect(byId.get(e.external_id)).toEqual(e);
    // Later runs add only new hours (ingest-events skips the rest as duplicates).
    const later = [...backgroundEvents({ now: NOW + 3 * HOUR_MS, days: 1 })];
    const overlap = later.filter((e) => byId.has(e.external_id));
    for (const e of overlap) expect(byId.get(e.external_id)).toEqual(e);
    expect(overlap.length).toBeGreaterThan(0);
    const other = [...backgroundEvents({ now: NOW, days: 1, seed: 2 })];
    expect(other.map((e) => e.lat)).not.toEqual(again.slice(0, other.length).map((e) => e.lat));
  });

  it('places every event on land in the monitored area', () => {
    const universe = new Set(demoUniverse().res8);
    for (const e of bg.slice(0, 5000)) {
      expect(universe.has(cellToParent(latLngToCell(e.lat, e.lng, 9), 8))).toBe(true);
      const { x, y } = kmFromCenter(e.lat, e.lng);
      expect(isLand(x, y)).toBe(true);
    }
    expect(demoUniverse().res9.length).toBeGreaterThan(300);
  });

  it('matches the generator\'s own expectation per category (Poisson, within 4 sd)', () => {
    const all = demoUniverse().res8;
    const start = NOW - DEMO_DAYS * 24 * HOUR_MS;
    for (const cat of DEMO_CATEGORIES) {
      // The first hour is whole in the generator; measure from the next boundary.
      const from = Math.ceil(start / HOUR_MS) * HOUR_MS;
      const n = bg.filter((e) => e.category === cat.name && Date.parse(e.occurred_at) >= from).length;
      const mu = expectedBackground(cat.name, all, from, NOW);
      expect(Math.abs(n - mu)).toBeLessThan(4 * Math.sqrt(mu));
    }
  });

  it('batches for ingest-events hold at most 10,000 events', () => {
    const sizes = [...batches(bg)].map((b) => b.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10_000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(bg.length);
  });

  it('injects clusters at their relative risk inside their cells and window', () => {
    let ratio = 0;
    const seeds = 40;
    for (let s = 1; s <= seeds; s++) {
      const { events, clusters } = clusterEvents({ now: NOW, seed: s });
      for (const c of clusters) {
        ratio += c.injected / ((c.relativeRisk - 1) * c.expected) / (clusters.length * seeds);
        expect(c.expected >= (c.minExpected ?? 8) || (c.hours === CLUSTER_MAX_HOURS && c.rings === CLUSTER_MAX_RINGS)).toBe(true);
        const mine = events.filter((e) => e.attributes?.demo_cluster === c.label);
        expect(mine).toHaveLength(c.injected);
        for (const e of mine) {
          expect(c.cells).toContain(cellToParent(latLngToCell(e.lat, e.lng, 9), 8));
          const t = Date.parse(e.occurred_at);
          expect(t).toBeGreaterThanOrEqual(c.windowStart);
          expect(t).toBeLessThan(c.windowEnd);
        }
      }
    }
    expect(ratio).toBeGreaterThan(0.9);
    expect(ratio).toBeLessThan(1.1);
  });

  it('widens a cluster whose window expects too little (night-time), keeping its relative risk', () => {
    const night = Date.parse('2026-11-26T04:10:00Z');
    const { clusters } = clusterEvents({ now: night });
    const specs = defaultClusters();
    for (const [i, c] of clusters.entries()) {
      expect(c.relativeRisk).toBe(specs[i]!.relativeRisk);
      expect(c.hours).toBeGreaterThanOrEqual(specs[i]!.hours);
    }
    expect(clusters.some((c, i) => c.hours > specs[i]!.hours || c.rings > specs[i]!.rings)).toBe(true);
  });

  it('the detection engine finds every injected cluster (p < 0.01) and nothing else significant in the background alone', () => {
    const { events, clusters } = clusterEvents({ now: NOW });
    const cube = (list: DemoEvent[], category: string) => {
      const m = new Map<string, number>();
      for (const e of list) {
        if (e.category !== category) continue;
        const k = `${cellToParent(latLngToCell(e.lat, e.lng, 9), 8)}|${Math.floor(Date.parse(e.occurred_at) / HOUR_MS) * HOUR_MS}`;
        m.set(k, (m.get(k) ?? 0) + 1);
      }
      return [...m].map(([k, n]) => ({ cell: k.split('|')[0]!, bucketStart: Number(k.split('|')[1]), n }));
    };
    const cells = demoUniverse().res8.map((cell) => ({ cell }));
    const now = Math.ceil(NOW / HOUR_MS) * HOUR_MS;
    for (const c of clusters) {
      const r = scanCube({ cells, rows: cube([...bg, ...events], c.category), now }, { monteCarlo: { seed: 3 } });
      expect(r.model).toBe('ebp');
      const found = r.clusters.find((k) => k.pValue < 0.01 && k.cells.some((cell) => c.cells.includes(cell)));
      expect(found, `${c.label}: ${JSON.stringify(r.clusters.map((k) => [k.cells.length, k.observed, k.pValue]))}`).toBeDefined();
      const quiet = scanCube({ cells, rows: cube(bg, c.category), now }, { monteCarlo: { seed: 3 } });
      expect(quiet.clusters.filter((k) => k.pValue < 0.01)).toEqual([]);
    }
  });
});
