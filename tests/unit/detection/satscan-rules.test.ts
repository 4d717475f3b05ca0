/**
 * The rules where the engine follows SaTScan rather than its own earlier choices (#15),
 * each on a configuration small enough to work out by hand from SaTScan's definitions:
 * secondary clusters (most likely cluster per centre, then the reporting criterion),
 * distances (3-D chord on a 6367 km sphere, equidistant locations one at a time), and
 * the outputs (radius, recurrence interval, adjustment for earlier analyses, full Monte
 * Carlo by default).
 */
import { gridDisk } from 'h3-js';
import { describe, expect, it } from 'vitest';
import {
  buildH3DiskIndex,
  chordToArcKm,
  circleZones,
  createRng,
  haversineKm,
  latLngToCartesian,
  packZones,
  recurrenceIntervalSteps,
  SCAN_CUBE_DEFAULTS,
  scanCube,
  scanPoints,
  SECONDARY_CLUSTERS,
  type SecondaryClusters,
  selectSecondaryClusters,
  zoneMembers,
} from '../../../functions/_shared/detection/index.ts';
import { makeCity, sampleCube } from './synthetic-city.ts';

/**
 * EBP, one time step, baseline 1 everywhere. a (x = 0), b (1) and d (2.5) carry 10, 6
 * and 3 cases; six far-away fillers carry their baseline (score 0). Circles hold at
 * most 4 of the 9 locations (50 % of the baseline total).
 *   {a,b}:   c = 16, b = 2: 16·ln 8 − 14      = 19.271065  best of a (and of b: same set)
 *   {a,b,d}: c = 19, b = 3: 19·ln(19/3) − 16 = 19.070749  best of d (d's circle reaches b at 1.5, a at 2.5)
 *   {d}:     c = 3,  b = 1: 3·ln 3 − 2        = 1.295837
 * Ranking every zone and keeping those sharing no location (the rule before #15) also
 * reported {d}; SaTScan keeps d's most likely cluster {a,b,d} only, which overlaps {a,b}.
 */
const line = {
  locations: [
    { id: 'a', x: 0, y: 0 },
    { id: 'b', x: 1, y: 0 },
    { id: 'd', x: 2.5, y: 0 },
    ...Array.from({ length: 6 }, (_, i) => ({ id: `f${i}`, x: 100 + i, y: 0 })),
  ],
  counts: [[10, 6, 3, 1, 1, 1, 1, 1, 1]],
  baselines: [[1, 1, 1, 1, 1, 1, 1, 1, 1]],
};
const AB = 16 * Math.log(8) - 14;
const ABD = 19 * Math.log(19 / 3) - 16;

function lineClusters(secondaryClusters?: SecondaryClusters): Array<[string, string, number]> {
  const res = scanPoints(line, { model: 'ebp', secondaryClusters, monteCarlo: { replicates: 0 } });
  return res.clusters.map((c) => [c.center, [...c.locations].sort().join(','), c.score]);
}

describe('secondary clusters as SaTScan reports them', () => {
  it('keeps the most likely cluster of each centre, then drops those overlapping a better one (default)', () => {
    const got = lineClusters();
    expect(got).toHaveLength(1);
    expect(got[0]![0]).toBe('a'); // a and b tie on {a,b}: same size, lower centre index
    expect(got[0]![1]).toBe('a,b');
    expect(got[0]![2]).toBeCloseTo(AB, 9);
    expect(lineClusters('no-geo-overlap')).toEqual(got);
  });

  it('applies SaTScan\'s other five criteria with centre-in-circle tests by distance and radius', () => {
    // Radii: a's {a,b} 1, b's {a,b} 1, d's {a,b,d} 2.5. b lies in a's circle and a in b's;
    // a lies in d's circle (2.5 ≤ 2.5) but d not in a's (2.5 > 1).
    const names = (c: SecondaryClusters): string[] => lineClusters(c).map(([center, set]) => `${center}:${set}`);
    expect(names('no-centers-in-other')).toEqual(['a:a,b']);
    expect(names('no-centers-in-more-likely')).toEqual(['a:a,b', 'd:a,b,d']);
    expect(names('no-centers-in-less-likely')).toEqual(['a:a,b']);
    expect(names('no-pairs-centers-each-other')).toEqual(['a:a,b', 'd:a,b,d']);
    expect(names('no-restrictions')).toEqual(['a:a,b', 'b:a,b', 'd:a,b,d']);
    expect(lineClusters('no-restrictions')[2]![2]).toBeCloseTo(ABD, 9);
    expect(SECONDARY_CLUSTERS).toHaveLength(6);
    expect(() => lineClusters('overlap' as SecondaryClusters)).toThrow(RangeError);
  });

  it('tests centres by membership where zones are not circles (the cube\'s H3 disks)', () => {
    // Centre 0: {0}, {0,1}; centre 1: {1}, {1,0,2}; centre 2: {2}, {2,3}; centre 3: {3}.
    const zs = packZones(4, [
      { center: 0, members: [0, 1], sizes: [1, 2], labels: [0, 1] },
      { center: 1, members: [1, 0, 2], sizes: [1, 3], labels: [0, 1] },
      { center: 2, members: [2, 3], sizes: [1, 2], labels: [0, 1] },
      { center: 3, members: [3], sizes: [1], labels: [0] },
    ], 'within-center');
    const score = Float64Array.from([1, 10, 2, 9, 3, 4, 5]);
    // Best per centre: 0 → {0,1} 10, 1 → {1,0,2} 9, 3 → {3} 5, 2 → {2,3} 4. The old rule
    // also kept zone {2} (score 3): it overlaps nothing, but centre 2's best {2,3} does.
    const pick = (c: SecondaryClusters): string[] =>
      selectSecondaryClusters(zs, score, 10, c).map((k) => `${k.center}:${zoneMembers(zs, k.zone).join(',')}`);
    expect(pick('no-geo-overlap')).toEqual(['0:0,1', '3:3']);
    expect(pick('no-centers-in-other')).toEqual(['0:0,1', '3:3']);
    expect(pick('no-centers-in-more-likely')).toEqual(['0:0,1', '3:3', '2:2,3']);
    expect(pick('no-centers-in-less-likely')).toEqual(['0:0,1', '3:3']);
    expect(pick('no-pairs-centers-each-other')).toEqual(['0:0,1', '3:3', '2:2,3']);
    expect(pick('no-restrictions')).toEqual(['0:0,1', '1:1,0,2', '3:3', '2:2,3']);
    expect(selectSecondaryClusters(zs, score, 1, 'no-restrictions')).toHaveLength(1);
  });

  it('scanCube reports each centre cell\'s most likely cluster, disjoint, as no-restrictions lists it', () => {
    const city = makeCity({ rings: 8, totalPerHour: 12, seed: 5 });
    const cells = city.cells.map((cell) => ({ cell }));
    const diskIndex = buildH3DiskIndex(city.cells, 3);
    const now = Date.UTC(2024, 2, 6, 19);
    const hot = new Set(gridDisk(city.center, 1).map((c) => city.cells.indexOf(c)));
    const s = sampleCube(city, now, 14 * 24, 6, createRng(4), { cells: hot, hours: 2, relativeRisk: 4 });
    const input = { cells, rows: s.rows, now, historyStart: s.historyStart };
    const mc = { replicates: 0 };
    const all = scanCube(input, { diskIndex, secondaryClusters: 'no-restrictions', maxClusters: 1000, monteCarlo: mc });
    const kept = scanCube(input, { diskIndex, monteCarlo: mc });
    expect(kept.clusters.length).toBeGreaterThan(1);
    expect(kept.clusters.length).toBeLessThan(all.clusters.length);
    // One cluster per centre cell in the unrestricted list.
    expect(new Set(all.clusters.map((c) => c.centerCell)).size).toBe(all.clusters.length);
    const byCenter = new Map(all.clusters.map((c) => [c.centerCell, c]));
    const seen = new Set<string>();
    for (const c of kept.clusters) {
      const same = byCenter.get(c.centerCell)!;
      expect([c.cells, c.durationBuckets, c.score]).toEqual([same.cells, same.durationBuckets, same.score]);
      for (const x of c.cells) {
        expect(seen.has(x)).toBe(false);
        seen.add(x);
      }
    }
    // Every unrestricted cluster left out overlaps a better kept one.
    for (const c of all.clusters) {
      if (kept.clusters.some((k) => k.centerCell === c.centerCell)) continue;
      const better = kept.clusters.filter((k) => k.score >= c.score);
      if (kept.clusters.length === 10 && better.length === 10) continue; // cut by maxClusters
      expect(better.some((k) => k.cells.some((x) => c.cells.includes(x)))).toBe(true);
    }
    expect(SCAN_CUBE_DEFAULTS.secondaryClusters).toBe('no-geo-overlap');
  });
});

describe('distances as SaTScan computes them', () => {
  it('uses 3-D coordinates on a 6367 km sphere and the chord between them', () => {
    const [x, y, z] = latLngToCartesian(0, 90);
    expect(x).toBeCloseTo(0, 9);
    expect(y).toBeCloseTo(6367, 9);
    expect(z).toBe(0);
    expect(latLngToCartesian(90, 0)[2]).toBe(6367);
    // One degree of longitude on the equator: chord 2·6367·sin(0.5°) = 111.123703 km, arc
    // 6367·π/180 = 111.125113 km; the haversine on 6371.0088 km says 111.195080 km.
    const c = latLngToCartesian(0, 0);
    const d = latLngToCartesian(0, 1);
    const chord = Math.hypot(c[0] - d[0], c[1] - d[1], c[2] - d[2]);
    expect(chord).toBeCloseTo(2 * 6367 * Math.sin(Math.PI / 360), 9);
    expect(chord).toBeCloseTo(111.123703, 5);
    expect(chordToArcKm(chord)).toBeCloseTo((6367 * Math.PI) / 180, 9);
    expect(haversineKm(0, 0, 0, 1)).toBeCloseTo(111.19508, 4);
  });

  it('a kilometre cap of 111.15 admits a location 1° away by chord (111.124 km), not by haversine (111.195 km)', () => {
    const pts = [{ lat: 0, lng: 0 }, { lat: 0, lng: 1 }, { lat: 10, lng: 10 }];
    const sets = (maxRadius: number): string[] => {
      const zs = circleZones(pts, 'latlng', { population: [1, 1, 2], maxRadius });
      return Array.from({ length: zs.nZones }, (_, z) => zoneMembers(zs, z).sort().join(','));
    };
    expect(haversineKm(0, 0, 0, 1)).toBeGreaterThan(111.15);
    expect(sets(111.15)).toContain('0,1');
    expect(sets(111.12)).not.toContain('0,1');
    // scanPoints reports the km radius as SaTScan does: the arc of the chord, 111.125 km.
    const input = {
      locations: pts.map((p, i) => ({ id: `p${i}`, ...p })),
      counts: [[5, 5, 0]],
      population: [1, 1, 2],
    };
    const wide = scanPoints(input, { model: 'poisson', zones: { type: 'circles', maxRadius: 111.15 }, monteCarlo: { replicates: 0 } });
    expect(wide.clusters[0]!.locations.sort()).toEqual(['p0', 'p1']);
    expect(wide.clusters[0]!.center).toBe('p0');
    expect(wide.clusters[0]!.score).toBeCloseTo(10 * Math.log(2), 9); // c = 10 of 10 where 5 expected
    expect(wide.clusters[0]!.radius).toBeCloseTo((6367 * Math.PI) / 180, 9);
    const narrow = scanPoints(input, { model: 'poisson', zones: { type: 'circles', maxRadius: 111.12 }, monteCarlo: { replicates: 0 } });
    expect(narrow.clusters[0]!.locations).toEqual(['p0']);
    expect(narrow.clusters[0]!.radius).toBe(0);
  });

  it('adds two locations equidistant from a centre one at a time, the lesser 3-D coordinates first', () => {
    // From (0, 0): (0, 1) and (0, −1) are exactly equidistant; their x and z agree and
    // y = 6367·sin(±1°) decides: (0, −1) enters first.
    const pts = [{ lat: 0, lng: 0 }, { lat: 0, lng: 1 }, { lat: 0, lng: -1 }, { lat: 40, lng: 40 }];
    const zs = circleZones(pts, 'latlng', { population: [1, 1, 1, 3] });
    const fromCentre = Array.from({ length: zs.nZones }, (_, z) => z)
      .filter((z) => zs.centerLocation[zs.zoneCenter[z]!] === 0)
      .map((z) => zoneMembers(zs, z).join(','));
    expect(fromCentre).toEqual(['0', '0,2', '0,2,1']);
    // A planar radius is reported in the coordinates' units.
    const res = scanPoints(
      { locations: [{ id: 'o', x: 0, y: 0 }, { id: 'e', x: 3, y: 4 }, { id: 'far', x: 50, y: 0 }], counts: [[6, 6, 0]], population: [1, 1, 2] },
      { model: 'poisson', monteCarlo: { replicates: 0 } },
    );
    expect(res.clusters[0]!.radius).toBe(5);
  });
});

describe('outputs and defaults of scanPoints', () => {
  const T = 8;
  const locations = Array.from({ length: 5 }, (_, i) => ({ id: `l${i}`, x: i, y: 0 }));
  const counts = Array.from({ length: T }, (_, t) => locations.map((_, l) => ((t * 7 + l * 3) % 5) + (t === T - 1 && l === 0 ? 9 : 0)));
  const baselines = Array.from({ length: T }, () => locations.map(() => 2));
  const input = { locations, counts, baselines };

  it('reports the recurrence interval of prospective clusters: 1/p time steps, × stepDays in days', () => {
    const res = scanPoints(input, { model: 'ebp', stepDays: 7, monteCarlo: { replicates: 199, seed: 3 } });
    const c = res.clusters[0]!;
    expect(c.locations).toContain('l0');
    expect(c.recurrenceInterval! * c.pValue).toBeCloseTo(1, 12);
    expect(c.recurrenceIntervalDays! / c.recurrenceInterval!).toBeCloseTo(7, 12);
    const retro = scanPoints(input, { model: 'ebp', windows: 'retrospective', monteCarlo: { replicates: 19 } });
    expect(retro.clusters[0]!.recurrenceInterval).toBeNull();
    expect(retro.clusters[0]!.recurrenceIntervalDays).toBeNull();
    expect(() => scanPoints(input, { model: 'ebp', windows: 'retrospective', analyses: 2 })).toThrow(RangeError);
    expect(() => scanPoints(input, { model: 'ebp', analyses: T + 1 })).toThrow(RangeError);
  });

  it('adjusts for earlier analyses: replicate maxima span the last A steps, RI = 1/[1 − (1 − p)^(1/A)]', () => {
    for (const model of ['ebp', 'poisson', 'permutation'] as const) {
      const inp = model === 'poisson' ? { locations, counts, population: [1, 1, 1, 1, 1] } : input;
      const mc = { replicates: 199, seed: 1 };
      const plain = scanPoints(inp, { model, monteCarlo: mc });
      const adjusted = scanPoints(inp, { model, analyses: 4, monteCarlo: mc });
      expect(adjusted.stats.analyses).toBe(4);
      expect(adjusted.clusters[0]!.score).toBe(plain.clusters[0]!.score);
      expect(adjusted.stats.gumbel!.mu).toBeGreaterThan(plain.stats.gumbel!.mu);
      const c = adjusted.clusters[0]!;
      expect(c.recurrenceInterval! * (1 - (1 - c.pValue) ** (1 / 4))).toBeCloseTo(1, 6);
      expect(c.recurrenceInterval).toBe(recurrenceIntervalSteps(c.pValue, 4));
    }
  });

  it('runs the full Monte Carlo by default (SaTScan); the product scan keeps the sequential stop at 50', () => {
    const quiet = { locations, counts: counts.map((r, t) => r.map((v, l) => (t === T - 1 && l === 0 ? v - 9 : v))), baselines };
    const res = scanPoints(quiet, { model: 'permutation' });
    expect(res.stats.replications).toBe(999);
    expect(res.stats.earlyStopped).toBe(false);
    const sequential = scanPoints(quiet, { model: 'permutation', monteCarlo: { earlyStopAfter: 50 } });
    expect(sequential.stats.earlyStopped).toBe(true);
    expect(SCAN_CUBE_DEFAULTS.earlyStopAfter).toBe(50);
  });
});
