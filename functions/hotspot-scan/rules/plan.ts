/**
 * The whole write plan of one scan (pure): hotspot operations, the alert transitions
 * they cause, and the recommendation sets to write. Computed once outside the
 * transaction (to prefetch playbooks) and again inside it, on state re-read under the
 * org's lock, so what is written always follows from the latest committed state.
 */
import { openAlert, stepAlert, type AlertSnapshot, type AlertStep, type MachineConfig } from './alert-machine.ts';
import { SEVERITY_RANK } from '../../_shared/vocabulary.ts';
import type { ScanConfig } from './config.ts';
import { describeAlert, type AlertFacts, type AlertText } from './describe.ts';
import { planHotspots, type HotspotOp } from './hotspots.ts';
import type { ActiveState, AlertRow, Detection } from './state.ts';
import type { CategorySetting, DistrictFeature } from '../../_shared/org-settings.ts';
import { localClock } from '../../_shared/time-zone.ts';
import { placeWords } from './places.ts';

/** The org's words for its alerts (org_settings): district names, category labels, time zone. */
export interface AlertContext {
  districts: ReadonlyArray<DistrictFeature>;
  categories: ReadonlyArray<CategorySetting>;
  timeZone: string;
}

export interface AlertOp {
  /** insert: a new alert row; update: an existing alert changes. */
  kind: 'insert' | 'update';
  hotspotKey: string;
  existing: AlertRow | null;
  step: AlertStep;
  /** Fresh title/description when the alert was (re)described from a detection. */
  text: AlertText | null;
  facts: AlertFacts | null;
}

export interface RecommendationRequest {
  hotspotKey: string;
  category: string;
  /** = severity tier rank (1 low … 4 critical): one recommendation set per tier. */
  revision: number;
  severity: AlertFacts['severity'];
  facts: AlertFacts;
  text: AlertText;
}

export interface ScanPlan {
  hotspots: HotspotOp[];
  alerts: AlertOp[];
  recommendations: RecommendationRequest[];
}

export function snapshotOf(a: AlertRow): AlertSnapshot {
  return {
    state: a.state, severity: a.severity, consecutiveDetections: a.consecutiveDetections, notifyCount: a.notifyCount,
    notifiedObserved: a.notifiedObserved, notifiedCells: a.notifiedCells, notifiedSeverity: a.notifiedSeverity,
    lastNotifiedAt: a.lastNotifiedAt, lastCountedAt: a.updatedAt,
  };
}

function factsFor(d: Detection, severity: AlertFacts['severity'], trend: AlertFacts['trend'], ctx: AlertContext | undefined): AlertFacts {
  const facts: AlertFacts = {
    category: d.category, severity, observed: d.observed, expected: d.expected, relativeRisk: d.relativeRisk,
    cells: d.cells.length, radiusM: d.radiusM, durationHours: Math.max(1, Math.round((d.windowEnd - d.windowStart) / 3_600_000)),
    recurrenceIntervalDays: d.recurrenceIntervalDays, pValue: d.pValue, trend, centerCell: d.centerCell,
  };
  if (!ctx) return facts;
  const label = ctx.categories.find((c) => c.key === d.category)?.label;
  return {
    ...facts,
    ...(label ? { label } : {}),
    place: placeWords({ cell: d.centerCell, lat: d.centerLat, lng: d.centerLng }, d.cells, ctx.districts),
    since: `${localClock(d.windowStart, ctx.timeZone)} ${ctx.timeZone}`,
  };
}

export function planScan(
  state: ActiveState,
  detections: ReadonlyArray<Detection>,
  now: number,
  cfg: ScanConfig,
  unscanned: ReadonlySet<string> = new Set(),
  context?: AlertContext,
): ScanPlan {
  const machine: MachineConfig = cfg;
  const hotspots = planHotspots(state.hotspots, detections, now, cfg, unscanned);
  const alertByHotspot = new Map(state.alerts.map((a) => [a.hotspotId, a] as const));
  const lastResolved = new Map(state.lastResolvedAlerts.map((a) => [a.hotspotId, a] as const));
  const alerts: AlertOp[] = [];
  const recommendations: RecommendationRequest[] = [];

  const push = (op: HotspotOp, existing: AlertRow | null, step: AlertStep): void => {
    const d = op.detection;
    const facts = d && step.changed ? factsFor(d, step.next.severity, step.trend, context) : null;
    const text = facts ? describeAlert(facts) : null;
    if (step.changed) alerts.push({ kind: existing ? 'update' : 'insert', hotspotKey: op.dedupKey, existing, step, text, facts });
    if (step.recommend && facts && text) {
      recommendations.push({ hotspotKey: op.dedupKey, category: op.category, revision: SEVERITY_RANK[step.next.severity], severity: step.next.severity, facts, text });
    }
  };

  for (const op of hotspots) {
    const existing = op.existing ? alertByHotspot.get(op.existing.id) ?? null : null;
    if (op.kind === 'insert' || op.kind === 'update' || op.kind === 'touch') {
      const d = op.detection!;
      const input = { kind: 'detected' as const, severity: d.severity, observed: d.observed, cells: d.cells.length };
      if (existing) {
        push(op, existing, stepAlert(snapshotOf(existing), input, machine, now));
        continue;
      }
      const prior = op.existing ? lastResolved.get(op.existing.id) : undefined;
      if (!prior) {
        push(op, null, openAlert(input, machine, now));
      } else if (prior.resolvedManually && SEVERITY_RANK[d.severity] > SEVERITY_RANK[prior.severity]) {
        // An operator closed the alert; only an escalation past its tier reopens one.
        const opened = openAlert(input, { ...machine, fireAfterDetections: 1 }, now);
        push(op, null, { ...opened, reason: 'escalated', trend: 'escalated' });
      }
      continue;
    }
    if (!existing) continue;
    push(op, existing, stepAlert(snapshotOf(existing), { kind: op.kind === 'resolve' ? 'hotspot_resolved' : 'quiet' }, machine, now));
  }
  return { hotspots, alerts, recommendations };
}
