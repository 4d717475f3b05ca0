/**
 * General entry point: space-time scan on arbitrary locations (planar or lat/lng)
 * × T time steps, with kNN zones or SaTScan circles, any of the three models, and
 * prospective or retrospective windows.
 */
import { cylinderLayout } from './cylinders.ts';
import { type Replicator, runScan } from './engine.ts';
import type { Coordinates, LatLngPoint, PlanarPoint } from './geo.ts';
import { EbpReplicator } from './models/expectation-poisson.ts';
import { kulldorffRelativeRisk, MultinomialReplicator } from './models/kulldorff-poisson.ts';
import { permutationExpected, PermutationReplicator } from './models/space-time-permutation.ts';
import { resolveMonteCarlo } from './monte-carlo.ts';
import type { PointCluster, ScanPointsInput, ScanPointsOptions, ScanPointsResult } from './types.ts';
import { circleZones } from './zones/circles.ts';
import { knnZones } from './zones/knn.ts';
import { type ZoneSet, zoneMembers } from './zones/zone-set.ts';

function matrixFromRows(rows: ReadonlyArray<ArrayLike<number>>, T: number, L: number, what: string): Float64Array {
  if (rows.length !== T) throw new RangeError(`${what} must have ${T} rows (one per time step)`);
  const out = new Float64Array(T * L);
  for (let t = 0; t < T; t++) {
    const row = rows[t]!;
    if (row.length !== L) throw new RangeError(`${what}[${t}] must have ${L} values (one per location)`);
    for (let l = 0; l < L; l++) {
      const v = row[l]!;
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${what}[${t}][${l}] must be finite and ≥ 0`);
      out[t * L + l] = v;
    }
  }
  return out;
}

/** Rows tStart..T-1 of a T × L time-major matrix, as location-major nLoc × B. */
function scannedLocationMajor(m: Float64Array, T: number, L: number, tStart: number): Float64Array {
  const B = T - tStart;
  const out = new Float64Array(L * B);
  for (let l = 0; l < L; l++) for (let j = 0; j < B; j++) out[l * B + j] = m[(tStart + j) * L + l]!;
  return out;
}

export function scanPoints(input: ScanPointsInput, options: ScanPointsOptions): ScanPointsResult {
  const mc = resolveMonteCarlo(options.monteCarlo);
  const startedAt = mc.clock();
  const L = input.locations.length;
  const T = input.counts.length;
  if (L === 0) throw new RangeError('no locations');
  if (T === 0) throw new RangeError('no time steps');
  const first = input.locations[0]!;
  const coordinates: Coordinates = options.coordinates ?? ('lat' in first ? 'latlng' : 'planar');
  const points: Array<PlanarPoint | LatLngPoint> = input.locations.map((p) => {
    if (coordinates === 'latlng') {
      if (!('lat' in p)) throw new TypeError(`location ${p.id} has no lat/lng`);
      return { lat: p.lat, lng: p.lng };
    }
    if (!('x' in p)) throw new TypeError(`location ${p.id} has no x/y`);
    return { x: p.x, y: p.y };
  });
  const counts = matrixFromRows(input.counts, T, L, 'counts');
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    if (!Number.isInteger(counts[i]!)) throw new RangeError('counts must be integers');
    total += counts[i]!;
  }

  const model = options.model;
  const windows = options.windows ?? 'prospective';
  const maxDuration = options.maxDuration ?? (windows === 'prospective' ? T : Math.max(1, Math.ceil(T / 2)));
  const tStart = windows === 'prospective' ? T - Math.min(T, maxDuration) : 0;
  const B = T - tStart;
  const layout = cylinderLayout(windows, B, maxDuration);

  // Expected counts on the full T × L grid (time-major), per model.
  let expectedFull: Float64Array;
  let replicator: Replicator;
  const observed = scannedLocationMajor(counts, T, L, tStart);
  let expected: Float64Array;
  if (model === 'ebp') {
    if (!input.baselines) throw new TypeError("model 'ebp' needs baselines");
    expectedFull = matrixFromRows(input.baselines, T, L, 'baselines');
    expected = scannedLocationMajor(expectedFull, T, L, tStart);
    replicator = new EbpReplicator(expected, B);
  } else if (model === 'poisson') {
    let weights: Float64Array;
    if (input.expected) {
      weights = matrixFromRows(input.expected, T, L, 'expected');
    } else if (input.population) {
      const pop = input.population;
      if (pop.length === L && typeof pop[0] === 'number') {
        weights = new Float64Array(T * L);
        for (let t = 0; t < T; t++) for (let l = 0; l < L; l++) weights[t * L + l] = (pop as ArrayLike<number>)[l]!;
      } else {
        weights = matrixFromRows(pop as ReadonlyArray<ArrayLike<number>>, T, L, 'population');
      }
    } else {
      throw new TypeError("model 'poisson' needs population or expected");
    }
    let wsum = 0;
    for (let i = 0; i < weights.length; i++) wsum += weights[i]!;
    if (!(wsum > 0)) throw new RangeError('population/expected must not sum to zero');
    expectedFull = new Float64Array(T * L);
    for (let i = 0; i < weights.length; i++) expectedFull[i] = (total * weights[i]!) / wsum;
    expected = scannedLocationMajor(expectedFull, T, L, tStart);
    let scannedSum = 0;
    for (let i = 0; i < expected.length; i++) scannedSum += expected[i]!;
    replicator = new MultinomialReplicator(expected, total - scannedSum, total, B);
  } else {
    const locTotals = new Float64Array(L);
    const timeTotals = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      for (let l = 0; l < L; l++) {
        locTotals[l] = locTotals[l]! + counts[t * L + l]!;
        timeTotals[t] = timeTotals[t]! + counts[t * L + l]!;
      }
    }
    expectedFull = new Float64Array(T * L);
    if (total > 0) for (let t = 0; t < T; t++) for (let l = 0; l < L; l++) expectedFull[t * L + l] = (locTotals[l]! * timeTotals[t]!) / total;
    const scannedTotals = timeTotals.subarray(tStart);
    expected = permutationExpected(locTotals, scannedTotals, total);
    const caseLocation = new Int32Array(total);
    let q = 0;
    for (let l = 0; l < L; l++) for (let k = 0; k < locTotals[l]!; k++) caseLocation[q++] = l;
    replicator = new PermutationReplicator(caseLocation, scannedTotals);
  }

  // Zones.
  const zoneSpec = options.zones ?? { type: 'circles' as const };
  let zones: ZoneSet;
  if (zoneSpec.type === 'knn') {
    zones = knnZones(points as PlanarPoint[] | LatLngPoint[], zoneSpec.k, coordinates);
  } else {
    const pop = new Float64Array(L);
    if (model === 'poisson' && input.population && typeof input.population[0] === 'number') {
      for (let l = 0; l < L; l++) pop[l] = (input.population as ArrayLike<number>)[l]!;
    } else {
      for (let t = 0; t < T; t++) for (let l = 0; l < L; l++) pop[l] = pop[l]! + expectedFull[t * L + l]!;
    }
    zones = circleZones(points as PlanarPoint[] | LatLngPoint[], coordinates, {
      population: pop,
      maxPopulationFraction: zoneSpec.maxPopulationFraction,
      maxRadius: zoneSpec.maxRadius,
    });
  }

  const run = runScan({
    zones,
    layout,
    score: model === 'ebp' ? 'ebp' : 'kulldorff',
    total,
    minCases: options.minCases ?? 1,
    centerRule: 'all',
    observed,
    expected,
    replicator,
    mc,
    maxClusters: options.maxClusters ?? 10,
    startedAt,
  });

  const clusters: PointCluster[] = run.clusters.map((c) => {
    const members = zoneMembers(zones, c.zone);
    const center = zones.centerLocation[zones.zoneCenter[c.zone]!]!;
    const startIndex = tStart + layout.winStart[c.window]!;
    const endIndex = tStart + layout.winEnd[c.window]! - 1;
    return {
      locations: members.map((m) => input.locations[m]!.id),
      center: input.locations[center]!.id,
      size: members.length,
      startIndex,
      endIndex,
      duration: endIndex - startIndex + 1,
      startTime: input.times?.[startIndex] ?? null,
      endTime: input.times?.[endIndex] ?? null,
      observed: c.observed,
      expected: c.expected,
      relativeRisk: model === 'ebp' ? c.observed / c.expected : kulldorffRelativeRisk(c.observed, c.expected, total),
      score: c.score,
      pValue: c.pValue,
      pValueMonteCarlo: c.pValueMonteCarlo,
      pValueGumbel: c.pValueGumbel,
    };
  });
  const r = run.run;
  return {
    model,
    clusters,
    stats: {
      zones: zones.nZones,
      zonesEvaluated: run.zonesEvaluated,
      cylinders: run.cylinders,
      replications: r?.replications ?? 0,
      earlyStopped: r?.earlyStopped ?? false,
      budgetExhausted: r?.budgetExhausted ?? false,
      cpuMs: mc.clock() - startedAt,
      totalCases: total,
      observedMax: run.observedMax,
      gumbel: r?.gumbel ? { mu: r.gumbel.mu, beta: r.gumbel.beta } : null,
    },
  };
}
