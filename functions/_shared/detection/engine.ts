/**
 * Model-independent scan driver shared by scanCube and scanPoints: observed scan,
 * Monte Carlo replicates, primary + secondary clusters with p-values.
 */
import {
  type CenterRule,
  type CylinderLayout,
  CylinderScanner,
  type ScoreKind,
  zoneWindowSums,
} from './cylinders.ts';
import { type MonteCarloRun, type PValues, pValuesFor, type ResolvedMonteCarlo, runMonteCarlo } from './monte-carlo.ts';
import { createRng, type Rng } from './rng.ts';
import { ReplicateSink } from './replicate-sink.ts';
import { type InCluster, type SecondaryClusters, selectSecondaryClusters } from './secondary.ts';
import type { ZoneSet } from './zones/zone-set.ts';

export interface Replicator {
  /** Write one null replicate into the (reset, all-zero) sink. */
  generate(rng: Rng, sink: ReplicateSink): void;
}

export interface ScanProblem {
  zones: ZoneSet;
  layout: CylinderLayout;
  score: ScoreKind;
  /** Total cases C for the Kulldorff-form GLR (Kulldorff Poisson, permutation). */
  total: number;
  minCases: number;
  centerRule: CenterRule;
  /** Observed counts on the scanned axis, nLoc × nBuckets. */
  observed: Float64Array;
  /** Expected counts (baselines / expected / permutation expectation), nLoc × nBuckets. */
  expected: Float64Array;
  replicator: Replicator;
  /**
   * Optional wider null space for the replicates (adjustment for earlier analyses):
   * each replicate's maximum is taken over these cylinders instead of the observed ones.
   */
  replicateSpace?: { layout: CylinderLayout; expected: Float64Array; replicator: Replicator };
  mc: ResolvedMonteCarlo;
  maxClusters: number;
  /** Criterion for reporting secondary clusters (default SaTScan's 'no-geo-overlap'). */
  secondaryClusters?: SecondaryClusters;
  /** Centre-in-cluster test of the centre-based criteria (default: membership). */
  inCluster?: InCluster;
  /** Clock reading at the start of the scan (for the CPU budget). */
  startedAt: number;
}

export interface RawCluster extends PValues {
  zone: number;
  /** Centre location of the cluster (a zone shared by several centres belongs to each). */
  center: number;
  window: number;
  observed: number;
  expected: number;
  score: number;
}

export interface ScanRun {
  clusters: RawCluster[];
  observedMax: number;
  zonesEvaluated: number;
  cylinders: number;
  run: MonteCarloRun | null;
  zoneExpected: Float64Array;
}

export function runScan(p: ScanProblem): ScanRun {
  const nLoc = p.zones.nLocations;
  const B = p.layout.nBuckets;
  if (p.observed.length !== nLoc * B || p.expected.length !== nLoc * B) {
    throw new RangeError('observed/expected must hold nLocations × nBuckets values');
  }
  const zoneExpected = zoneWindowSums(p.zones, p.layout, p.expected);
  const scanner = new CylinderScanner({
    zones: p.zones,
    layout: p.layout,
    score: p.score,
    total: p.total,
    minCases: p.minCases,
    centerRule: p.centerRule,
    zoneExpected,
  });
  scanner.load(p.observed);
  const bests = scanner.zoneBests();
  let observedMax = 0;
  for (let z = 0; z < p.zones.nZones; z++) if (bests.score[z]! > observedMax) observedMax = bests.score[z]!;
  const nW = p.layout.nWindows;
  const result: ScanRun = {
    clusters: [],
    observedMax,
    zonesEvaluated: bests.zonesEvaluated,
    cylinders: bests.zonesEvaluated * nW,
    run: null,
    zoneExpected,
  };
  if (!(observedMax > 0)) return result;

  let run: MonteCarloRun | null = null;
  if (p.mc.replicates > 0) {
    const rng = createRng(p.mc.seed);
    const space = p.replicateSpace;
    let repScanner = scanner;
    let replicator = p.replicator;
    let repB = B;
    if (space) {
      if (space.expected.length !== nLoc * space.layout.nBuckets) throw new RangeError('replicateSpace.expected has the wrong size');
      repScanner = new CylinderScanner({
        zones: p.zones,
        layout: space.layout,
        score: p.score,
        total: p.total,
        minCases: p.minCases,
        centerRule: p.centerRule,
        zoneExpected: zoneWindowSums(p.zones, space.layout, space.expected),
      });
      replicator = space.replicator;
      repB = space.layout.nBuckets;
    }
    const sink = new ReplicateSink(nLoc, repB);
    repScanner.clear();
    const replicate = (): number => {
      repScanner.clearRows(sink.touched, sink.nTouched);
      sink.reset();
      replicator.generate(rng, sink);
      repScanner.loadRows(sink.x, sink.touched, sink.nTouched);
      return repScanner.max();
    };
    run = runMonteCarlo(observedMax, replicate, p.mc, p.startedAt);
  }
  result.run = run;
  const chosen = selectSecondaryClusters(p.zones, bests.score, p.maxClusters, p.secondaryClusters, p.inCluster);
  for (const { zone: z, center } of chosen) {
    const w = bests.window[z]!;
    const score = bests.score[z]!;
    const pv: PValues = run ? pValuesFor(score, run) : { pValue: 1, pValueMonteCarlo: 1, pValueGumbel: null };
    result.clusters.push({
      zone: z,
      center,
      window: w,
      observed: bests.observed[z]!,
      expected: zoneExpected[z * nW + w]!,
      score,
      ...pv,
    });
  }
  return result;
}
