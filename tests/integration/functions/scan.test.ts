import { gridDisk } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanCube } from '../../../functions/_shared/detection/index.ts';
import type { ScanResult } from '../../../functions/_shared/contract.ts';
import { createScanHandler } from '../../../functions/hotspot-scan/handler.ts';
import { runScan, type ScanDeps } from '../../../functions/hotspot-scan/run.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { call, jsonRequest, serviceToken, userToken } from '../../support/functions.ts';
import { retryWhileSkipped } from '../../support/scan-retry.ts';
import { areaCells, HOUR, seedBackground, seedBurst } from './seed-events.ts';

const sql = adminSql(8);
// The shared stack's pg_cron schedule scans each org with news every minute at real time. These
// tests live 12 days ahead of it: the cron scans' horizon never contains their events,
// and a pinned-clock scan is never "stale" behind a cron scan (whose `now` is earlier).
const NOW = Math.floor(Date.now() / HOUR) * HOUR + 12 * 24 * HOUR + 30 * 60_000;
let clock = NOW;
const deps: ScanDeps = { sql, engine: scanCube, now: () => clock, report: (e) => console.error('SCAN', e) };

/** A scan that writes: retried when a cron scan happened to hold the org's write lock. */
async function scanWrites(d: ScanDeps, orgId: string): Promise<ScanResult> {
  for (let i = 0; ; i++) {
    const s = await runScan(d, orgId, 'manual');
    if (s.status === 'succeeded' || i === 4) return s;
  }
}
let org: TestOrg;

beforeAll(async () => {
  org = await createTestOrg(sql, 'scan');
  await sql`update public.orgs set created_at = ${new Date(NOW - 30 * 24 * HOUR)} where id = ${org.id}`;
  await seedBackground(sql, org.id, { now: NOW, historyHours: 24 * 10, ratePerCellHour: 0.05 });
});
afterAll(() => sql.end());

const rows = async () => {
  const [r] = await sql`select
     (select count(*)::int from public.hotspots where org_id = ${org.id}) as hotspots,
     (select count(*)::int from public.alerts where org_id = ${org.id}) as alerts,
     (select count(*)::int from public.recommendations where org_id = ${org.id}) as recs`;
  return r!;
};

describe('hotspot-scan (in-process)', () => {
  it('finds nothing in a steady background and records the run', async () => {
    const s = await scanWrites(deps, org.id);
    expect(s.status).toBe('succeeded');
    expect(s.detections).toBe(0);
    expect(await rows()).toEqual({ hotspots: 0, alerts: 0, recs: 0 });
    const [run] = await sql`select status, cpu_ms, stats, trigger from public.scan_runs where id = ${s.scan_id}`;
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'manual' });
    expect(run!.cpu_ms).toBeGreaterThan(0);
    expect(run!.stats.categories.fire.model).toBe('ebp');
  });

  it('a burst becomes a hotspot, a firing alert and pending recommendations with citations', async () => {
    const center = areaCells()[0]!;
    await seedBurst(sql, org.id, gridDisk(center, 1), 40, NOW, { tag: 'burst1' });
    const s = await scanWrites(deps, org.id);
    expect(s.detections).toBeGreaterThanOrEqual(1);
    expect(s.hotspots.inserted).toBeGreaterThanOrEqual(1);
    const [h] = await sql`select * from public.hotspots where org_id = ${org.id} order by score desc limit 1`;
    expect(h).toMatchObject({ status: 'new', category: 'fire' });
    expect(h!.cells).toContain(center);
    const [a] = await sql`select * from public.alerts where hotspot_id = ${h!.id}`;
    expect(['high', 'critical']).toContain(a!.severity);
    expect(a).toMatchObject({ state: 'firing', notify_count: 1 });
    expect(a!.description).toMatch(/fire cluster/);
    const recs = await sql`select * from public.recommendations where alert_id = ${a!.id} order by rank`;
    expect(recs.length).toBeGreaterThanOrEqual(1);
    expect(recs[0]).toMatchObject({ status: 'pending', rank: 1 });
    expect(recs[0]!.citations[0].slug).toMatch(/^fire-/);
    expect(recs[0]!.rationale).toMatch(/Recommended for this/);
  });

  it('scanning the same data again writes nothing new', async () => {
    clock = NOW + 60_000;
    const before = await rows();
    const [{ max }] = await sql`select max(version) from public.hotspots where org_id = ${org.id}` as unknown as [{ max: number }];
    const s = await scanWrites(deps, org.id);
    expect(s.status).toBe('succeeded');
    expect(await rows()).toEqual(before);
    // new → ongoing is the only change on the hotspot.
    const [{ max: after }] = await sql`select max(version) from public.hotspots where org_id = ${org.id}` as unknown as [{ max: number }];
    expect(after).toBeLessThanOrEqual(max + 1);
    const again = await scanWrites(deps, org.id);
    expect(again.hotspots).toEqual({ inserted: 0, updated: 0, resolved: 0 });
    expect(again.alerts.updated + again.alerts.inserted).toBe(0);
  });

  it('20 concurrent scans create no duplicate hotspots, alerts or recommendations', async () => {
    const other = await createTestOrg(sql, 'scan-conc');
    await sql`update public.orgs set created_at = ${new Date(NOW - 30 * 24 * HOUR)} where id = ${other.id}`;
    await seedBackground(sql, other.id, { now: NOW, historyHours: 24 * 10, ratePerCellHour: 0.05, lat: 51.5, lng: -0.12 });
    await seedBurst(sql, other.id, gridDisk(areaCells(51.5, -0.12)[0]!, 1), 40, NOW, { tag: 'c' });
    const results = await Promise.all(Array.from({ length: 20 }, () => runScan({ ...deps, now: () => NOW }, other.id, 'http')));
    expect(results.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(1);
    const [dup] = await sql`select
       (select count(*) - count(distinct dedup_key) from public.hotspots where org_id = ${other.id})::int as hot,
       (select count(*) - count(distinct dedup_key) from public.alerts where org_id = ${other.id})::int as al,
       (select count(*) - count(distinct (alert_id, alert_revision, playbook_id)) from public.recommendations where org_id = ${other.id})::int as rec,
       (select count(*)::int from public.hotspots where org_id = ${other.id}) as n`;
    expect(dup).toMatchObject({ hot: 0, al: 0, rec: 0 });
    expect(dup!.n).toBeGreaterThanOrEqual(1);
    // The schedule may scan this org too (trigger cron): count the test's own runs.
    const runs = await sql`select status, count(*)::int as n from public.scan_runs where org_id = ${other.id} and trigger = 'http' group by 1`;
    expect(runs.reduce((s, r) => s + r.n, 0)).toBe(20);
    expect(runs.every((r) => r.status === 'succeeded' || r.status === 'skipped')).toBe(true);
  });

  it('resolves the hotspot and its alert after N quiet buckets and supersedes pending recommendations', async () => {
    clock = NOW + 9 * HOUR; // the burst has left the 6-hour window
    const s = await scanWrites(deps, org.id);
    expect(s.hotspots.resolved).toBeGreaterThanOrEqual(1);
    const open = await sql`select count(*)::int as n from public.hotspots where org_id = ${org.id} and status <> 'resolved'`;
    expect(open[0]!.n).toBe(0);
    const alerts = await sql`select state, resolved_at from public.alerts where org_id = ${org.id}`;
    expect(alerts.every((a) => a.state === 'resolved' && a.resolved_at)).toBe(true);
    const pending = await sql`select count(*)::int as n from public.recommendations where org_id = ${org.id} and status = 'pending'`;
    expect(pending[0]!.n).toBe(0);
  });
});

describe('hotspot-scan HTTP handler', () => {
  const handler = createScanHandler(deps);
  const URL_ = 'http://local/functions/v1/hotspot-scan';
  it('checks roles and orgs', async () => {
    const other = await createTestOrg(sql, 'scan-perm');
    expect((await call(handler, jsonRequest(URL_, { org_id: org.id }, await userToken(org.viewer.id, { [org.id]: 'viewer' })))).status).toBe(403);
    expect((await call(handler, jsonRequest(URL_, { org_id: other.id }, await userToken(org.operator.id, { [org.id]: 'operator' })))).status).toBe(404);
    expect((await call(handler, jsonRequest(URL_, { org_id: org.id }))).status).toBe(401);
    expect((await call(handler, jsonRequest(URL_, { org_id: 'x' }, await serviceToken()))).status).toBe(400);
    const opScan = async () => call(handler, jsonRequest(URL_, {}, await userToken(org.operator.id, { [org.id]: 'operator' })));
    // The schedule may be scanning this org at this moment: then ours is skipped; scan again.
    const op = await retryWhileSkipped(opScan, (r) => r.body.status === 'skipped');
    expect(op).toMatchObject({ status: 200, body: { org_id: org.id, trigger: 'http', status: 'succeeded' } });
    const cron = await call(handler, jsonRequest(URL_, { org_id: other.id, trigger: 'cron' }, await serviceToken()));
    expect(cron).toMatchObject({ status: 200, body: { trigger: 'cron' } });
    // A user cannot pretend to be the schedule.
    const fake = await call(handler, jsonRequest(URL_, { org_id: org.id, trigger: 'cron' }, await userToken(org.operator.id, { [org.id]: 'operator' })));
    expect(fake.body.trigger).toBe('http');
  });
});
