import type { Sql } from 'postgres';

/** Insert one hotspot → alert → recommendation chain for an org (as the scan would), citing `playbookId` or a new org playbook. */
export async function insertStreamRows(sql: Sql, orgId: string, key = 'k1', playbookId?: string): Promise<{ hotspotId: string; alertId: string; recommendationId: string }> {
  return sql.begin(async (tx) => {
    // A state the schedule's scans (every minute, every org) leave alone: no pending count to reset, no quiet hour before tomorrow.
    const [h] = await tx<{ id: string }[]>`
      insert into public.hotspots (org_id, category, dedup_key, severity, model, cells, center_cell, center_lat, center_lng,
        radius_m, window_start, window_end, observed, expected, relative_risk, score, p_value, recurrence_interval_days, last_detected_at)
      values (${orgId}, 'fire', ${key}, 'high', 'expectation_poisson', ${['882830828dfffff']}, '882830828dfffff', 37.77, -122.41,
        600, now() - interval '3 hours', now(), 30, 10, 3, 12.5, 0.001, 41.6, now() + interval '1 day')
      returning id`;
    const [a] = await tx<{ id: string }[]>`
      insert into public.alerts (org_id, hotspot_id, dedup_key, category, severity, title, description, consecutive_detections)
      values (${orgId}, ${h!.id}, ${key}, 'fire', 'high', 'Fire cluster', 'test', 0) returning id`;
    const pb = playbookId !== undefined ? { id: playbookId } : (await tx<{ id: string }[]>`
      insert into public.playbooks (org_id, slug, title, category, body)
      values (${orgId}, ${'pb-' + key + '-' + Math.random().toString(36).slice(2, 8)}, 'Test playbook', 'fire', 'body')
      returning id`)[0];
    const [r] = await tx<{ id: string }[]>`
      insert into public.recommendations (org_id, alert_id, hotspot_id, playbook_id, alert_revision, rank, score, action, rationale)
      values (${orgId}, ${a!.id}, ${h!.id}, ${pb!.id}, 1, 1, 0.9, 'Dispatch', 'because') returning id`;
    return { hotspotId: h!.id, alertId: a!.id, recommendationId: r!.id };
  });
}
