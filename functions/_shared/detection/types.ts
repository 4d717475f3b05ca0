/** Public types of the detection engine's two entry points. */
import type { MonteCarloOptions } from './monte-carlo.ts';
import type { SecondaryClusters } from './secondary.ts';
import type { Severity, SeverityThresholds } from './severity.ts';
import type { H3DiskIndex } from './zones/h3-disks.ts';

export type { MonteCarloOptions } from './monte-carlo.ts';
export type { SecondaryClusters } from './secondary.ts';
export type { Severity, SeverityThresholds } from './severity.ts';

/** 'ebp' expectation-based Poisson; 'poisson' Kulldorff discrete Poisson; 'permutation' space-time permutation. */
export type ModelKind = 'ebp' | 'poisson' | 'permutation';

// ---------------------------------------------------------------------------
// scanCube: the product's scan of one org × one category on the H3 count cube.
// ---------------------------------------------------------------------------

export interface CubeRow {
  /** H3 cell index (resolution 8 in the product; any single resolution works). */
  cell: string;
  /** Bucket start, epoch ms, aligned to bucketMs. */
  bucketStart: number;
  /** Event count in the bucket (non-negative integer). */
  n: number;
}

export interface ScanCubeInput {
  /** Monitored cells (may have no rows); cells that appear only in rows are added. */
  cells: ReadonlyArray<{ cell: string }>;
  /** Count cube rows covering the history and the study window; missing rows are zeros. */
  rows: ReadonlyArray<CubeRow>;
  /** End of the latest complete-or-current bucket, epoch ms (rounded up to a bucket boundary). */
  now: number;
  /** Bucket length in ms (default 3_600_000). */
  bucketMs?: number;
  /**
   * Start of the period the cube covers, epoch ms. Buckets from here on without rows are
   * zeros. Default: the earliest bucketStart in rows (so a cube that starts with empty
   * buckets should pass it explicitly).
   */
  historyStart?: number;
}

export interface CubeBaselineOptions {
  /** Pseudo-cases of the hour-of-week profile's shrinkage toward the hour-of-day profile and of that toward flat (default 20). */
  profilePrior?: number;
  /** Gamma prior shape (pseudo-cases) shrinking each cell's rate toward its neighbourhood's rate (default 2). */
  cellPrior?: number;
  /** Ring radius of the neighbourhood whose rate is the cell's prior mean; 0 = universe mean (default 2). */
  priorRadius?: number;
  /** Pseudo-cases shrinking each cell's own hour-of-day deviation toward 1 (default 10). */
  cellHourPrior?: number;
  /** Lower bound of any cell-bucket baseline, as a fraction of the universe mean per cell-bucket (default 0.01). */
  floorFraction?: number;
  /** Absolute lower bound of any cell-bucket baseline (default 1e-6). */
  floorAbsolute?: number;
  /**
   * Posterior-predictive Monte Carlo (default true): replicates multiply each cell's
   * baseline by a Gamma(α, α) factor reflecting how much history supports it, so
   * baseline estimation error does not inflate the false-alarm rate. false = plug-in
   * Poisson(b) replicates (exact only when baselines are known).
   */
  predictive?: boolean;
  /** Offset of local time from UTC in minutes, for hour-of-day/week slots (default 0). */
  utcOffsetMinutes?: number;
  /**
   * Local offset in minutes at an instant (overrides utcOffsetMinutes): slots follow a
   * zone with daylight saving bucket by bucket. Pure functions only (e.g. Intl with a
   * fixed zone, _shared/time-zone.ts).
   */
  utcOffsetAt?: (epochMs: number) => number;
}

export interface ScanCubeOptions {
  /** 'auto' (default): EBP when history is long enough, else space-time permutation. */
  model?: 'auto' | 'ebp' | 'permutation';
  /** Largest H3 ring radius K (default 3: disks of 1, 7, 19, 37 cells). */
  maxK?: number;
  /** Longest window in buckets; windows are 1..W buckets ending now (default 6). */
  maxDurationBuckets?: number;
  /** History used, in buckets before the study window (default 28 days). */
  maxHistoryBuckets?: number;
  /** Minimum history (buckets) for EBP in 'auto' (default 7 days). */
  minHistoryBuckets?: number;
  /** Minimum cases in the history for EBP in 'auto' (default 20). */
  minHistoryCases?: number;
  /** Minimum cases in a cluster (default 2: a single case is never a cluster). */
  minCases?: number;
  /** Centres of disks: 'cases' (default; cells with cases in the window, same rule in every replicate) or 'all'. */
  centers?: 'cases' | 'all';
  /** Most clusters reported (primary + secondary, default 10). */
  maxClusters?: number;
  /**
   * SaTScan's criterion for reporting secondary clusters, applied to the most likely
   * cluster of each centre cell (its best disk and window): default 'no-geo-overlap'.
   * The centre-based criteria test whether a centre cell is one of a cluster's cells.
   */
  secondaryClusters?: SecondaryClusters;
  /** Monte Carlo settings (defaults: 999 replicates, seed 1, early stop at 50, budget 1000 ms). */
  monteCarlo?: MonteCarloOptions;
  baseline?: CubeBaselineOptions;
  /**
   * Adjustment for earlier analyses (SaTScan): A = number of analyses since the
   * adjustment start, one per bucket (analysesSince(start, now, bucketMs); re-scans
   * inside a bucket are the same analysis). With A > 1 every replicate takes its maximum
   * over the windows of the last A analyses, so p is the chance of a signal this strong
   * in any of them, and RI = D / [1 − (1 − p)^(1/A)]. Default 1 (RI = D/p).
   */
  analyses?: number;
  /** Cap on A for the adjusted replicates (default 168, a week of hourly analyses). */
  maxAdjustedAnalyses?: number;
  severity?: SeverityThresholds;
  /** Prebuilt disk index (buildH3DiskIndex) to reuse across scans of the same universe. */
  diskIndex?: H3DiskIndex;
}

export interface CubeCluster {
  cells: string[];
  centerCell: string;
  /** Ring radius of the disk. */
  k: number;
  windowStart: number;
  windowEnd: number;
  durationBuckets: number;
  observed: number;
  /** EBP: baseline sum; permutation: N_zone·N_window/C. */
  expected: number;
  /** EBP: observed/expected; permutation: SaTScan's (c/e)/((C−c)/(C−e)). */
  relativeRisk: number;
  score: number;
  pValue: number;
  pValueMonteCarlo: number;
  pValueGumbel: number | null;
  recurrenceIntervalDays: number;
  severity: Severity;
}

export interface CubeStats {
  zones: number;
  cylinders: number;
  replications: number;
  earlyStopped: boolean;
  budgetExhausted: boolean;
  cpuMs: number;
  historyBuckets: number;
  studyBuckets: number;
  universeCells: number;
  casesInWindow: number;
  historyCases: number;
  /** Sum of baselines (EBP) or expectations (permutation) over the universe in the longest window. */
  expectedInWindow: number;
  observedMax: number;
  gumbel: { mu: number; beta: number } | null;
  modelReason: string;
  /** Analyses A used for the adjustment (1 = none). */
  analyses: number;
  diskIndexReused: boolean;
}

export interface ScanCubeResult {
  model: 'ebp' | 'permutation';
  clusters: CubeCluster[];
  stats: CubeStats;
}

// ---------------------------------------------------------------------------
// scanPoints: general entry on arbitrary locations × time.
// ---------------------------------------------------------------------------

export type PointLocation = { id: string } & ({ x: number; y: number } | { lat: number; lng: number });

export interface ScanPointsInput {
  locations: ReadonlyArray<PointLocation>;
  /** counts[t][l]: one row per time step (oldest first), one column per location. */
  counts: ReadonlyArray<ArrayLike<number>>;
  /** EBP baselines, same shape as counts. */
  baselines?: ReadonlyArray<ArrayLike<number>>;
  /** Kulldorff: population per location, or per time step × location. */
  population?: ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;
  /** Kulldorff: expected counts (same shape as counts), rescaled to sum to the total cases. */
  expected?: ReadonlyArray<ArrayLike<number>>;
  /** Optional labels of the time steps (e.g. years), echoed in clusters. */
  times?: ReadonlyArray<number | string>;
}

export type PointZones =
  | { type: 'knn'; k: number }
  | { type: 'circles'; maxPopulationFraction?: number; maxRadius?: number };

export interface ScanPointsOptions {
  model: ModelKind;
  /** Inferred from the first location (lat/lng → haversine km, x/y → Euclidean). */
  coordinates?: 'planar' | 'latlng';
  /** Zones (default circles capped at 50 % of the population). */
  zones?: PointZones;
  /** 'prospective' (default): windows ending at the last time step; 'retrospective': anywhere. */
  windows?: 'prospective' | 'retrospective';
  /** Longest window in time steps (default: all T prospective, ⌈T/2⌉ retrospective). */
  maxDuration?: number;
  /** Minimum cases in a cluster (default 1). */
  minCases?: number;
  maxClusters?: number;
  /**
   * SaTScan's criterion for reporting secondary clusters, applied to the most likely
   * cluster of each centre location: default 'no-geo-overlap'. The centre-based
   * criteria compare the distance between centres with the cluster radius, as SaTScan.
   */
  secondaryClusters?: SecondaryClusters;
  /**
   * Prospective only: adjustment for earlier analyses (SaTScan). A = the number of
   * analyses, one per time step, from the prospective start to the last step (A ≤ T):
   * each replicate takes its maximum over the windows alive at any of the last A steps,
   * and RI = 1 / [1 − (1 − p)^(1/A)] time steps. Default 1 (no adjustment).
   */
  analyses?: number;
  /** Length of a time step in days: clusters then also carry recurrenceIntervalDays. */
  stepDays?: number;
  /** Default: 999 replicates, seed 1, no early stop (SaTScan's full Monte Carlo), no budget. */
  monteCarlo?: MonteCarloOptions;
}

export interface PointCluster {
  locations: string[];
  center: string;
  /** Number of locations in the zone. */
  size: number;
  /** Window as time-step indices, inclusive. */
  startIndex: number;
  endIndex: number;
  duration: number;
  startTime: number | string | null;
  endTime: number | string | null;
  observed: number;
  expected: number;
  relativeRisk: number;
  score: number;
  pValue: number;
  pValueMonteCarlo: number;
  pValueGumbel: number | null;
  /**
   * Distance from the centre to the farthest location of the zone: planar units, or km
   * for lat/lng (SaTScan's chord on its 6367 km sphere, reported as the arc 2R·asin(c/2R)).
   */
  radius: number;
  /**
   * Prospective analyses: SaTScan's recurrence interval in time steps,
   * 1 / [1 − (1 − p)^(1/A)] (1/p without adjustment); null for retrospective ones.
   */
  recurrenceInterval: number | null;
  /** recurrenceInterval × stepDays when `stepDays` is given, else null. */
  recurrenceIntervalDays: number | null;
}

export interface ScanPointsResult {
  model: ModelKind;
  clusters: PointCluster[];
  stats: {
    zones: number;
    zonesEvaluated: number;
    cylinders: number;
    replications: number;
    earlyStopped: boolean;
    budgetExhausted: boolean;
    cpuMs: number;
    totalCases: number;
    observedMax: number;
    gumbel: { mu: number; beta: number } | null;
    /** Analyses A used for the adjustment (1 = none). */
    analyses: number;
  };
}
