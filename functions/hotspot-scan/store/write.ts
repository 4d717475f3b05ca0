/**
 * Apply a scan plan inside the write transaction (the caller holds the org's advisory
 * lock). Every insert is an upsert keyed by dedup key — hotspots and alerts by
 * (org_id, dedup_key) among active rows, recommendations by (alert, revision,
 * playbook) — so even a writer that raced past the lock could not duplicate a row.
 * Alerts are written before recommendations, the same order the decisions function
 * locks them in, so the two never deadlock. Nothing is ever deleted: resolution and
 * supersession are status updates.
 */
import type { ISql } from 'postgres';
import type { ScanCounts } from '../../_shared/contract.ts';
import type { AlertSnapshot } from '../rules/alert-machine.ts';
import type { AlertOp, RecommendationRequest, ScanPlan } from '../rules/plan.ts';
import type { Citation } from '../rules/recommend.ts';
import type { Detection } from '../rules/state.ts';

export interface PreparedRecommendation {
  playbookId: string;
  rank: number;
  score: number;
  action: string;
  rationale: string;
  citations: Citation[];
}

export function emptyCounts(): ScanCounts {
  return {
    hotspots: { inserted: 0, updated: 0, resolved: 0 },
    alerts: { inserted: 0, updated: 0, fired: 0, escalated: 0, renotified: 0, resolved: 0 },
    recommendations: { inserted: 0, superseded: 0 },
  };
}

const d8 = (t: number): Date => new Date(t);

async function upsertHotspot(tx: ISql, orgId: string, scanId: number, key: string, d: Detection, now: number): Promise<{ id: number; inserted: boolean }> {
  const [r] = await tx<Array<{ id: string; inserted: boolean }>>`
    insert into public.hotspots as h (org_id, category, dedup_key, status, severity, model, cells, center_cell, center_lat, center_lng,
                                      radius_m, window_start, window_end, observed, expected, relative_risk, score, p_value,
                                      recurrence_interval_days, quiet_scans, first_detected_at, last_detected_at, scan_id)
    values (${orgId}, ${d.category}, ${key}, 'new', ${d.severity}, ${d.model}, ${d.cells}::text[], ${d.centerCell}, ${d.centerLat}, ${d.centerLng},
            ${d.radiusM}, ${d8(d.windowStart)}, ${d8(d.windowEnd)}, ${d.observed}, ${d.expected}, ${d.relativeRisk}, ${d.score}, ${d.pValue},
            ${d.recurrenceIntervalDays}, 0, ${d8(now)}, ${d8(now)}, ${scanId})
    on conflict (org_id, dedup_key) where status <> 'resolved' do update
       set status = 'ongoing', severity = excluded.severity, model = excluded.model, cells = excluded.cells,
           center_cell = excluded.center_cell, center_lat = excluded.center_lat, center_lng = excluded.center_lng, radius_m = excluded.radius_m,
           window_start = excluded.window_start, window_end = excluded.window_end, observed = excluded.observed, expected = excluded.expected,
           relative_risk = excluded.relative_risk, score = excluded.score, p_value = excluded.p_value,
           recurrence_interval_days = excluded.recurrence_interval_days, quiet_scans = 0,
           last_detected_at = excluded.last_detected_at, scan_id = excluded.scan_id
    returning id, (xmax = 0) as inserted`;
  return { id: Number(r!.id), inserted: r!.inserted };
}

async function writeAlert(tx: ISql, orgId: string, op: AlertOp, hotspotId: number, category: string, now: number): Promise<number> {
  const s: AlertSnapshot = op.step.next;
  const notifiedAt = s.lastNotifiedAt === null ? null : d8(s.lastNotifiedAt);
  const resolvedAt = s.state === 'resolved' ? d8(now) : null;
  if (op.kind === 'insert') {
    const [r] = await tx<Array<{ id: string }>>`
      insert into public.alerts as a (org_id, hotspot_id, dedup_key, category, severity, state, title, description, consecutive_detections,
                                      notify_count, last_notified_at, notified_observed, notified_cells, notified_severity)
      values (${orgId}, ${hotspotId}, ${op.hotspotKey}, ${category}, ${s.severity}, ${s.state}, ${op.text!.title}, ${op.text!.description},
              ${s.consecutiveDetections}, ${s.notifyCount}, ${notifiedAt}, ${s.notifiedObserved}, ${s.notifiedCells}, ${s.notifiedSeverity})
      on conflict (org_id, dedup_key) where state <> 'resolved' do update
         set severity = excluded.severity, state = excluded.state, title = excluded.title, description = excluded.description,
             consecutive_detections = excluded.consecutive_detections, notify_count = excluded.notify_count,
             last_notified_at = excluded.last_notified_at, notified_observed = excluded.notified_observed,
             notified_cells = excluded.notified_cells, notified_severity = excluded.notified_severity
      returning id`;
    return Number(r!.id);
  }
  const id = op.existing!.id;
  await tx`
    update public.alerts
       set severity = ${s.severity}, state = ${s.state},
           title = coalesce(${op.text?.title ?? null}, title), description = coalesce(${op.text?.description ?? null}, description),
           consecutive_detections = ${s.consecutiveDetections}, notify_count = ${s.notifyCount}, last_notified_at = ${notifiedAt},
           notified_observed = ${s.notifiedObserved}, notified_cells = ${s.notifiedCells}, notified_severity = ${s.notifiedSeverity},
           resolved_at = coalesce(resolved_at, ${resolvedAt})
     where id = ${id}`;
  return id;
}

export async function applyPlan(
  tx: ISql,
  orgId: string,
  scanId: number,
  plan: ScanPlan,
  now: number,
  prepare: (req: RecommendationRequest) => Promise<PreparedRecommendation[]>,
): Promise<ScanCounts> {
  const c = emptyCounts();
  const hotspotIds = new Map<string, number>();

  for (const op of plan.hotspots) {
    if (op.existing) hotspotIds.set(op.dedupKey, op.existing.id);
    if (!op.write) continue;
    if (op.kind === 'insert' || op.kind === 'update') {
      const r = await upsertHotspot(tx, orgId, scanId, op.dedupKey, op.detection!, now);
      hotspotIds.set(op.dedupKey, r.id);
      if (r.inserted) c.hotspots.inserted++;
      else c.hotspots.updated++;
    } else if (op.kind === 'resolve') {
      await tx`update public.hotspots set status = 'resolved', resolved_at = ${d8(now)}, quiet_scans = ${op.quietScans}, scan_id = ${scanId}
                where id = ${op.existing!.id}`;
      c.hotspots.resolved++;
    } else if (op.kind === 'quiet') {
      await tx`update public.hotspots set quiet_scans = ${op.quietScans}, scan_id = ${scanId} where id = ${op.existing!.id}`;
      c.hotspots.updated++;
    }
  }

  const alertIds = new Map<string, number>();
  const categoryOf = new Map(plan.hotspots.map((h) => [h.dedupKey, h.category] as const));
  for (const op of plan.alerts) {
    const hid = hotspotIds.get(op.hotspotKey);
    if (hid === undefined) continue;
    const id = await writeAlert(tx, orgId, op, hid, categoryOf.get(op.hotspotKey)!, now);
    alertIds.set(op.hotspotKey, id);
    if (op.kind === 'insert') c.alerts.inserted++;
    else c.alerts.updated++;
    const r = op.step.reason;
    if (r === 'fired' || r === 'confirmed') c.alerts.fired++;
    if (r === 'escalated') c.alerts.escalated++;
    if (r === 'grew') c.alerts.renotified++;
    if (op.step.next.state === 'resolved') {
      c.alerts.resolved++;
      const sup = await tx`update public.recommendations set status = 'superseded' where alert_id = ${id} and status = 'pending'`;
      c.recommendations.superseded += sup.count;
    }
  }

  for (const req of plan.recommendations) {
    const alertId = alertIds.get(req.hotspotKey);
    const hotspotId = hotspotIds.get(req.hotspotKey);
    if (alertId === undefined || hotspotId === undefined) continue;
    const sup = await tx`update public.recommendations set status = 'superseded'
                          where alert_id = ${alertId} and status = 'pending' and alert_revision < ${req.revision}`;
    c.recommendations.superseded += sup.count;
    for (const p of await prepare(req)) {
      const ins = await tx`
        insert into public.recommendations (org_id, alert_id, hotspot_id, playbook_id, alert_revision, rank, score, action, rationale, citations)
        values (${orgId}, ${alertId}, ${hotspotId}, ${p.playbookId}, ${req.revision}, ${p.rank}, ${p.score}, ${p.action}, ${p.rationale},
                ${JSON.stringify(p.citations)}::text::jsonb)
        on conflict (alert_id, alert_revision, playbook_id) do nothing`;
      c.recommendations.inserted += ins.count;
    }
  }
  return c;
}
