/**
 * The alert state machine (pure): pending → firing → acknowledged → resolved, with
 * hysteresis on both edges and notification only on news.
 *
 *  - Onset: a new alert is `pending` until its hotspot has been detected in
 *    `fireAfterDetections` consecutive scans at least `confirmSpacingMs` apart
 *    (Prometheus' `for`), or fires at once from `fireImmediatelyAt` severity up. A
 *    quiet scan resets the count of a pending alert.
 *  - Severity only ratchets up while the alert is open, so a cluster hovering at a
 *    tier boundary cannot flap between tiers (and re-notify each time).
 *  - Firing notifies once. A firing alert re-notifies only when it escalates (a higher
 *    tier than last notified) or grows (≥ growthFactor and ≥ minGrowthCases more
 *    cases than last notified, or more cells). Acknowledged alerts stay quiet on
 *    growth (PagerDuty's rule) but an escalation re-fires them.
 *  - Offset: alerts resolve with their hotspot, which needs `resolveAfterQuietBuckets`
 *    quiet analyses first (Prometheus' keep_firing_for), never on a single miss.
 *  - Recommendations are requested when an alert starts firing and on escalation; the
 *    revision key is the severity tier, so each (alert, tier) gets one set.
 */
import { maxSeverity, SEVERITY_RANK, type AlertState, type Severity } from '../../_shared/vocabulary.ts';
import type { ScanConfig } from './config.ts';
import type { AlertTrend } from './describe.ts';

/** The part of an alert the machine reads and writes. */
export interface AlertSnapshot {
  state: AlertState;
  severity: Severity;
  consecutiveDetections: number;
  notifyCount: number;
  notifiedObserved: number | null;
  notifiedCells: number | null;
  notifiedSeverity: Severity | null;
  lastNotifiedAt: number | null;
  /** Last time the machine counted a detection (the row's updated_at while pending). */
  lastCountedAt: number;
}

export type AlertInput =
  | { kind: 'detected'; severity: Severity; observed: number; cells: number }
  | { kind: 'quiet' }
  | { kind: 'hotspot_resolved' };

export type AlertReason = 'opened' | 'confirmed' | 'fired' | 'escalated' | 'grew' | 'resolved' | 'counted' | 'reset' | 'ratcheted';

export interface AlertStep {
  next: AlertSnapshot;
  /** The row must be written. */
  changed: boolean;
  /** Operators are (re-)notified: notify_count was bumped. */
  notify: boolean;
  /** Retrieve playbooks and write recommendations for revision `SEVERITY_RANK[next.severity]`. */
  recommend: boolean;
  reason: AlertReason | null;
  /** How the description should read. */
  trend: AlertTrend;
}

export type MachineConfig = Pick<ScanConfig, 'fireAfterDetections' | 'confirmSpacingMs' | 'fireImmediatelyAt' | 'growthFactor' | 'minGrowthCases'>;

function notified(s: AlertSnapshot, observed: number, cells: number, now: number): AlertSnapshot {
  return { ...s, notifyCount: s.notifyCount + 1, notifiedObserved: observed, notifiedCells: cells, notifiedSeverity: s.severity, lastNotifiedAt: now };
}

/** Open a new alert for a detected hotspot. */
export function openAlert(input: Extract<AlertInput, { kind: 'detected' }>, cfg: MachineConfig, now: number): AlertStep {
  const base: AlertSnapshot = {
    state: 'pending', severity: input.severity, consecutiveDetections: 1, notifyCount: 0,
    notifiedObserved: null, notifiedCells: null, notifiedSeverity: null, lastNotifiedAt: null, lastCountedAt: now,
  };
  if (SEVERITY_RANK[input.severity] >= SEVERITY_RANK[cfg.fireImmediatelyAt] || cfg.fireAfterDetections <= 1) {
    return { next: notified({ ...base, state: 'firing' }, input.observed, input.cells, now), changed: true, notify: true, recommend: true, reason: 'fired', trend: 'new' };
  }
  return { next: base, changed: true, notify: false, recommend: false, reason: 'opened', trend: 'new' };
}

const unchanged = (s: AlertSnapshot): AlertStep => ({ next: s, changed: false, notify: false, recommend: false, reason: null, trend: 'ongoing' });

export function stepAlert(s: AlertSnapshot, input: AlertInput, cfg: MachineConfig, now: number): AlertStep {
  if (s.state === 'resolved') return unchanged(s);
  if (input.kind === 'hotspot_resolved') {
    return { next: { ...s, state: 'resolved' }, changed: true, notify: false, recommend: false, reason: 'resolved', trend: 'ongoing' };
  }
  if (input.kind === 'quiet') {
    if (s.state === 'pending' && s.consecutiveDetections !== 0) {
      return { next: { ...s, consecutiveDetections: 0 }, changed: true, notify: false, recommend: false, reason: 'reset', trend: 'ongoing' };
    }
    return unchanged(s);
  }

  const severity = maxSeverity(s.severity, input.severity);
  const raised = severity !== s.severity;

  if (s.state === 'pending') {
    const counts = now - s.lastCountedAt >= cfg.confirmSpacingMs || s.consecutiveDetections === 0;
    const n = counts ? s.consecutiveDetections + 1 : s.consecutiveDetections;
    const next: AlertSnapshot = { ...s, severity, consecutiveDetections: n, lastCountedAt: counts ? now : s.lastCountedAt };
    if (n >= cfg.fireAfterDetections || SEVERITY_RANK[severity] >= SEVERITY_RANK[cfg.fireImmediatelyAt]) {
      return { next: notified({ ...next, state: 'firing' }, input.observed, input.cells, now), changed: true, notify: true, recommend: true, reason: 'confirmed', trend: raised ? 'escalated' : 'new' };
    }
    if (counts || raised) return { next, changed: true, notify: false, recommend: false, reason: raised ? 'ratcheted' : 'counted', trend: 'new' };
    return unchanged(s);
  }

  // firing or acknowledged
  // An alert acknowledged while still pending was never notified: compare with its tier then.
  const escalated = SEVERITY_RANK[severity] > SEVERITY_RANK[s.notifiedSeverity ?? s.severity];
  if (escalated) {
    const next = notified({ ...s, severity, state: 'firing' }, input.observed, input.cells, now);
    return { next, changed: true, notify: true, recommend: true, reason: 'escalated', trend: 'escalated' };
  }
  if (s.state === 'firing') {
    const lastObs = s.notifiedObserved ?? 0;
    const grewCases = input.observed - lastObs >= cfg.minGrowthCases && input.observed >= lastObs * (1 + cfg.growthFactor);
    const grewCells = input.cells > (s.notifiedCells ?? 0);
    if (grewCases || grewCells) {
      return { next: notified({ ...s, severity }, input.observed, input.cells, now), changed: true, notify: true, recommend: false, reason: 'grew', trend: 'growing' };
    }
  }
  if (raised) return { next: { ...s, severity }, changed: true, notify: false, recommend: false, reason: 'ratcheted', trend: 'ongoing' };
  return unchanged(s);
}
