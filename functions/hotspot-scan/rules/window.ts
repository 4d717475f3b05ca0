/** The time span one scan reads and analyses (pure). */
import type { ScanConfig } from './config.ts';

export interface ScanWindow {
  /** The scan's clock (epoch ms). */
  now: number;
  /** End of the current bucket: the study window ends here. */
  end: number;
  /** Start of the prospective study window (W buckets before `end`). */
  studyStart: number;
  /** Start of the history read for baselines. */
  readFrom: number;
}

export function scanWindow(now: number, cfg: Pick<ScanConfig, 'bucketMs' | 'maxDurationBuckets' | 'maxHistoryDays'>): ScanWindow {
  const end = Math.ceil(now / cfg.bucketMs) * cfg.bucketMs;
  const studyStart = end - cfg.maxDurationBuckets * cfg.bucketMs;
  const readFrom = studyStart - Math.round(cfg.maxHistoryDays * 86_400_000 / cfg.bucketMs) * cfg.bucketMs;
  return { now, end, studyStart, readFrom };
}

/** Earliest bucket the org can have data for: its creation's bucket, not before `readFrom`. */
export function historyFloor(w: ScanWindow, orgCreatedMs: number | null, bucketMs: number): number {
  return Math.max(w.readFrom, Math.floor((orgCreatedMs ?? w.readFrom) / bucketMs) * bucketMs);
}

/** What a run records as its parameters in scan_runs (its `now` orders concurrent runs). */
export function scanParameters(cfg: ScanConfig, now: number, llmModel: string | null): Record<string, unknown> {
  return {
    bucket_ms: cfg.bucketMs, max_duration_buckets: cfg.maxDurationBuckets, max_history_days: cfg.maxHistoryDays, max_k: cfg.maxK,
    replicates: cfg.replicates, compute_budget_ms: cfg.computeBudgetMs, min_cases: cfg.minCases, severity_days: { ...cfg.severityDays },
    now: new Date(now).toISOString(), llm: llmModel,
  };
}
