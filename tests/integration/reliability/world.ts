/**
 * A detectable world for the reliability suites: a steady background of events over a
 * ring of res-8 cells, plus bursts that the scan turns into hotspots, alerts and
 * recommendations; and the database invariants every reliability test checks.
 */
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import type { Sql } from 'postgres';
import { emptyColumns, type EventColumns } from '../../../functions/ingest-events/rules/batch.ts';
import { insertEvents } from '../../../functions/ingest-events/store/events.ts';
import type { IngestEvent } from '../../../client-sdk/src/index.ts';

export const HOUR = 3_600_000;

/** An event as ingest-events accepts it (the SDK's type). */
export type WireEvent = IngestEvent;

/** Res-8 cells of a synthetic area centred on (lat, lng), centre first. */
export function area(lat = 40.75, lng = -73.99, k = 4): string[] {
  return gridDisk(latLngToCell(lat, lng, 8), k);
}

export function eventAt(id: string, category: string, t: number, cell8: string, source = 'world'): WireEvent {
  const [lat, lng] = cellToLatLng(cell8);
  return { source, external_id: id, category, occurred_at: new Date(t).toISOString(), lat, lng };
}

/** A deterministic background: each cell gets an event every ~1/rate hours over `hours` before now. */
export function background(cells: string[], now: number, opts: { hours?: number; rate?: number; category?: string; tag?: string } = {}): WireEvent[] {
  const hours = opts.hours ?? 24 * 7;
  const every = Math.max(1, Math.round(1 / (opts.rate ?? 0.05)));
  const start = Math.floor(now / HOUR) * HOUR - hours * HOUR;
  const out: WireEvent[] = [];
  for (let h = 0; h < hours; h++) {
    for (let c = 0; c < cells.length; c++) {
      if ((h + c * 7) % every !== 0) continue;
      out.push(eventAt(`${opts.tag ?? 'bg'}-${h}-${c}`, opts.category ?? 'fire', start + h * HOUR + ((c * 997) % 3_000_000), cells[c]!));
    }
  }
  return out;
}

/** `n` events spread over the `withinMs` before now in the given cells. */
export function burst(cells: string[], n: number, now: number, opts: { category?: string; withinMs?: number; tag?: string } = {}): WireEvent[] {
  const within = opts.withinMs ?? 40 * 60_000;
  return Array.from({ length: n }, (_, i) => eventAt(`${opts.tag ?? 'burst'}-${i}`, opts.category ?? 'fire', now - 1000 - Math.floor((i * within) / Math.max(1, n)), cells[i % cells.length]!));
}

/** Insert directly (the seeding path; tests that exercise ingest go through the function). */
export async function insertWorld(sql: Sql, orgId: string, events: WireEvent[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < events.length; i += 5000) {
    const cols: EventColumns = emptyColumns();
    for (const e of events.slice(i, i + 5000)) {
      cols.source.push(e.source); cols.external_id.push(e.external_id); cols.category.push(e.category); cols.occurred_at.push(e.occurred_at);
      cols.lat.push(e.lat); cols.lng.push(e.lng); cols.weight.push(1); cols.h3_cell.push(latLngToCell(e.lat, e.lng, 9)); cols.attributes.push('{}');
    }
    n += await insertEvents(sql, orgId, cols);
  }
  return n;
}

/** Make the org old enough for the expectation-based model's history. */
export async function backdateOrg(sql: Sql, orgId: string, days = 30): Promise<void> {
  await sql`update public.orgs set created_at = now() - make_interval(days => ${days}) where id = ${orgId}`;
}

/** Violations of the database invariants the reliability suites promise (empty = all hold). */
export async function invariantViolations(sql: Sql, orgId: string, opts: { allowFailedRuns?: boolean } = {}): Promise<string[]> {
  const out: string[] = [];
  const q = async (what: string, rows: Promise<Array<Record<string, unknown>>>): Promise<void> => {
    const r = await rows;
    if (r.length > 0) out.push(`${what}: ${JSON.stringify(r.slice(0, 5))}`);
  };
  await q('duplicate active hotspots per dedup key', sql`
    select dedup_key, count(*)::int from public.hotspots where org_id = ${orgId} and status <> 'resolved' group by 1 having count(*) > 1`);
  await q('duplicate active alerts per dedup key', sql`
    select dedup_key, count(*)::int from public.alerts where org_id = ${orgId} and state <> 'resolved' group by 1 having count(*) > 1`);
  await q('more than one alert per hotspot', sql`
    select hotspot_id, count(*)::int from public.alerts where org_id = ${orgId} group by 1 having count(*) > 1`);
  await q('duplicate recommendations per alert revision and rank', sql`
    select alert_id, alert_revision, rank, count(*)::int from public.recommendations where org_id = ${orgId} group by 1, 2, 3 having count(*) > 1`);
  await q('pending recommendations of a resolved alert', sql`
    select r.id from public.recommendations r join public.alerts a on a.id = r.alert_id where r.org_id = ${orgId} and r.status = 'pending' and a.state = 'resolved'`);
  await q('cross-org references', sql`
    select a.id from public.alerts a join public.hotspots h on h.id = a.hotspot_id where a.org_id = ${orgId} and h.org_id <> a.org_id
    union all select r.id from public.recommendations r join public.alerts a on a.id = r.alert_id where r.org_id = ${orgId} and a.org_id <> r.org_id`);
  // A run still 'running' has lost its worker, unless it is a scheduled scan in progress (the shared stack's
  // schedule scans each org with news every minute). A scan killed mid-flight (fault tests) ends 'failed'.
  await q('scan runs left running', sql`
    select id, trigger, started_at from public.scan_runs where org_id = ${orgId} and status = 'running'
       and not (trigger = 'cron' and started_at > now() - interval '2 minutes')`);
  if (!opts.allowFailedRuns) {
    await q('failed scan runs', sql`select id, error from public.scan_runs where org_id = ${orgId} and status = 'failed'`);
  }
  await q('stream rows written by a scan that did not commit as succeeded (half-written)', sql`
    select h.scan_id, s.status from public.hotspots h join public.scan_runs s on s.id = h.scan_id where h.org_id = ${orgId} and s.status <> 'succeeded'`);
  await q('cube differs from a recount', sql`
    with recount as (
      select category, public.h3_cell_to_parent(h3_cell, 8) as cell, date_bin('1 hour', occurred_at, timestamptz '2000-01-01 00:00:00+00') as bucket,
             count(*)::int as n from public.events where org_id = ${orgId} group by 1, 2, 3)
    select coalesce(c.category, r.category) as category, c.n as cube, r.n as recount
      from recount r full join (select * from public.count_cube where org_id = ${orgId}) c
        on c.category = r.category and c.cell = r.cell and c.bucket = r.bucket
     where coalesce(c.n, 0) <> coalesce(r.n, 0)`);
  return out;
}

/** What a scan produced, comparable across orgs and runs. */
export async function streamState(sql: Sql, orgId: string): Promise<{ hotspots: string[]; alerts: string[]; recommendations: string[] }> {
  const h = await sql<{ k: string }[]>`select dedup_key || ':' || status as k from public.hotspots where org_id = ${orgId} order by 1`;
  const a = await sql<{ k: string }[]>`select dedup_key || ':' || state || ':' || severity as k from public.alerts where org_id = ${orgId} order by 1`;
  const r = await sql<{ k: string }[]>`
    select a.dedup_key || '#' || r.alert_revision || ':' || r.rank || ':' || r.status as k
      from public.recommendations r join public.alerts a on a.id = r.alert_id where r.org_id = ${orgId} order by 1`;
  return { hotspots: h.map((x) => x.k), alerts: a.map((x) => x.k), recommendations: r.map((x) => x.k) };
}
