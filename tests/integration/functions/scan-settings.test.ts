/**
 * The scan honours the org's settings, changed through the org-settings function:
 * a higher case minimum, stricter severity tiers, a disabled category and an area
 * elsewhere each change what the same data yields; back at the defaults the burst is
 * found again.
 */
import { cellToLatLng, gridDisk } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanCube } from '../../../functions/_shared/detection/index.ts';
import { DEFAULT_SCAN_SETTINGS } from '../../../functions/_shared/org-settings.ts';
import { createOrgSettingsHandler } from '../../../functions/org-settings/handler.ts';
import { runScan, type ScanDeps } from '../../../functions/hotspot-scan/run.ts';
import { adminSql } from '../../support/db.ts';
import { addMember, createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { call, jsonRequest, userToken } from '../../support/functions.ts';
import { areaCells, HOUR, seedBackground, seedBurst } from './seed-events.ts';

const sql = adminSql(6);
// Days ahead of real time, like scan.test.ts: the cron schedule's scans never see these events.
const NOW = Math.floor(Date.now() / HOUR) * HOUR + 15 * 24 * HOUR + 30 * 60_000;
let clock = NOW;
const deps: ScanDeps = { sql, engine: scanCube, now: () => clock, report: (e) => console.error('SCAN', e) };
const settings = createOrgSettingsHandler({ sql, report: (e) => console.error('ORG-SETTINGS', e) });
let org: TestOrg;
let admin: string;

const update = async (fields: Record<string, unknown>) => {
  const r = await call(settings, jsonRequest('http://local/functions/v1/org-settings', { action: 'update', org_id: org.id, ...fields }, admin));
  expect(r.status).toBe(200);
};
/** A scan at a fresh clock (each a new look), retried past a concurrent cron run holding the lock. */
async function scan() {
  clock += 61_000;
  for (let i = 0; ; i++) {
    const s = await runScan(deps, org.id, 'manual');
    if (s.status === 'succeeded' || i === 4) return s;
  }
}

beforeAll(async () => {
  org = await createTestOrg(sql, 'scan-settings');
  const a = await addMember(sql, org.id, 'admin');
  admin = await userToken(a.id, { [org.id]: 'admin' });
  await sql`update public.orgs set created_at = ${new Date(NOW - 30 * 24 * HOUR)} where id = ${org.id}`;
  await seedBackground(sql, org.id, { now: NOW, historyHours: 24 * 10, ratePerCellHour: 0.05 });
  await seedBackground(sql, org.id, { now: NOW, historyHours: 24 * 10, ratePerCellHour: 0.05, category: 'crime' });
  await seedBurst(sql, org.id, gridDisk(areaCells()[0]!, 1), 40, NOW, { tag: 'burst' });
});
afterAll(() => sql.end());

describe('hotspot-scan reads org settings', () => {
  it('defaults: the fire burst is detected; the steady crime background is not', async () => {
    const s = await scan();
    expect(s.detections).toBeGreaterThanOrEqual(1);
    expect(s.categories['fire']!.significant).toBeGreaterThanOrEqual(1);
    expect(s.categories['crime']).toMatchObject({ significant: 0 });
    const [run] = await sql`select parameters from public.scan_runs where id = ${s.scan_id}`;
    expect(run!.parameters).toMatchObject({ min_cases: 2, severity_days: DEFAULT_SCAN_SETTINGS.severity_days });
  });

  it('a case minimum above the window\'s cases: the category is not scanned', async () => {
    await update({ scan: { min_cases: 10_000 } });
    const s = await scan();
    expect(s.detections).toBe(0);
    expect(s.categories).toEqual({});
  });

  it('severity tiers every cluster reaches: the steady background becomes a (critical) detection', async () => {
    await update({ scan: { min_cases: 2, severity_days: { low: 1e-9, medium: 1e-9, high: 1e-9, critical: 1e-9 } } });
    const s = await scan();
    expect(s.categories['crime']!.significant).toBeGreaterThanOrEqual(1);
    const [h] = await sql`select severity from public.hotspots where org_id = ${org.id} and category = 'crime' and status <> 'resolved'`;
    expect(h).toEqual({ severity: 'critical' });
  });

  it('a disabled category is not scanned', async () => {
    await update({ scan: { severity_days: DEFAULT_SCAN_SETTINGS.severity_days }, categories: [{ key: 'fire', label: 'fire', colour: '#ff0000', enabled: false }] });
    expect(Object.keys((await scan()).categories)).toEqual(['crime']);
  });

  it('an area elsewhere: events outside it are not monitored; an area around them is', async () => {
    await update({ categories: [{ key: 'fire', label: 'fire', colour: '#ff0000', enabled: true }], area: {
      type: 'Polygon', coordinates: [[[4.46, 51.91], [4.5, 51.91], [4.5, 51.93], [4.46, 51.93], [4.46, 51.91]]],
    } });
    expect((await scan()).categories).toEqual({});
    const [lat, lng] = cellToLatLng(areaCells()[0]!);
    const d = 0.05;
    await update({ area: { type: 'Polygon', coordinates: [[[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d], [lng - d, lat - d]]] } });
    expect((await scan()).detections).toBeGreaterThanOrEqual(1);
  });

  it('alerts name the org\'s district, use its category label and show local time', async () => {
    const spot = areaCells()[50]!;
    const [lat, lng] = cellToLatLng(spot);
    const d = 0.01;
    await update({
      time_zone: 'America/New_York',
      categories: [{ key: 'fire', label: 'structure fire', colour: '#ff0000', enabled: true }],
      districts: [{ type: 'Feature', properties: { name: 'Midtown' }, geometry: {
        type: 'Polygon', coordinates: [[[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d], [lng - d, lat + d], [lng - d, lat - d]]] } }],
    });
    await seedBurst(sql, org.id, gridDisk(spot, 1), 40, clock, { tag: 'midtown' });
    await scan();
    const [a] = await sql`select a.title, a.description from public.alerts a join public.hotspots h on h.id = a.hotspot_id
                           where a.org_id = ${org.id} and ${spot} = any(h.cells) order by a.id desc limit 1`;
    expect(a!.title).toMatch(/^Structure fire in Midtown: \d+ events in \d+ cells? over the last \d+ h$/);
    expect(a!.description).toMatch(/\(since \d\d:\d\d America\/New_York\)/);
    expect(a!.title + a!.description).not.toMatch(/8[0-9a-f]{14}/);
  });
});
