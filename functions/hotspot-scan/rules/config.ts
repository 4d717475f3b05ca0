/**
 * The hotspot scan's named limits and lifecycle thresholds, with their documented
 * defaults (docs/functions.md "hotspot-scan"). The thresholds come from the org's
 * settings (org_settings.scan, configFromSettings below), whose defaults reproduce
 * these; compute limits (bucket, replicates, budget, abandoned runs) stay platform
 * constants. Tests and benchmarks pass overrides to the handler, which win.
 */
import { DEFAULT_SEVERITY_THRESHOLDS, type SeverityThresholds } from '../../_shared/detection/severity.ts';
import type { ScanSettings } from '../../_shared/org-settings.ts';
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
  /** A category is scanned only with at least this many cases in the study window. */
  minCases: number;
  /** Severity tiers as minimum recurrence intervals (days). */
  severityDays: SeverityThresholds;
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
  minCases: 2,
  severityDays: DEFAULT_SEVERITY_THRESHOLDS,
});

/** The org's thresholds (org_settings.scan) as config; hours become buckets of `bucketMs`. */
export function configFromSettings(s: ScanSettings, bucketMs: number = DEFAULT_SCAN_CONFIG.bucketMs): Partial<ScanConfig> {
  const buckets = (hours: number): number => Math.max(1, Math.round((hours * 3_600_000) / bucketMs));
  return {
    maxDurationBuckets: buckets(s.max_window_hours),
    maxHistoryDays: s.max_history_days,
    maxK: s.max_ring_k,
    maxClustersPerCategory: s.max_clusters_per_category,
    resolveAfterQuietBuckets: buckets(s.resolve_after_quiet_hours),
    fireAfterDetections: s.fire_after_detections,
    confirmSpacingMs: s.confirm_spacing_seconds * 1000,
    fireImmediatelyAt: s.fire_immediately_at,
    growthFactor: s.growth_factor,
    minGrowthCases: s.min_growth_cases,
    topK: s.recommendations_per_alert,
    minCases: s.min_cases,
    severityDays: { ...s.severity_days },
  };
}
