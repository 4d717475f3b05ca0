/**
 * hotspot-series through real Deno on the stack's functions gateway (supabase-js
 * `functions.invoke`), and the `hotspot_cube` RPC over REST: a planted cluster's cells
 * hour by hour, observed against the scan's expected counts — the same numbers the scan
 * wrote into the hotspot and the engine's `estimateCubeBaselines` gives on the scan's
 * input — to any member of the org (a viewer too) and to nobody else.
 */
import { createClient, FunctionsHttpError, type SupabaseClient } from '@supabase/supabase-js';
import { gridDisk } from 'h3-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import type { HotspotSeriesResult } from '../../../functions/_shared/contract.ts';
import { estimateCubeBaselines, scanCube } from '../../../functions/_shared/detection/index.ts';
import { DEFAULT_SCAN_CONFIG } from '../../../functions/hotspot-scan/rules/config.ts';
import { engineInput, localTime } from '../../../functions/hotspot-scan/rules/detect.ts';
import { historyFloor, scanWindow } from '../../../functions/hotspot-scan/rules/window.ts';
import { runScan } from '../../../functions/hotspot-scan/run.ts';
import { poissonQuantile } from '../../../functions/hotspot-series/rules/band.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../../support/fixtures.ts';
import { retryWhileSkipped } from '../../support/scan-retry.ts';
import { areaCells, HOUR, seedBackground, seedBurst } from './seed-events.ts';

const info = inject('stack');
const sql = adminSql(4);
const clients: SupabaseClient[] = [];
// On an hour boundary (the scan's last bucket is whole, nothing prorated) and days ahead
// of real time, so the cron schedule's scans never see these events.
const NOW = Math.floor(Date.now() / HOUR) * HOUR + 20 * 24 * HOUR;
const ZONE = 'Europe/Amsterdam';
let org: TestOrg;
let outsider: TestOrg;
let hotspot: { id: string; cells: string[]; expected: number; observed: number; window_start: Date; window_end: Date };

function anonClient(): SupabaseClient {
  const c = createClient(info.apiUrl, info.anonKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } });
  clients.push(c);
  return c;
}

async function signedIn(email: string): Promise<SupabaseClient> {
  const c = anonClient();
  const { error } = await c.auth.signInWithPassword({ email, password: TEST_PASSWORD });
  if (error) throw error;
  return c;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test-side JSON bodies
async function invoke(c: SupabaseClient, body: unknown): Promise<{ status: number; body: any }> {
  const { data, error } = await c.functions.invoke('hotspot-series', { body: body as Record<string, unknown> });
  if (!error) return { status: 200, body: data };
  if (error instanceof FunctionsHttpError) {
    const res = error.context as Response;
    return { status: res.status, body: await res.json().catch(() => null) };
  }
  throw error;
}

beforeAll(async () => {
  org = await createTestOrg(sql, 'series');
  outsider = await createTestOrg(sql, 'series-out');
  await sql`update public.orgs set created_at = ${new Date(NOW - 30 * 24 * HOUR)} where id = ${org.id}`;
  const [s] = await sql`update public.org_settings set time_zone = ${ZONE} where org_id = ${org.id} returning org_id`;
  expect(s).toBeDefined();
  await seedBackground(sql, org.id, { now: NOW, historyHours: 24 * 12, ratePerCellHour: 0.05 });
  // 60 fires over the last three hours in seven adjacent cells (background there: ~0.35 an hour).
  await seedBurst(sql, org.id, gridDisk(areaCells()[0]!, 1), 60, NOW, { tag: 'planted', withinMs: 3 * HOUR - 60_000 });
  // The schedule may be scanning this org at this moment: then ours is skipped; scan again.
  const scan = await retryWhileSkipped(() => runScan({ sql, engine: scanCube, now: () => NOW }, org.id, 'manual'), (s) => s.status === 'skipped');
  expect(scan.status).toBe('succeeded');
  const [h] = await sql<typeof hotspot[]>`
    select id::text, cells, expected, observed, window_start, window_end from public.hotspots
     where org_id = ${org.id} and category = 'fire' and status <> 'resolved' and cells && ${gridDisk(areaCells()[0]!, 1)}
     order by observed desc limit 1`;
  expect(h, 'the planted cluster is a hotspot').toBeDefined();
  hotspot = h!;
}, 120_000);

afterAll(async () => {
  for (const c of clients) await c.auth.signOut().catch(() => {});
  await sql.end();
});

describe('hotspot-series (edge function, real Deno)', () => {
  let viewerSeries: HotspotSeriesResult;

  it('a viewer reads 48 hours of observed vs expected for the hotspot\'s cells; the cluster\'s window stands above the band', async () => {
    const viewer = await signedIn(org.viewer.email);
    const r = await invoke(viewer, { hotspot_id: Number(hotspot.id), until: new Date(NOW).toISOString() });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    viewerSeries = r.body as HotspotSeriesResult;
    expect(viewerSeries).toMatchObject({
      hotspot_id: hotspot.id, category: 'fire', bucket_ms: HOUR, band: { kind: 'poisson', level: 0.95 },
      from: new Date(NOW - 48 * HOUR).toISOString(), to: new Date(NOW).toISOString(),
      window_end: hotspot.window_end.toISOString(),
    });
    const pts = viewerSeries.points;
    expect(pts).toHaveLength(48);
    expect(pts.map((p) => Date.parse(p.t))).toEqual(Array.from({ length: 48 }, (_, i) => NOW - (48 - i) * HOUR));
    const inWindow = pts.filter((p) => Date.parse(p.t) >= hotspot.window_start.getTime() && Date.parse(p.t) < hotspot.window_end.getTime());
    expect(inWindow.length).toBeGreaterThanOrEqual(1);
    // Observed over the window is the hotspot's own count; every window hour with the burst is above the band.
    expect(inWindow.reduce((s, p) => s + p.observed, 0)).toBe(hotspot.observed);
    for (const p of inWindow.filter((q) => q.observed >= 10)) expect(p.observed).toBeGreaterThan(p.high);
    expect(pts.filter((p) => p.observed >= 10).length).toBeGreaterThanOrEqual(2);
    // Before the burst the cells are at their baseline: inside the band nearly always.
    const before = pts.slice(0, 40);
    expect(before.filter((p) => p.observed > p.high).length).toBeLessThanOrEqual(3);
    for (const p of pts) {
      expect(p.model).toBe('ebp');
      expect(p.expected).toBeGreaterThan(0);
      expect(p.low).toBe(poissonQuantile(0.025, p.expected));
      expect(p.high).toBe(poissonQuantile(0.975, p.expected));
    }
  });

  it('expected is the scan\'s: the window sums to the hotspot\'s expected, and every hour equals estimateCubeBaselines on the scan\'s input', async () => {
    const pts = viewerSeries.points;
    const inWindow = pts.filter((p) => Date.parse(p.t) >= hotspot.window_start.getTime() && Date.parse(p.t) < hotspot.window_end.getTime());
    const sum = inWindow.reduce((s, p) => s + p.expected, 0);
    expect(Math.abs(sum - hotspot.expected) / hotspot.expected).toBeLessThan(1e-9);

    // Each 6-hour block is the study window of a scan ending at its end (the hotspot's window end, then 6 h earlier, …).
    const cfg = DEFAULT_SCAN_CONFIG;
    const cells = new Set(hotspot.cells);
    for (let k = 0; k < 8; k++) {
      const end = NOW - k * cfg.maxDurationBuckets * HOUR;
      const w = scanWindow(end, cfg);
      const rows = (await sql<{ cell: string; t: number; n: number }[]>`
        select cell, (extract(epoch from bucket) * 1000)::float8 as t, n from public.count_cube
         where org_id = ${org.id} and category = 'fire' and bucket >= ${new Date(w.readFrom)} and bucket < ${new Date(w.end)} and n > 0`)
        .map((r) => ({ cell: r.cell, bucketStart: r.t, n: r.n }));
      const firstBucket = Math.min(...rows.map((r) => r.bucketStart));
      const { input, options } = engineInput({ rows, firstBucket }, {
        now: end, historyFloor: historyFloor(w, NOW - 30 * 24 * HOUR, HOUR), cfg, utcOffsetAt: localTime(ZONE),
      });
      const est = estimateCubeBaselines(input, options);
      expect(est.model).toBe('ebp');
      for (let j = 0; j < est.bucketStarts.length; j++) {
        let want = 0;
        est.cells.forEach((c, l) => { if (cells.has(c)) want += est.baselines[l * est.bucketStarts.length + j]!; });
        const got = pts.find((p) => Date.parse(p.t) === est.bucketStarts[j]!)!;
        expect(Math.abs(got.expected - want), `hour ${new Date(est.bucketStarts[j]!).toISOString()}`).toBeLessThan(1e-9 * Math.max(1, want));
      }
    }
  });

  it('7 days: 168 hours, the same numbers for the hours both charts show', async () => {
    const op = await signedIn(org.operator.email);
    const r = await invoke(op, { hotspot_id: hotspot.id, hours: 168, until: new Date(NOW).toISOString() });
    expect(r.status).toBe(200);
    const week = r.body as HotspotSeriesResult;
    expect(week.points).toHaveLength(168);
    expect(week.points.slice(-48)).toEqual(viewerSeries.points);
  });

  it('the current hour is prorated as the scan prorates it', async () => {
    const viewer = await signedIn(org.viewer.email);
    const quarter = await invoke(viewer, { hotspot_id: hotspot.id, hours: 6, until: new Date(NOW - HOUR + 15 * 60_000).toISOString() });
    expect(quarter.status).toBe(200);
    const last = quarter.body.points.at(-1);
    const whole = viewerSeries.points.at(-1)!;
    expect(last.t).toBe(whole.t);
    // The same study window and history, a quarter of the hour elapsed: a quarter of the hour's expected count.
    expect(Math.abs(last.expected - 0.25 * whole.expected)).toBeLessThan(1e-9 * whole.expected);
  });

  it('RLS: another org\'s member gets 404 from the function and no rows from the RPC; the org\'s viewer gets the cube rows', async () => {
    const other = await signedIn(outsider.operator.email);
    const r = await invoke(other, { hotspot_id: hotspot.id, until: new Date(NOW).toISOString() });
    expect(r).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const args = { p_hotspot_id: Number(hotspot.id), p_from: new Date(NOW - 48 * HOUR).toISOString(), p_to: new Date(NOW).toISOString() };
    const theirs = await other.rpc('hotspot_cube', args);
    expect(theirs.error).toBeNull();
    expect(theirs.data).toEqual([]);
    const viewer = await signedIn(org.viewer.email);
    const mine = await viewer.rpc('hotspot_cube', args);
    expect(mine.error).toBeNull();
    const rows = mine.data as Array<{ cell: string; bucket: string; n: number }>;
    expect(rows.length).toBeGreaterThan(0);
    // Counts per cell and hour only; the hotspot's cells sum to what the chart shows.
    expect(Object.keys(rows[0]!).sort()).toEqual(['bucket', 'cell', 'n']);
    const cells = new Set(hotspot.cells);
    const byHour = new Map<number, number>();
    for (const x of rows) if (cells.has(x.cell)) byHour.set(Date.parse(x.bucket), (byHour.get(Date.parse(x.bucket)) ?? 0) + x.n);
    for (const p of viewerSeries.points) expect(p.observed).toBe(byHour.get(Date.parse(p.t)) ?? 0);
    const anon = anonClient();
    const denied = await anon.rpc('hotspot_cube', args);
    expect(denied.error?.code).toBe('42501');
  });

  it('bad input changes nothing and says what to fix; anon is refused', async () => {
    const viewer = await signedIn(org.viewer.email);
    const bad = await invoke(viewer, { hotspot_id: 'x', hours: 500, until: 'yesterday', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.errors.map((e: { path: string }) => e.path).sort()).toEqual(['extra', 'hotspot_id', 'hours', 'until']);
    const tooLong = await viewer.rpc('hotspot_cube', { p_hotspot_id: Number(hotspot.id), p_from: '2026-01-01T00:00:00Z', p_to: '2026-12-01T00:00:00Z' });
    expect(tooLong.error?.code).toBe('22023');
    const anon = anonClient();
    const { error } = await anon.functions.invoke('hotspot-series', { body: { hotspot_id: hotspot.id } });
    expect(error).toBeInstanceOf(FunctionsHttpError);
    expect(((error as FunctionsHttpError).context as Response).status).toBe(401);
  });
});
