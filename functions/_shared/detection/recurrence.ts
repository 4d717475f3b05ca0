/**
 * Recurrence interval (SaTScan user guide, "Recurrence Interval"; Kleinman et al. 2004):
 * the expected time between false signals at least this strong when the analysis is
 * repeated once per time bucket of length D:
 *   RI = D / p,
 * or, adjusting for A − 1 earlier analyses (A analyses since the adjustment start):
 *   RI = D / [1 − (1 − p)^(1/A)].
 *
 * Analyses are counted in buckets, not in scan invocations: re-running the scan inside
 * the same bucket (e.g. every 5 minutes over hourly buckets) repeats the same analysis
 * on more complete data and is not a new analysis. Callers compute A with
 * `analysesSince(adjustmentStart, now, bucketMs)`.
 */

export const DAY_MS = 86_400_000;

export interface RecurrenceOptions {
  /** A = number of analyses since the adjustment start (≥ 1); omit for RI = D/p. */
  analyses?: number;
}

export function recurrenceIntervalDays(p: number, bucketMs: number, opts: RecurrenceOptions = {}): number {
  if (!(bucketMs > 0)) throw new RangeError('bucketMs must be > 0');
  return (bucketMs / DAY_MS) * recurrenceIntervalSteps(p, opts.analyses ?? 1);
}

/**
 * Recurrence interval in analyses (time steps): 1/p, or 1 / [1 − (1 − p)^(1/A)] adjusted
 * for A analyses (SaTScan's `CCluster::GetRecurrenceInterval` with one analysis per
 * time aggregation unit); 1 when p ≥ 1, Infinity when p = 0.
 */
export function recurrenceIntervalSteps(p: number, analyses = 1): number {
  if (!(analyses >= 1)) throw new RangeError('analyses must be ≥ 1');
  if (!(p > 0)) return Infinity;
  if (p >= 1) return 1;
  if (analyses === 1) return 1 / p;
  // 1 − (1 − p)^(1/A), computed without cancellation.
  return 1 / -Math.expm1(Math.log1p(-p) / analyses);
}

/**
 * Number of analyses (distinct buckets) from the bucket containing `adjustmentStart`
 * through the bucket ending at `now` (inclusive); at least 1.
 */
export function analysesSince(adjustmentStart: number, now: number, bucketMs: number): number {
  const first = Math.floor(adjustmentStart / bucketMs);
  const last = Math.ceil(now / bucketMs) - 1;
  return Math.max(1, last - first + 1);
}
