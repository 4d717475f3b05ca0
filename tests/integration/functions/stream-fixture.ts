import type { Sql } from 'postgres';

/** One hotspot → firing alert → `recs` pending recommendations (global playbooks), as a scan would write them; last detected "tomorrow", so the schedule's quiet scans leave it alone. */
export async function alertWithRecommendations(sql: Sql, orgId: string, recs = 2): Promise<{ hotspotId: string; alertId: string; recommendationIds: string[] }> {
  const key = `fx:${Math.random().toString(36).slice(2, 10)}`;
  return sql.begin(async (tx) => {
    const [h] = await tx<{ id: string }[]>`
      insert into public.hotspots (org_id, category, dedup_key, severity, model, cells, center_cell, center_lat, center_lng,
        radius_m, window_start, window_end, observed, expected, relative_risk, score, p_value, recurrence_interval_days, last_detected_at)
      values (${orgId}, 'fire', ${key}, 'high', 'ebp', ${['882a100d2dfffff']}, '882a100d2dfffff', 40.75, -73.99,
        600, now() - interval '3 hours', now(), 30, 10, 3, 12.5, 0.001, 150, now() + interval '1 day')
      returning id`;
    const [a] = await tx<{ id: string }[]>`
      insert into public.alerts (org_id, hotspot_id, dedup_key, category, severity, state, title, description, notify_count)
      values (${orgId}, ${h!.id}, ${key}, 'fire', 'high', 'firing', 'High fire hotspot', 'test', 1) returning id`;
    const pbs = await tx<{ id: string }[]>`select id from public.playbooks where org_id is null and category = 'fire' order by slug limit ${recs}`;
    const ids: string[] = [];
    for (const [i, pb] of pbs.entries()) {
      const [r] = await tx<{ id: string }[]>`
        insert into public.recommendations (org_id, alert_id, hotspot_id, playbook_id, alert_revision, rank, score, action, rationale)
        values (${orgId}, ${a!.id}, ${h!.id}, ${pb.id}, 3, ${i + 1}, 0.03, 'Follow playbook', 'because') returning id`;
      ids.push(r!.id);
    }
    return { hotspotId: h!.id, alertId: a!.id, recommendationIds: ids };
  });
}
