/**
 * Product entry point: prospective space-time scan of one org × one category on the
 * H3 count cube (cell × time bucket → n). Windows are 1..W buckets ending now; zones
 * are H3 k-ring disks (k = 0..K) around cells with cases; the model is
 * expectation-based Poisson once the history supports a baseline, otherwise
 * space-time permutation (cold start).
 */
import { cubeBaselines, weekSlot } from './baselines.ts';
import { prepareCube, SCAN_CUBE_DEFAULTS } from './cube.ts';
import { analysesLayout, cylinderLayout } from './cylinders.ts';
import { type Replicator, runScan, type ScanProblem } from './engine.ts';
import { EbpReplicator } from './models/expectation-poisson.ts';
import { kulldorffRelativeRisk } from './models/kulldorff-poisson.ts';
import { permutationExpected, PermutationReplicator } from './models/space-time-permutation.ts';
import { resolveMonteCarlo } from './monte-carlo.ts';
import { recurrenceIntervalDays } from './recurrence.ts';
import { DEFAULT_SEVERITY_THRESHOLDS, severityFromRecurrence } from './severity.ts';
import type { CubeCluster, ScanCubeInput, ScanCubeOptions, ScanCubeResult } from './types.ts';
import { diskNeighbours } from './zones/h3-disks.ts';
import { zoneMembers } from './zones/zone-set.ts';

export { DEFAULT_BUCKET_MS, SCAN_CUBE_DEFAULTS } from './cube.ts';

export function scanCube(input: ScanCubeInput, options: ScanCubeOptions = {}): ScanCubeResult {
  const mc = resolveMonteCarlo(options.monteCarlo, {
    replicates: SCAN_CUBE_DEFAULTS.replicates,
    earlyStopAfter: SCAN_CUBE_DEFAULTS.earlyStopAfter,
    budgetMs: SCAN_CUBE_DEFAULTS.budgetMs,
  });
  const startedAt = mc.clock();
  const cube = prepareCube(input, options);
  const { bucketMs, end, W, nLoc, diskIndex, observed, hist, studyTotals, historyCases, casesInWindow, model, bopts } = cube;
  const zones = diskIndex.zones;
  const layout = cylinderLayout('prospective', W, W);
  // Adjustment for earlier analyses: A analyses (one per bucket) since the adjustment
  // start, capped by the history available and by maxAdjustedAnalyses.
  const requestedA = options.analyses ?? 1;
  if (!Number.isInteger(requestedA) || requestedA < 1) throw new RangeError('analyses must be an integer ≥ 1');
  const A = Math.min(requestedA, cube.H + 1, options.maxAdjustedAnalyses ?? SCAN_CUBE_DEFAULTS.maxAdjustedAnalyses);
  const extB = W + A - 1;
  let expected: Float64Array;
  let replicator: Replicator;
  let replicateSpace: ScanProblem['replicateSpace'];
  let total = 0;
  if (model === 'ebp') {
    if (bopts.priorRadius > 0) hist.neighbours = diskNeighbours(diskIndex, Math.min(bopts.priorRadius, diskIndex.maxK));
    const base = cubeBaselines(hist, cube.clock, cube.studySlots, bopts);
    expected = prorateCurrentBucket(base.baselines, W, cube.elapsed);
    const shape = bopts.predictive ? base.cellShape : null;
    replicator = new EbpReplicator(expected, W, shape);
    if (A > 1) {
      const extSlots = new Int32Array(extB);
      for (let j = 0; j < extB; j++) extSlots[j] = weekSlot(cube.clock, end - (extB - j) * bucketMs);
      const ext = prorateCurrentBucket(cubeBaselines(hist, cube.clock, extSlots, bopts).baselines, extB, cube.elapsed);
      replicateSpace = { layout: analysesLayout(extB, W, A), expected: ext, replicator: new EbpReplicator(ext, extB, shape) };
    }
  } else {
    // Space-time permutation over the whole period (history + study window).
    total = historyCases + casesInWindow;
    const locTotals = new Float64Array(nLoc);
    for (let l = 0; l < nLoc; l++) {
      let s = hist.cellTotals[l]!;
      for (let j = 0; j < W; j++) s += observed[l * W + j]!;
      locTotals[l] = s;
    }
    expected = permutationExpected(locTotals, studyTotals, total);
    const caseLocation = new Int32Array(total);
    let q = 0;
    for (let l = 0; l < nLoc; l++) for (let k = 0; k < locTotals[l]!; k++) caseLocation[q++] = l;
    replicator = new PermutationReplicator(caseLocation, studyTotals);
    if (A > 1) {
      const extTotals = new Float64Array(extB);
      extTotals.set(cube.historyBucketTotals.subarray(cube.H - (A - 1)), 0);
      extTotals.set(studyTotals, A - 1);
      replicateSpace = {
        layout: analysesLayout(extB, W, A),
        expected: permutationExpected(locTotals, extTotals, total),
        replicator: new PermutationReplicator(caseLocation, extTotals),
      };
    }
  }
  let expectedInWindow = 0;
  for (let i = 0; i < expected.length; i++) expectedInWindow += expected[i]!;

  const run = runScan({
    zones,
    layout,
    score: model === 'ebp' ? 'ebp' : 'kulldorff',
    total,
    minCases: options.minCases ?? SCAN_CUBE_DEFAULTS.minCases,
    centerRule: options.centers ?? SCAN_CUBE_DEFAULTS.centers,
    observed,
    expected,
    replicator,
    replicateSpace,
    mc,
    maxClusters: options.maxClusters ?? SCAN_CUBE_DEFAULTS.maxClusters,
    secondaryClusters: options.secondaryClusters ?? SCAN_CUBE_DEFAULTS.secondaryClusters,
    startedAt,
  });

  const thresholds = options.severity ?? DEFAULT_SEVERITY_THRESHOLDS;
  const cells = diskIndex.cells;
  const clusters: CubeCluster[] = run.clusters.map((c) => {
    const d = layout.winEnd[c.window]! - layout.winStart[c.window]!;
    const ri = recurrenceIntervalDays(c.pValue, bucketMs, { analyses: A });
    return {
      cells: zoneMembers(zones, c.zone).map((m) => cells[m]!),
      centerCell: cells[c.center]!,
      k: zones.zoneLabel[c.zone]!,
      windowStart: end - d * bucketMs,
      windowEnd: end,
      durationBuckets: d,
      observed: c.observed,
      expected: c.expected,
      relativeRisk: model === 'ebp' ? c.observed / c.expected : kulldorffRelativeRisk(c.observed, c.expected, total),
      score: c.score,
      pValue: c.pValue,
      pValueMonteCarlo: c.pValueMonteCarlo,
      pValueGumbel: c.pValueGumbel,
      recurrenceIntervalDays: ri,
      severity: severityFromRecurrence(ri, thresholds),
    };
  });
  const r = run.run;
  return {
    model,
    clusters,
    stats: {
      zones: run.zonesEvaluated,
      cylinders: run.cylinders,
      replications: r?.replications ?? 0,
      earlyStopped: r?.earlyStopped ?? false,
      budgetExhausted: r?.budgetExhausted ?? false,
      cpuMs: mc.clock() - startedAt,
      historyBuckets: cube.H,
      studyBuckets: W,
      universeCells: nLoc,
      casesInWindow,
      historyCases,
      expectedInWindow,
      observedMax: run.observedMax,
      gumbel: r?.gumbel ? { mu: r.gumbel.mu, beta: r.gumbel.beta } : null,
      modelReason: cube.modelReason,
      analyses: A,
      diskIndexReused: cube.diskIndexReused,
    },
  };
}

/**
 * The EBP baselines scanCube would use for this input: one value per universe cell and
 * study bucket (bucket W−1 is the latest), with the observed counts beside them.
 */
export function estimateCubeBaselines(
  input: ScanCubeInput,
  options: ScanCubeOptions = {},
): { cells: ReadonlyArray<string>; bucketStarts: number[]; baselines: Float64Array; observed: Float64Array; model: 'ebp' | 'permutation' } {
  const cube = prepareCube(input, options);
  const { hist, bopts, diskIndex } = cube;
  if (bopts.priorRadius > 0) hist.neighbours = diskNeighbours(diskIndex, Math.min(bopts.priorRadius, diskIndex.maxK));
  const base = cubeBaselines(hist, cube.clock, cube.studySlots, bopts);
  const baselines = prorateCurrentBucket(base.baselines, cube.W, cube.elapsed);
  const bucketStarts = Array.from({ length: cube.W }, (_, j) => cube.studyStart + j * cube.bucketMs);
  return { cells: diskIndex.cells, bucketStarts, baselines, observed: cube.observed, model: cube.model };
}

/**
 * A scan at 10:15 sees a quarter of the 10:00 bucket's events, so the bucket's EBP
 * baseline is a quarter of the hour's (rates uniform within a bucket). Expecting the
 * whole hour would make every cluster in the current hour look ~30–40 % weaker on
 * average under a per-minute schedule, and weakest just after the hour, when an
 * emerging cluster matters most. Baselines are row-major cell × bucket; the latest
 * bucket is the last column. Permutation needs nothing: its expectations come from
 * the observed margins.
 */
function prorateCurrentBucket(baselines: Float64Array, buckets: number, fraction: number): Float64Array {
  if (fraction >= 1) return baselines;
  for (let i = buckets - 1; i < baselines.length; i += buckets) baselines[i] = baselines[i]! * fraction;
  return baselines;
}
