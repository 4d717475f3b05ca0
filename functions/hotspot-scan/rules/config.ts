/**
 * The hotspot scan's named limits and lifecycle thresholds, with their documented
 * defaults (docs/functions.md "hotspot-scan"). Deployed functions use the defaults;
 * tests and benchmarks pass overrides to the handler.
 */
import type { Severity } from '../../_shared/vocabulary.ts';

export interface ScanConfig {
  /** Cube bucket length (the count cube is hourly). */
  bucketMs: number;
  /** Longest prospective window, in buckets (windows are 1..W buckets ending now). */
  maxDurationBuckets: number;
  /** History read for baselines, in days before the study window. */
  maxHistoryDays: number;
  /** Largest H3 ring radius of the disk zones. */
  maxK: number;
  /** Monte Carlo replicates per category scan. */
  replicates: number;
  /** Wall-clock budget for all engine calls of one scan, split across categories (hosted CPU limit: 2 s). */
  computeBudgetMs: number;
  /** Most clusters reported per category. */
  maxClustersPerCategory: number;
  /** A hotspot resolves after this many analyses (buckets) without re-detection. */
  resolveAfterQuietBuckets: number;
  /** A pending alert fires after this many consecutive detecting scans… */
  fireAfterDetections: number;
  /** …counted only when at least this far apart (so a burst of scans is one look). */
  confirmSpacingMs: number;
  /** …or at once when its severity reaches this tier. */
  fireImmediatelyAt: Severity;
  /** Re-notify a firing alert when its cases grew by this fraction since the last notification… */
  growthFactor: number;
  /** …and by at least this many cases (or when it gained cells). */
  minGrowthCases: number;
  /** Playbooks recommended per alert revision. */
  topK: number;
  /** A run still `running` this long after it started is abandoned (the hosted wall-clock limit of a function worker, 400 s on paid plans). */
  abandonedRunAfterMs: number;
}

export const DEFAULT_SCAN_CONFIG: Readonly<ScanConfig> = Object.freeze({
  bucketMs: 3_600_000,
  maxDurationBuckets: 6,
  maxHistoryDays: 28,
  maxK: 3,
  replicates: 999,
  computeBudgetMs: 1200,
  maxClustersPerCategory: 10,
  resolveAfterQuietBuckets: 2,
  fireAfterDetections: 2,
  confirmSpacingMs: 50_000,
  fireImmediatelyAt: 'high',
  growthFactor: 0.25,
  minGrowthCases: 3,
  topK: 3,
  abandonedRunAfterMs: 400_000,
});
