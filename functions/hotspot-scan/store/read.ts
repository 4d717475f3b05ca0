/**
 * The scan's reads: the org's count cube over [history start, now) — never raw
 * events, so cost follows the monitored window, not how many events were ever
 * stored — its active hotspots and alerts, and its settings.
 */
import type { ISql } from 'postgres';
import type { CubeRow } from '../../_shared/detection/types.ts';
import type { CategoryCube } from '../rules/detect.ts';
import type { DbRow } from '../../_shared/rows.ts';
import {
  DEFAULT_ORG_SCAN_SETTINGS, DEFAULT_SCAN_SETTINGS, type CategorySetting, type DistrictFeature, type OrgScanSettings, type ScanSettings,
} from '../../_shared/org-settings.ts';
import type { ActiveState, AlertRow, HotspotRow } from '../rules/state.ts';

export async function readCube(sql: ISql, orgId: string, fromMs: number, toMs: number, studyStartMs: number): Promise<{ cubes: CategoryCube[]; rows: number }> {
  // The cube's key is (org_id, category, bucket, cell). A bucket range without a
  // category cannot bound a btree scan (PostgreSQL 17 has no skip scan), so it would
  // walk the org's whole cube history. Instead: the org's categories by a loose index
  // scan (one index probe per category), then one bucket-range scan per category —
  // cost follows the horizon, not the stored history. .values(): arrays, cheaper to parse.
  const rows = await sql`
    with recursive cats(category) as (
      (select c.category from public.count_cube c where c.org_id = ${orgId} order by c.category limit 1)
      union all
      select (select c.category from public.count_cube c where c.org_id = ${orgId} and c.category > cats.category order by c.category limit 1)
        from cats where cats.category is not null
    )
    select k.category, x.cell, (extract(epoch from x.bucket) * 1000)::float8 as t, x.n
      from cats k
     cross join lateral (
       select c.cell, c.bucket, c.n from public.count_cube c
        where c.org_id = ${orgId} and c.category = k.category
          and c.bucket >= ${new Date(fromMs)} and c.bucket < ${new Date(toMs)} and c.n > 0
       offset 0 -- keeps the subquery per category (not flattened into a hash join over the org's cube)
     ) x
     where k.category is not null`.values();
  const by = new Map<string, CategoryCube>();
  for (const r of rows) {
    const category = r[0] as string;
    const row: CubeRow = { cell: r[1] as string, bucketStart: r[2] as number, n: r[3] as number };
    let c = by.get(category);
    if (!c) by.set(category, (c = { category, rows: [], firstBucket: null, casesInWindow: 0 }));
    c.rows.push(row);
    if (c.firstBucket === null || row.bucketStart < c.firstBucket) c.firstBucket = row.bucketStart;
    if (row.bucketStart >= studyStartMs) c.casesInWindow += row.n;
  }
  return { cubes: [...by.values()], rows: rows.length };
}

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);

type AlertDbRow = DbRow<'alerts',
  'id' | 'hotspot_id' | 'dedup_key' | 'category' | 'severity' | 'state' | 'consecutive_detections' | 'notify_count' | 'notified_observed'
  | 'notified_cells' | 'notified_severity' | 'last_notified_at' | 'resolved_by' | 'updated_at',
  'last_notified_at' | 'updated_at', 'id' | 'hotspot_id'>;

type HotspotDbRow = DbRow<'hotspots',
  'id' | 'category' | 'dedup_key' | 'status' | 'severity' | 'cells' | 'observed' | 'expected' | 'window_start' | 'window_end' | 'p_value'
  | 'quiet_scans' | 'last_detected_at',
  'window_start' | 'window_end' | 'last_detected_at', 'id'>;

function alertRow(r: AlertDbRow): AlertRow {
  return {
    id: Number(r.id), hotspotId: Number(r.hotspot_id), dedupKey: r.dedup_key, category: r.category, severity: r.severity, state: r.state,
    consecutiveDetections: r.consecutive_detections, notifyCount: r.notify_count, notifiedObserved: r.notified_observed,
    notifiedCells: r.notified_cells, notifiedSeverity: r.notified_severity, lastNotifiedAt: ms(r.last_notified_at),
    resolvedManually: r.resolved_by !== null, updatedAt: r.updated_at.getTime(),
  };
}

/**
 * Active hotspots and their alerts. Inside the write transaction `lock` takes the
 * alert rows FOR UPDATE, so a decision (acknowledge/resolve) committed meanwhile is
 * seen, and one arriving later waits for this short transaction instead of being
 * overwritten by it.
 */
export async function readActiveState(sql: ISql, orgId: string, lock: boolean): Promise<ActiveState> {
  const hs = await sql<HotspotDbRow[]>`
    select id, category, dedup_key, status, severity, cells, observed, expected, window_start, window_end, p_value, quiet_scans, last_detected_at
      from public.hotspots where org_id = ${orgId} and status <> 'resolved' order by id`;
  const hotspots: HotspotRow[] = hs.map((r) => ({
    id: Number(r.id), category: r.category, dedupKey: r.dedup_key, status: r.status, severity: r.severity, cells: r.cells,
    observed: r.observed, expected: r.expected, windowStart: r.window_start.getTime(), windowEnd: r.window_end.getTime(),
    pValue: r.p_value, quietScans: r.quiet_scans, lastDetectedAt: r.last_detected_at.getTime(),
  }));
  const cols = sql`id, hotspot_id, dedup_key, category, severity, state, consecutive_detections, notify_count, notified_observed,
                   notified_cells, notified_severity, last_notified_at, resolved_by, updated_at`;
  const active = lock
    ? await sql<AlertDbRow[]>`select ${cols} from public.alerts where org_id = ${orgId} and state <> 'resolved' order by id for update`
    : await sql<AlertDbRow[]>`select ${cols} from public.alerts where org_id = ${orgId} and state <> 'resolved' order by id`;
  const alerts = active.map(alertRow);
  const covered = new Set(alerts.map((a) => a.hotspotId));
  const orphanIds = hotspots.filter((h) => !covered.has(h.id)).map((h) => h.id);
  const last = orphanIds.length === 0 ? [] : await sql<AlertDbRow[]>`
    select distinct on (hotspot_id) ${cols} from public.alerts
     where org_id = ${orgId} and hotspot_id = any(${orphanIds}::bigint[]) and state = 'resolved'
     order by hotspot_id, id desc`;
  return { hotspots, alerts, lastResolvedAlerts: last.map(alertRow) };
}

/** The org's creation time (epoch ms), or null when there is no such org. */
export async function orgCreatedAt(sql: ISql, orgId: string): Promise<number | null> {
  const [org] = await sql<DbRow<'orgs', 'created_at', 'created_at'>[]>`select created_at from public.orgs where id = ${orgId}`;
  return org ? org.created_at.getTime() : null;
}

/**
 * The org's settings as the scan uses them; defaults (the behaviour before settings)
 * for anything missing. The row is written only by the org-settings function, which
 * validates it, so stored values are trusted here.
 */
export async function readOrgSettings(sql: ISql, orgId: string): Promise<OrgScanSettings> {
  type SettingsRow = DbRow<'org_settings', 'districts' | 'time_zone' | 'categories' | 'scan'> & { area_cells: string[] };
  const [r] = await sql<SettingsRow[]>`
    select coalesce(c.cells, '{}') as area_cells, s.districts, s.time_zone, s.categories, s.scan
      from public.org_settings s left join public.org_area_cells c using (org_id) where s.org_id = ${orgId}`;
  if (!r) return DEFAULT_ORG_SCAN_SETTINGS;
  return {
    areaCells: r.area_cells.length > 0 ? new Set(r.area_cells) : null,
    districts: r.districts as unknown as DistrictFeature[],
    timeZone: r.time_zone,
    categories: r.categories as unknown as CategorySetting[],
    scan: { ...DEFAULT_SCAN_SETTINGS, ...(r.scan as unknown as Partial<ScanSettings>) },
  };
}
