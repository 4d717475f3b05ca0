/**
 * org-settings against the real stack: every org has a settings row whose defaults are
 * the code's; members read their org's row over REST and nobody else does; only the
 * org's admins change it, through the function, partially, with an audit row in the
 * same transaction; bad GeoJSON is refused with field errors and stores nothing; and
 * ingest flags events outside the area.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestHandler } from '../../../functions/ingest-events/handler.ts';
import { createOrgSettingsHandler } from '../../../functions/org-settings/handler.ts';
import { DEFAULT_CATEGORIES, DEFAULT_SCAN_SETTINGS } from '../../../functions/_shared/org-settings.ts';
import { adminSql } from '../../support/db.ts';
import { call, jsonRequest, serviceToken } from '../../support/functions.ts';
import { closeClients } from '../../support/hardening.ts';
import { anonClient, createTenant, type Tenant } from '../security/support.ts';

const sql = adminSql(8);
const handler = createOrgSettingsHandler({ sql, report: (e) => console.error('ORG-SETTINGS', e) });
const ingest = createIngestHandler({ sql, report: (e) => console.error('INGEST', e) });
const update = (body: Record<string, unknown>, token: string) =>
  call(handler, jsonRequest('http://local/functions/v1/org-settings', { action: 'update', ...body }, token));
let a: Tenant;
let b: Tenant;

type P = [number, number];
const box = (w: number, s: number, e: number, n: number): P[] => [[w, s], [e, s], [e, n], [w, n], [w, s]];
/** Central Rotterdam, about 3 × 2 km. */
const ROTTERDAM = { type: 'Polygon', coordinates: [box(4.46, 51.91, 4.5, 51.93)] };

const settingsOf = async (orgId: string) => (await sql`
  select area, coalesce(cardinality(c.cells), 0)::int as cells, districts, time_zone, categories, scan, map, updated_by
    from public.org_settings s left join public.org_area_cells c using (org_id) where s.org_id = ${orgId}`)[0]!;
const auditOf = (orgId: string) => sql`
  select actor, action, target_type, target_id, before, after from public.audit_log where org_id = ${orgId} and target_type = 'org_settings' order by id`;

beforeAll(async () => {
  a = await createTenant(sql, 'settings-a');
  b = await createTenant(sql, 'settings-b');
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

describe('org_settings', () => {
  it('every new org has a row whose defaults are the code\'s (the behaviour before settings)', async () => {
    const s = await settingsOf(b.id);
    expect(s).toMatchObject({ area: null, cells: 0, districts: [], time_zone: 'UTC', map: {}, updated_by: null });
    expect(s['scan']).toEqual(DEFAULT_SCAN_SETTINGS);
    expect(s['categories']).toEqual(DEFAULT_CATEGORIES);
  });

  it('members read their org\'s row over REST; other orgs and anon read none; nobody writes over REST', async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const { data, error } = await a.members[role].client.from('org_settings').select('org_id, time_zone').in('org_id', [a.id, b.id]);
      expect(error).toBeNull();
      expect(data).toEqual([{ org_id: a.id, time_zone: expect.any(String) }]);
    }
    expect((await anonClient().from('org_settings').select('org_id').in('org_id', [a.id, b.id])).data).toEqual([]);
    const upd = await a.members.admin.client.from('org_settings').update({ time_zone: 'Europe/Paris' }).eq('org_id', a.id);
    expect(upd.error?.code).toBe('42501');
    const ins = await a.members.admin.client.from('org_settings').insert({ org_id: b.id });
    expect(ins.error?.code).toBe('42501');
    expect((await settingsOf(a.id))['time_zone']).not.toBe('Europe/Paris');
  });

  it('an admin\'s partial update changes only the fields given (scan merges) and writes one audit row', async () => {
    const before = await settingsOf(a.id);
    const r = await update({ org_id: a.id, time_zone: 'Europe/Amsterdam', scan: { min_cases: 5, scheduled: false } }, a.members.admin.token);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ org_id: a.id, time_zone: 'Europe/Amsterdam', changed: ['time_zone', 'scan'], area_cell_count: 0, updated_by: a.members.admin.userId });
    const after = await settingsOf(a.id);
    expect(after['scan']).toEqual({ ...DEFAULT_SCAN_SETTINGS, min_cases: 5, scheduled: false });
    expect(after['categories']).toEqual(before['categories']);
    expect(after['districts']).toEqual(before['districts']);
    expect(await auditOf(a.id)).toEqual([{
      actor: a.members.admin.userId, action: 'settings.update', target_type: 'org_settings', target_id: a.id,
      before: { time_zone: 'UTC', scan: DEFAULT_SCAN_SETTINGS },
      after: { time_zone: 'Europe/Amsterdam', scan: { ...DEFAULT_SCAN_SETTINGS, min_cases: 5, scheduled: false } },
    }]);
  });

  it('viewers and operators get 403, another org\'s admin 404, anon 401 — and nothing changes', async () => {
    const before = await settingsOf(a.id);
    const audits = (await auditOf(a.id)).length;
    expect((await update({ org_id: a.id, time_zone: 'Asia/Tokyo' }, a.members.viewer.token)).status).toBe(403);
    const op = await update({ org_id: a.id, time_zone: 'Asia/Tokyo' }, a.members.operator.token);
    expect(op.status).toBe(403);
    expect(op.body.error).toMatchObject({ code: 'forbidden', required: 'admin' });
    const other = await update({ org_id: a.id, time_zone: 'Asia/Tokyo' }, b.members.admin.token);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('org_not_found');
    // An outsider learns nothing from field errors: the role is checked first.
    expect((await update({ org_id: a.id, time_zone: 'Mars/Base' }, b.members.admin.token)).status).toBe(404);
    const anon = await call(handler, jsonRequest('http://local/functions/v1/org-settings', { action: 'update', org_id: a.id, time_zone: 'Asia/Tokyo' }));
    expect(anon.status).toBe(401);
    expect(await settingsOf(a.id)).toEqual(before);
    expect(await auditOf(a.id)).toHaveLength(audits);
  });

  it('bad GeoJSON is refused with field errors and stores nothing', async () => {
    const before = await settingsOf(a.id);
    const audits = (await auditOf(a.id)).length;
    const n = 10_001;
    const circle: P[] = Array.from({ length: n }, (_, i) => [4.48 + 0.01 * Math.cos((2 * Math.PI * i) / n), 51.92 + 0.01 * Math.sin((2 * Math.PI * i) / n)]);
    circle.push(circle[0]!);
    const cases: Array<[unknown, string, RegExp]> = [
      [{ type: 'Polygon', coordinates: [[[4.46, 51.91], [4.5, 51.93], [4.5, 51.91], [4.46, 51.93], [4.46, 51.91]]] }, 'area.coordinates[0]', /crosses itself/],
      [{ type: 'LineString', coordinates: [[4.46, 51.91], [4.5, 51.93]] }, 'area.type', /Polygon/],
      [{ type: 'Polygon', coordinates: [circle] }, 'area.coordinates', /At most 10000 vertices/],
      [{ type: 'Polygon', coordinates: [[[4.46, 51.91], [200, 51.91], [4.5, 51.93], [4.46, 51.91]]] }, 'area.coordinates[0][1][0]', /Longitude/],
    ];
    for (const [area, path, message] of cases) {
      const r = await update({ org_id: a.id, area, time_zone: 'Asia/Tokyo' }, a.members.admin.token);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      expect(r.body.error.errors).toContainEqual(expect.objectContaining({ path, message: expect.stringMatching(message) }));
    }
    const districts = [{ type: 'Feature', properties: { name: '' }, geometry: ROTTERDAM }];
    const d = await update({ org_id: a.id, districts }, a.members.admin.token);
    expect(d.body.error.errors).toContainEqual(expect.objectContaining({ path: 'districts[0].properties.name' }));
    expect(await settingsOf(a.id)).toEqual(before);
    expect(await auditOf(a.id)).toHaveLength(audits);
  });

  it('an area becomes its res-8 cells; ingest accepts events outside it and flags them', async () => {
    const r = await update({ org_id: a.id, area: ROTTERDAM, districts: [{ type: 'Feature', properties: { name: 'Kralingen' }, geometry: ROTTERDAM }] }, a.members.admin.token);
    expect(r.status).toBe(200);
    expect(r.body.area_cell_count).toBeGreaterThan(3);
    expect(r.body.area).toEqual(ROTTERDAM);
    const s = await settingsOf(a.id);
    expect(s['cells']).toBe(r.body.area_cell_count);
    const audit = (await auditOf(a.id)).at(-1)!;
    expect(audit['before']).toMatchObject({ area: null, area_cell_count: 0, districts: [] });
    expect(audit['after']).toMatchObject({ area: ROTTERDAM, area_cell_count: r.body.area_cell_count });

    const at = new Date(Date.now() - 600_000).toISOString();
    const events = [
      { source: 'cad', external_id: 'in-1', category: 'flood', occurred_at: at, lat: 51.92, lng: 4.48 },
      { source: 'cad', external_id: 'out-1', category: 'flood', occurred_at: at, lat: 52.37, lng: 4.9 },
    ];
    const res = await call(ingest, jsonRequest('http://local/functions/v1/ingest-events', { org_id: a.id, events }, a.members.operator.token));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 2, outside_area: 1 });
    const rows = await sql`select external_id, outside_area from public.events where org_id = ${a.id} and source = 'cad' order by external_id`;
    expect(rows).toEqual([{ external_id: 'in-1', outside_area: false }, { external_id: 'out-1', outside_area: true }]);

    // Clearing the area: nothing is outside any more.
    expect((await update({ org_id: a.id, area: null }, await serviceToken())).status).toBe(200);
    expect((await settingsOf(a.id))['cells']).toBe(0);
    const again = await call(ingest, jsonRequest('http://local/functions/v1/ingest-events',
      { org_id: a.id, events: [{ ...events[1], external_id: 'out-2' }] }, a.members.operator.token));
    expect(again.body).toMatchObject({ accepted: 1, outside_area: 0 });
  });

  it('the schedule skips an org whose scan.scheduled is false', async () => {
    // due_scans() is what each schedule round claims from: an org with news is due. Asked in a
    // transaction that is rolled back, so the stack's own rounds never see (or take) the news.
    const scheduledWithNews = async (): Promise<boolean> => {
      let listed = false;
      await sql.begin(async (tx) => {
        await tx`update public.org_scan_state set claimed_until = null, last_scan_at = null where org_id = ${b.id}`;
        await tx`insert into public.scan_news (org_id) values (${b.id})`;
        listed = (await tx`select 1 from public.due_scans() where org_id = ${b.id}`).length === 1;
        throw new Error('rollback');
      }).catch((e: unknown) => { if (!(e instanceof Error && e.message === 'rollback')) throw e; });
      return listed;
    };
    expect(await scheduledWithNews()).toBe(true);
    expect((await update({ org_id: b.id, scan: { scheduled: false } }, b.members.admin.token)).status).toBe(200);
    expect(await scheduledWithNews()).toBe(false);
    expect((await update({ org_id: b.id, scan: { scheduled: true } }, b.members.admin.token)).status).toBe(200);
    expect(await scheduledWithNews()).toBe(true);
  });
});
