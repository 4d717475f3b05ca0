/**
 * General entry point: space-time scan on arbitrary locations (planar or lat/lng)
 * × T time steps, with kNN zones or SaTScan circles, any of the three models, and
 * prospective or retrospective windows. Defaults follow SaTScan: full Monte Carlo (no
 * sequential early stop), secondary clusters with no geographical overlap among the
 * most likely cluster of each centre, chord distances on a 6367 km sphere for lat/lng.
 */
import { analysesLayout, cylinderLayout } from './cylinders.ts';
import { type Replicator, runScan, type ScanProblem } from './engine.ts';
import { cartesianCoordinates, chordToArcKm, type Coordinates, distanceMatrixOf, type LatLngPoint, type PlanarPoint } from './geo.ts';
import { EbpReplicator } from './models/expectation-poisson.ts';
import { kulldorffRelativeRisk, MultinomialReplicator } from './models/kulldorff-poisson.ts';
import { permutationExpected, PermutationReplicator } from './models/space-time-permutation.ts';
import { resolveMonteCarlo } from './monte-carlo.ts';
import { recurrenceIntervalSteps } from './recurrence.ts';
import type { InCluster } from './secondary.ts';
import type { PointCluster, ScanPointsInput, ScanPointsOptions, ScanPointsResult } from './types.ts';
import { circleZonesFromDistances } from './zones/circles.ts';
import { knnZonesFromDistances } from './zones/knn.ts';
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
  // SaTScan runs the full Monte Carlo unless its sequential test is asked for.
  const mc = resolveMonteCarlo(options.monteCarlo, { earlyStopAfter: 0 });
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
  const A = options.analyses ?? 1;
  if (!Number.isInteger(A) || A < 1 || A > T) throw new RangeError(`analyses must be an integer in [1, ${T}]`);
  if (A > 1 && windows !== 'prospective') throw new RangeError('analyses (adjustment for earlier analyses) needs prospective windows');

  // Expected counts on the full T × L grid (time-major), per model, and the null model
  // of the time steps from `from` on (location-major expectations and replicator).
  let expectedFull: Float64Array;
  let nullModel: (from: number) => { expected: Float64Array; replicator: Replicator };
  if (model === 'ebp') {
    if (!input.baselines) throw new TypeError("model 'ebp' needs baselines");
    const baselines = matrixFromRows(input.baselines, T, L, 'baselines');
    expectedFull = baselines;
    nullModel = (from) => {
      const expected = scannedLocationMajor(baselines, T, L, from);
      return { expected, replicator: new EbpReplicator(expected, T - from) };
    };
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
    const scaled = new Float64Array(T * L);
    for (let i = 0; i < weights.length; i++) scaled[i] = (total * weights[i]!) / wsum;
    expectedFull = scaled;
    nullModel = (from) => {
      const expected = scannedLocationMajor(scaled, T, L, from);
      let scannedSum = 0;
      for (let i = 0; i < expected.length; i++) scannedSum += expected[i]!;
      return { expected, replicator: new MultinomialReplicator(expected, total - scannedSum, total, T - from) };
    };
  } else {
    const locTotals = new Float64Array(L);
    const timeTotals = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      for (let l = 0; l < L; l++) {
        locTotals[l] = locTotals[l]! + counts[t * L + l]!;
        timeTotals[t] = timeTotals[t]! + counts[t * L + l]!;
      }
    }
    const full = new Float64Array(T * L);
    if (total > 0) for (let t = 0; t < T; t++) for (let l = 0; l < L; l++) full[t * L + l] = (locTotals[l]! * timeTotals[t]!) / total;
    expectedFull = full;
    const caseLocation = new Int32Array(total);
    let q = 0;
    for (let l = 0; l < L; l++) for (let k = 0; k < locTotals[l]!; k++) caseLocation[q++] = l;
    nullModel = (from) => {
      const scannedTotals = timeTotals.subarray(from);
      return { expected: permutationExpected(locTotals, scannedTotals, total), replicator: new PermutationReplicator(caseLocation, scannedTotals) };
    };
  }
  const observed = scannedLocationMajor(counts, T, L, tStart);
  const { expected, replicator } = nullModel(tStart);
  // Adjustment for earlier analyses: replicates take their maximum over the windows
  // alive at any of the last A time steps.
  let replicateSpace: ScanProblem['replicateSpace'];
  if (A > 1) {
    const extB = Math.min(T, Math.min(T, maxDuration) + A - 1);
    const ext = nullModel(T - extB);
    replicateSpace = { layout: analysesLayout(extB, maxDuration, A), expected: ext.expected, replicator: ext.replicator };
  }

  // Zones, on SaTScan's distances (chord km for lat/lng).
  const coords = cartesianCoordinates(points as PlanarPoint[] | LatLngPoint[], coordinates);
  const dist = distanceMatrixOf(coords);
  const zoneSpec = options.zones ?? { type: 'circles' as const };
  let zones: ZoneSet;
  if (zoneSpec.type === 'knn') {
    zones = knnZonesFromDistances(dist, L, zoneSpec.k);
  } else {
    const pop = new Float64Array(L);
    if (model === 'poisson' && input.population && typeof input.population[0] === 'number') {
      for (let l = 0; l < L; l++) pop[l] = (input.population as ArrayLike<number>)[l]!;
    } else {
      for (let t = 0; t < T; t++) for (let l = 0; l < L; l++) pop[l] = pop[l]! + expectedFull[t * L + l]!;
    }
    zones = circleZonesFromDistances(dist, L, {
      population: pop,
      maxPopulationFraction: zoneSpec.maxPopulationFraction,
      maxRadius: zoneSpec.maxRadius,
      coords,
    });
  }
  // A cluster's radius: distance from its centre to its farthest location (SaTScan's
  // cartesian radius). Centre-in-cluster: compared in single precision, as SaTScan.
  const radiusOf = (center: number, zone: number): number => {
    let r = 0;
    for (const m of zoneMembers(zones, zone)) r = Math.max(r, dist[center * L + m]!);
    return r;
  };
  const inCluster: InCluster = (center, zone, location) => Math.fround(dist[center * L + location]!) <= Math.fround(radiusOf(center, zone));

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
    replicateSpace,
    mc,
    maxClusters: options.maxClusters ?? 10,
    secondaryClusters: options.secondaryClusters ?? 'no-geo-overlap',
    inCluster,
    startedAt,
  });

  const stepDays = options.stepDays;
  if (stepDays !== undefined && !(stepDays > 0)) throw new RangeError('stepDays must be > 0');
  const clusters: PointCluster[] = run.clusters.map((c) => {
    const members = zoneMembers(zones, c.zone);
    const startIndex = tStart + layout.winStart[c.window]!;
    const endIndex = tStart + layout.winEnd[c.window]! - 1;
    const chord = radiusOf(c.center, c.zone);
    const ri = windows === 'prospective' ? recurrenceIntervalSteps(c.pValue, A) : null;
    return {
      locations: members.map((m) => input.locations[m]!.id),
      center: input.locations[c.center]!.id,
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
      radius: coordinates === 'latlng' ? chordToArcKm(chord) : chord,
      recurrenceInterval: ri,
      recurrenceIntervalDays: ri !== null && stepDays !== undefined ? ri * stepDays : null,
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
      analyses: A,
    },
  };
}
