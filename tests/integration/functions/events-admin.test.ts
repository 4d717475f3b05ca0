/**
 * Retention and erasure of raw events (issue 23 part 4) against the real stack, with
 * supabase-js clients of signed-in members (functions through the gateway on real Deno):
 *
 *  - retention: an admin sets org_settings.retention_days through org-settings; the daily
 *    cron entry exists; its procedure, called as the cron calls it, deletes exactly the
 *    old events of the orgs with retention set, in bounded batches, audited per batch,
 *    and leaves the count cube as it was;
 *  - erasure (events-admin `erase`): by source + external ids, by period + GeoJSON area,
 *    by period + H3 cells — the events are gone and the cube equals a recount of the
 *    events that remain; audited (who, what, how many); field errors change nothing;
 *    viewer/operator 403, another org's admin 404, anon 401;
 *  - immutability: a plain DELETE/UPDATE/TRUNCATE of events is refused for every role,
 *    the service role and the superuser included, and the path's setting alone opens
 *    nothing.
 */
import { latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql, asRole } from '../../support/db.ts';
import { invokeFunction } from '../../support/functions.ts';
import { closeClients } from '../../support/hardening.ts';
import { anonClient, createTenant, serviceClient, type Tenant } from '../security/support.ts';

const sql = adminSql(6);
const DAY = 86_400_000;
let keep: Tenant; // retention 30 days
let year: Tenant; // retention 365 days
let forever: Tenant; // no retention
let er: Tenant; // erasure
let other: Tenant; // another org

interface Ev { id: string; at: number; lat?: number; lng?: number; category?: string; source?: string; weight?: number }

/** Insert events as the ingest path stores them (the cube trigger counts them). */
async function insert(orgId: string, evs: Ev[]): Promise<void> {
  const rows = evs.map((e) => {
    const lat = e.lat ?? 51.92, lng = e.lng ?? 4.48;
    return { org_id: orgId, source: e.source ?? 'hist', external_id: e.id, category: e.category ?? 'fire', occurred_at: new Date(e.at),
      lat, lng, weight: e.weight ?? 1, h3_cell: latLngToCell(lat, lng, 9) };
  });
  await sql`insert into public.events ${sql(rows)}`;
}

const externalIds = async (orgId: string): Promise<string[]> =>
  (await sql<Array<{ external_id: string }>>`select external_id from public.events where org_id = ${orgId} and source not like 'SECRET%' order by external_id`).map((r) => r.external_id);

const cubeOf = (orgId: string) => sql`
  select category, cell, bucket, n, weight_sum from public.count_cube where org_id = ${orgId} order by category, cell, bucket`;

/** Cube rows that differ from a recount of the org's events (either side missing counts as a difference). */
async function cubeMismatches(orgId: string): Promise<unknown[]> {
  return [...await sql`
    with recount as (
      select category, public.h3_cell_to_parent(h3_cell, 8) as cell,
             date_bin('1 hour', occurred_at, timestamptz '2000-01-01 00:00:00+00') as bucket,
             count(*)::int as n, sum(weight)::float8 as w
        from public.events where org_id = ${orgId} group by 1, 2, 3),
    cube as (select category, cell, bucket, n, weight_sum from public.count_cube where org_id = ${orgId})
    select category, cell, bucket, c.n as cube_n, r.n as recount_n
      from cube c full join recount r using (category, cell, bucket)
     where c.n is distinct from r.n or abs(coalesce(c.weight_sum, 0) - coalesce(r.w, 0)) > 1e-6`];
}

const auditRows = (orgId: string, action: string) => sql<Array<{ actor: string | null; target_type: string; after: Record<string, unknown> }>>`
  select actor, target_type, after from public.audit_log where org_id = ${orgId} and action = ${action} order by id`;

const erase = (t: Tenant, body: Record<string, unknown>, who: 'viewer' | 'operator' | 'admin' = 'admin') =>
  invokeFunction(t.members[who].client, 'events-admin', { action: 'erase', org_id: t.id, ...body });

beforeAll(async () => {
  const t = await Promise.all(['ret-30', 'ret-365', 'ret-none', 'erase', 'erase-other'].map((l) => createTenant(sql, l)));
  [keep, year, forever, er, other] = t as [Tenant, Tenant, Tenant, Tenant, Tenant];
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

describe('retention', () => {
  it('an admin sets retention_days through org-settings (audited); bad values are field errors and change nothing', async () => {
    const set = (t: Tenant, v: unknown) => invokeFunction(t.members.admin.client, 'org-settings', { action: 'update', org_id: t.id, retention_days: v });
    for (const bad of [0, 1.5, 36_501, 'ninety']) {
      const r = await set(keep, bad);
      expect(r.status, String(bad)).toBe(400);
      expect(r.body.error.errors.map((e: { path: string }) => e.path), String(bad)).toEqual(['retention_days']);
    }
    expect((await invokeFunction(keep.members.operator.client, 'org-settings', { action: 'update', org_id: keep.id, retention_days: 1 })).status).toBe(403);
    const [before] = await sql`select retention_days from public.org_settings where org_id = ${keep.id}`;
    expect(before).toEqual({ retention_days: null }); // default: forever

    const r = await set(keep, 30);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ retention_days: 30, changed: ['retention_days'] });
    expect((await set(year, 365)).status).toBe(200);
    expect((await auditRows(keep.id, 'settings.update')).at(-1)).toMatchObject({ actor: keep.members.admin.userId, after: { retention_days: 30 } });
    // Clearing it is allowed (null = forever); set it back for the job below.
    expect((await set(keep, null)).body).toMatchObject({ retention_days: null });
    expect((await set(keep, 30)).status).toBe(200);
  });

  it('the daily cron entry calls the purge procedure alone (so its COMMITs are allowed)', async () => {
    const jobs = await sql`select schedule, command, active from cron.job where jobname = 'purge-expired-events'`;
    expect(jobs).toEqual([{ schedule: '41 3 * * *', command: 'call public.purge_expired_events()', active: true }]);
  });

  it('the job deletes exactly the old events of orgs with retention set, in bounded batches, audited; the cube stays', async () => {
    const now = Date.now();
    const ages = [1, 10, 29, 31, 40, 100, 200, 364, 366, 400, 800];
    for (const t of [keep, year, forever]) await insert(t.id, ages.map((d) => ({ id: `d${d}`, at: now - d * DAY - 60_000 })));
    const cubes = await Promise.all([keep, year, forever].map((t) => cubeOf(t.id)));
    expect(cubes[0]!.reduce((s, r) => s + (r['n'] as number), 0)).toBe(ages.length + 1); // + the tenant fixture's event

    // As the cron runs it (the procedure, as the job's owner); batches of 3 rows.
    await sql`call public.purge_expired_events(3)`;

    expect(await externalIds(keep.id)).toEqual(['d1', 'd10', 'd29']);
    expect(await externalIds(year.id)).toEqual(['d1', 'd10', 'd100', 'd200', 'd29', 'd31', 'd364', 'd40']);
    expect(await externalIds(forever.id)).toHaveLength(ages.length);
    // The count cube is not decremented by retention: baselines keep the history.
    expect(await cubeOf(keep.id)).toEqual(cubes[0]);
    expect(await cubeOf(year.id)).toEqual(cubes[1]);
    expect(await cubeOf(forever.id)).toEqual(cubes[2]);

    // Audit: one row per committed batch, no actor (the schedule), counts summing to what went.
    const batches = await auditRows(keep.id, 'events.retention');
    expect(batches.map((b) => [b.actor, b.target_type, b.after['deleted'], b.after['batch'], b.after['retention_days']])).toEqual([
      [null, 'events', 3, 1, 30], [null, 'events', 3, 2, 30], [null, 'events', 2, 3, 30]]);
    expect(new Set(batches.map((b) => b.after['run_at'])).size).toBe(1);
    expect((await auditRows(year.id, 'events.retention')).map((b) => b.after['deleted'])).toEqual([3]);
    expect(await auditRows(forever.id, 'events.retention')).toEqual([]);

    // The next night, the job's own command exactly as pg_cron sends it (one simple-protocol
    // query, as the job's user): a newly old event goes, one audit row; nothing else changes.
    await insert(keep.id, [{ id: 'd50', at: now - 50 * DAY }]);
    const [job] = await sql<Array<{ command: string; username: string }>>`select command, username from cron.job where jobname = 'purge-expired-events'`;
    const [me] = await sql<Array<{ u: string }>>`select current_user as u`;
    expect(job!.username).toBe(me!.u); // so this connection runs it as the job's user
    await sql.unsafe(job!.command).simple();
    expect(await externalIds(keep.id)).toEqual(['d1', 'd10', 'd29']);
    expect(await externalIds(year.id)).toHaveLength(8);
    expect((await auditRows(keep.id, 'events.retention')).map((b) => b.after['deleted'])).toEqual([3, 3, 2, 1]);
  });

  it('the API roles cannot run the purge or erase_events (not in SQL, not over REST rpc)', async () => {
    for (const c of [serviceClient(), er.members.admin.client, anonClient()]) {
      const { error } = await c.rpc('erase_events', { p_org_id: er.id, p_event_ids: [1] });
      expect(error?.code).toBe('42501');
    }
    for (const role of ['anon', 'authenticated', 'service_role'] as const) {
      await expect(asRole(sql, role, {}, (tx) => tx`call public.purge_expired_events()`), role).rejects.toThrow(/permission denied/);
      await expect(asRole(sql, role, {}, (tx) => tx`select public.erase_events(${er.id}, '{1}'::bigint[])`), role).rejects.toThrow(/permission denied/);
    }
  });
});

describe('events stay immutable outside retention and erasure', () => {
  it('DELETE, UPDATE and TRUNCATE are refused for every role — members, the service role, the superuser — and the setting alone opens nothing', async () => {
    await insert(other.id, [{ id: 'imm', at: Date.now() - DAY }]);
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const c = other.members[role].client;
      expect((await c.from('events').delete().eq('org_id', other.id).select()).error?.code, role).toBe('42501');
      expect((await c.from('events').update({ lat: 0 }).eq('org_id', other.id).select()).error?.code, role).toBe('42501');
    }
    expect((await serviceClient().from('events').delete().eq('org_id', other.id).select()).error?.code).toBe('42501');
    expect((await anonClient().from('events').delete().eq('org_id', other.id)).error?.code).toBe('42501');
    await expect(sql`delete from public.events where org_id = ${other.id}`).rejects.toMatchObject({ code: '55000', message: /immutable/ });
    await expect(sql`update public.events set lat = 0 where org_id = ${other.id}`).rejects.toThrow(/immutable/);
    // In a transaction that rolls back regardless, so a broken guard cannot empty the shared test database.
    await expect(sql.begin(async (tx) => { await tx`truncate public.events`; throw new Error('TRUNCATE was allowed'); })).rejects.toMatchObject({ code: '55000' });
    // The path's marker set by hand: the API roles still hold no DELETE privilege.
    await expect(asRole(sql, 'service_role', {}, async (tx) => {
      await tx`select set_config('hotwatch.events_delete', 'erasure', true)`;
      return tx`delete from public.events where org_id = ${other.id}`;
    })).rejects.toThrow(/permission denied/);
    expect(await externalIds(other.id)).toEqual(['imm']);
  });
});

describe('erasure (events-admin)', () => {
  const now = Date.now();
  // Two cube cells: a point in central Rotterdam and one ~3 km east; three hours.
  const A = { lat: 51.9200, lng: 4.4700 };
  const A2 = { lat: 51.922, lng: 4.472 }; // same res-8 cell as A, another res-9 cell
  const B = { lat: 51.9150, lng: 4.5200 };
  const h = (n: number) => now - n * 3_600_000 - 60_000;

  beforeAll(async () => {
    await insert(er.id, [
      { id: 'x1', at: h(1), ...A }, { id: 'x2', at: h(1), ...A2, weight: 2.5 }, { id: 'x3', at: h(1), ...B, category: 'flood' },
      { id: 'x4', at: h(30), ...A }, { id: 'x5', at: h(30), ...B }, { id: 'x6', at: h(30), ...B, category: 'crime' },
      { id: 'x7', at: h(60), ...A }, { id: 'x8', at: h(60), ...B, weight: 0.5 }, { id: 'x9', at: h(60), ...A2 },
      { id: 'y1', at: h(1), ...A, source: 'other-feed' },
    ]);
    expect(await cubeMismatches(er.id)).toEqual([]);
  });

  it('viewer and operator get 403, another org\'s admin 404, anon 401; nothing is erased', async () => {
    expect((await erase(er, { source: 'hist', external_ids: ['x1'] }, 'viewer')).status).toBe(403);
    expect((await erase(er, { source: 'hist', external_ids: ['x1'] }, 'operator')).status).toBe(403);
    const outsider = await invokeFunction(other.members.admin.client, 'events-admin', { action: 'erase', org_id: er.id, source: 'hist', external_ids: ['x1'] });
    expect(outsider.status).toBe(404);
    expect(outsider.body.error.code).toBe('org_not_found');
    expect((await invokeFunction(anonClient(), 'events-admin', { action: 'erase', org_id: er.id, source: 'hist', external_ids: ['x1'] })).status).toBe(401);
    expect(await externalIds(er.id)).toHaveLength(10);
  });

  it('bad requests are field errors and change nothing', async () => {
    const square = { type: 'Polygon', coordinates: [[[4.46, 51.91], [4.48, 51.91], [4.48, 51.93], [4.46, 51.93], [4.46, 51.91]]] };
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{}, ['(body)']],
      [{ source: 'hist', external_ids: ['x1'], from: new Date(h(2)).toISOString() }, ['(body)']],
      [{ source: 'hist' }, ['external_ids']],
      [{ source: 'hist', external_ids: [] }, ['external_ids']],
      [{ from: new Date(h(2)).toISOString(), area: square }, ['to']],
      [{ from: new Date(h(0)).toISOString(), to: new Date(h(2)).toISOString(), area: square }, ['to']],
      [{ from: 'yesterday', to: new Date(h(0)).toISOString(), area: square }, ['from']],
      [{ from: new Date(h(2)).toISOString(), to: new Date(h(0)).toISOString() }, ['area']],
      [{ from: new Date(h(2)).toISOString(), to: new Date(h(0)).toISOString(), area: square, cells: [latLngToCell(51.92, 4.47, 8)] }, ['cells']],
      [{ from: new Date(h(2)).toISOString(), to: new Date(h(0)).toISOString(), area: { type: 'Polygon', coordinates: [[[4.46, 51.91], [4.48, 51.91], [4.46, 51.91]]] } }, ['area.coordinates[0]']],
      [{ from: new Date(h(2)).toISOString(), to: new Date(h(0)).toISOString(), cells: ['not-a-cell'] }, ['cells[0]']],
      [{ from: new Date(h(2)).toISOString(), to: new Date(h(0)).toISOString(), cells: [latLngToCell(51.92, 4.47, 10)] }, ['cells[0]']], // resolution 10
      [{ source: 'hist', external_ids: ['x1'], everything: true }, ['everything']],
    ];
    for (const [body, paths] of cases) {
      const r = await erase(er, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      expect(r.body.error.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toEqual(paths);
    }
    expect(await externalIds(er.id)).toHaveLength(10);
    expect(await auditRows(er.id, 'events.erase')).toEqual([]);
  });

  it('by source and external ids: those events go, the cube equals a recount, one audit row (who, what, how many)', async () => {
    const cubeBefore = await cubeOf(er.id);
    const r = await erase(er, { source: 'hist', external_ids: ['x2', 'x3', 'nope'], reason: 'GDPR request 17' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ erased: 2, not_found: ['nope'] });
    expect(await externalIds(er.id)).toEqual(['x1', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'y1']);
    expect(await cubeMismatches(er.id)).toEqual([]);
    // The flood cell held only x3: its cube row is gone; A's hour lost x2 (weight 2.5).
    const cubeAfter = await cubeOf(er.id);
    expect(cubeAfter.filter((c) => c['category'] === 'flood')).toEqual([]);
    expect(cubeAfter.length).toBe(cubeBefore.length - 1);
    expect(await auditRows(er.id, 'events.erase')).toEqual([{
      actor: er.members.admin.userId, target_type: 'events',
      after: { source: 'hist', external_ids: ['x2', 'x3', 'nope'], reason: 'GDPR request 17', erased: 2, not_found: 1 },
    }]);
  });

  it('by period and GeoJSON area: the events inside (in the period) go; the cube equals a recount', async () => {
    // Around A only (B is ~3 km east), the last 40 hours: x1, y1 (h1) and x4 (h30); not x7/x9 (h60).
    const aroundA = { type: 'Polygon', coordinates: [[[4.46, 51.91], [4.48, 51.91], [4.48, 51.93], [4.46, 51.93], [4.46, 51.91]]] };
    const r = await erase(er, { from: new Date(h(40)).toISOString(), to: new Date(now).toISOString(), area: aroundA });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ erased: 3 });
    expect(await externalIds(er.id)).toEqual(['x5', 'x6', 'x7', 'x8', 'x9']);
    expect(await cubeMismatches(er.id)).toEqual([]);
    const audit = (await auditRows(er.id, 'events.erase')).at(-1)!;
    expect(audit).toMatchObject({ actor: er.members.admin.userId, after: { area: aroundA, erased: 3, from: new Date(h(40)).toISOString() } });
  });

  it('by period and H3 cells (any resolution ≤ 9) with a category: only those go; the cube equals a recount', async () => {
    const cellB8 = latLngToCell(B.lat, B.lng, 8);
    const cellA9 = latLngToCell(A.lat, A.lng, 9);
    // B's res-8 cell, crime only: x6; A's res-9 cell (x7, fire), all categories. x5 (fire at B) and x8 stay; x9 (A2) is in another res-9 cell.
    const r1 = await erase(er, { from: new Date(h(100)).toISOString(), to: new Date(now).toISOString(), cells: [cellB8], category: 'crime' });
    expect(r1.body).toEqual({ erased: 1 });
    const r2 = await erase(er, { from: new Date(h(100)).toISOString(), to: new Date(now).toISOString(), cells: [cellA9] });
    expect(r2.body).toEqual({ erased: 1 });
    expect(latLngToCell(A2.lat, A2.lng, 9)).not.toBe(cellA9);
    expect(await externalIds(er.id)).toEqual(['x5', 'x8', 'x9']);
    expect(await cubeMismatches(er.id)).toEqual([]);
    // Nothing named: 200, nothing erased, still audited as asked.
    const none = await erase(er, { from: new Date(h(100)).toISOString(), to: new Date(now).toISOString(), cells: [cellB8], category: 'medical' });
    expect(none.body).toEqual({ erased: 0 });
    expect((await auditRows(er.id, 'events.erase')).map((a) => a.after['erased'])).toEqual([2, 3, 1, 1, 0]);
    // Another org's events are never touched by this org's erasure.
    expect(await externalIds(other.id)).toEqual(['imm']);
  });
});
