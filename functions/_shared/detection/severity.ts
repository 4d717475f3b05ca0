/**
 * Severity tiers from the recurrence interval (RI, days). Defaults follow NYC DOHMH
 * practice (30/100/365-day cut-offs, Greene et al. 2016) and the product brief:
 * notify at RI ≥ 100 days ('high'), page at RI ≥ 365 days ('critical').
 */

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

export interface SeverityThresholds {
  /** Minimum RI (days) per tier; must be increasing. */
  low: number;
  medium: number;
  high: number;
  critical: number;
}

export const DEFAULT_SEVERITY_THRESHOLDS: Readonly<SeverityThresholds> = Object.freeze({
  low: 7,
  medium: 30,
  high: 100,
  critical: 365,
});

export function severityFromRecurrence(
  riDays: number,
  thresholds: SeverityThresholds = DEFAULT_SEVERITY_THRESHOLDS,
): Severity {
  if (!(thresholds.low <= thresholds.medium && thresholds.medium <= thresholds.high && thresholds.high <= thresholds.critical)) {
    throw new RangeError('severity thresholds must be non-decreasing');
  }
  if (riDays >= thresholds.critical) return 'critical';
  if (riDays >= thresholds.high) return 'high';
  if (riDays >= thresholds.medium) return 'medium';
  if (riDays >= thresholds.low) return 'low';
  return 'none';
}
