/**
 * Stream rows written straight into the database (as the scan function would), for the
 * tests that are about the page rather than the scan: a recorded scan run, hotspots on
 * the demo city's clusters, their alerts and playbook recommendations.
 */
import { cellToLatLng } from 'h3-js';
import type { Sql } from 'postgres';
import { clusterEvents } from '../../../dashboard/src/demo-data.ts';

export interface SeededBoard {
  scanRunId: number;
  hotspotIds: number[];
  alertIds: number[];
  /** Pending recommendations, two per alert. */
  recommendationIds: number[];
}

const SEVERITIES = ['high', 'critical', 'medium'] as const;

export async function seedBoard(sql: Sql, orgId: string, opts: {
  recommendationsPerAlert?: number;
  /** Distinguishes repeated seeds in one org (active hotspots and alerts are unique by dedup key). */
  tag?: string;
} = {}): Promise<SeededBoard> {
  const perAlert = opts.recommendationsPerAlert ?? 2;
  const tag = opts.tag ?? 'seed';
  const now = Date.now();
  const { clusters } = clusterEvents({ now, seed: 7 });
  return sql.begin(async (tx) => {
    const [run] = await tx<{ id: number }[]>`
      insert into public.scan_runs (org_id, trigger, status, finished_at, cpu_ms, stats)
      values (${orgId}, 'manual', 'succeeded', now(), 321, ${tx.json({ seeded_by: 'tests/browser' })})
      returning id`;
    const out: SeededBoard = { scanRunId: run!.id, hotspotIds: [], alertIds: [], recommendationIds: [] };
    for (const [i, c] of clusters.entries()) {
      const [lat, lng] = cellToLatLng(c.cell);
      const severity = SEVERITIES[i % SEVERITIES.length]!;
      const observed = Math.round(c.expected + c.injected);
      const [hs] = await tx<{ id: number }[]>`
        insert into public.hotspots (org_id, category, dedup_key, status, severity, model, cells, center_cell, center_lat, center_lng,
          radius_m, window_start, window_end, observed, expected, relative_risk, score, p_value, recurrence_interval_days, scan_id)
        values (${orgId}, ${c.category}, ${`${tag}:${c.cell}:${c.category}`}, 'new', ${severity}, 'ebp', ${c.cells}, ${c.cell}, ${lat}, ${lng},
          ${460 * (c.rings + 1)}, ${new Date(c.windowStart)}, ${new Date(c.windowEnd)}, ${observed}, ${c.expected},
          ${observed / c.expected}, 25.5, 0.001, ${[120, 800, 45][i % 3]!}, ${run!.id})
        returning id`;
      out.hotspotIds.push(hs!.id);
      const [alert] = await tx<{ id: number }[]>`
        insert into public.alerts (org_id, hotspot_id, dedup_key, category, severity, state, title, description, notify_count, last_notified_at)
        values (${orgId}, ${hs!.id}, ${`${tag}:${c.cell}:${c.category}`}, ${c.category}, ${severity}, 'firing',
          ${`${severity[0]!.toUpperCase()}${severity.slice(1)} ${c.category.replace('_', ' ')} cluster: ${c.label}`},
          ${`${observed} events in ${c.cells.length} cells over ${c.hours} h, ${(observed / c.expected).toFixed(1)}× the ${c.expected.toFixed(1)} expected.`},
          1, now())
        returning id`;
      out.alertIds.push(alert!.id);
      const playbooks = await tx<{ id: string; slug: string; title: string; summary: string }[]>`
        select id, slug, title, summary from public.playbooks where org_id is null and category = ${c.category} order by slug limit ${perAlert}`;
      for (const [rank, pb] of playbooks.entries()) {
        const [rec] = await tx<{ id: number }[]>`
          insert into public.recommendations (org_id, alert_id, hotspot_id, playbook_id, alert_revision, rank, score, action, rationale, citations)
          values (${orgId}, ${alert!.id}, ${hs!.id}, ${pb.id}, 1, ${rank + 1}, ${1 / (rank + 1)}, ${pb.title},
            ${`Retrieved for a ${severity} ${c.category} alert.`},
            ${tx.json([{ playbook_id: pb.id, slug: pb.slug, title: pb.title, quote: pb.summary }])})
          returning id`;
        out.recommendationIds.push(rec!.id);
      }
    }
    return out;
  });
}
