/**
 * The playbooks function and its tables: only an org's admins write (through the
 * function, audited in the change's transaction); members read their org's playbooks
 * and the global ones not hidden for them over REST (RLS); bad input answers field
 * errors and changes nothing; a created playbook is recommended on the next firing
 * alert of its category, a retired one never again while old recommendations still
 * cite it.
 */
import { gridDisk } from 'h3-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { scanCube } from '../../../functions/_shared/detection/index.ts';
import { runScan, type ScanDeps } from '../../../functions/hotspot-scan/run.ts';
import { createPlaybooksHandler } from '../../../functions/playbooks/handler.ts';
import { adminSql } from '../../support/db.ts';
import { call, jsonRequest } from '../../support/functions.ts';
import { closeClients } from '../../support/hardening.ts';
import { as, closeClients as closeRealtime, collector, rtClient, sleep, subscribed, type Change } from '../realtime/helpers.ts';
import { createTenant, serviceClient, type Tenant } from '../security/support.ts';
import { areaCells, HOUR, seedBackground, seedBurst } from './seed-events.ts';

const sql = adminSql(8);
const handler = createPlaybooksHandler({ sql, report: (e) => console.error('PLAYBOOKS', e) });
const send = (body: unknown, token?: string) => call(handler, jsonRequest('http://local/functions/v1/playbooks', body, token));
let a: Tenant;
let b: Tenant;

const draft = (over: Record<string, unknown> = {}) => ({
  title: 'Sandbag the riverside underpass',
  category: 'flood',
  severities: ['high', 'critical'],
  tags: ['underpass', 'sandbags'],
  summary: 'Close and sandbag the riverside underpass before it floods.',
  body: 'The riverside underpass floods first; close it and sandbag both ends.',
  steps: ['Close the underpass to traffic.', 'Sandbag both ends.'],
  ...over,
});

beforeAll(async () => {
  a = await createTenant(sql, 'pb-a');
  b = await createTenant(sql, 'pb-b');
});
afterAll(async () => {
  await closeClients();
  await closeRealtime();
  await sql.end();
});

const count = async (orgId: string) => (await sql`select count(*)::int as n from public.playbooks where org_id = ${orgId}`)[0]!.n as number;

describe('playbooks function: validation and who may write', () => {
  it('bad fields answer 400 with a field error each, and nothing is stored', async () => {
    const before = await count(a.id);
    const r = await send({
      action: 'create', org_id: a.id,
      playbook: draft({ title: ' x ', category: 'Flood!', severities: ['huge'], steps: [], body: '', colour: 'red' }),
    }, a.members.admin.token);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    const paths = r.body.error.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['playbook.body', 'playbook.category', 'playbook.colour', 'playbook.severities[0]', 'playbook.steps', 'playbook.title']);
    expect((await send({ action: 'erase', id: a.id }, a.members.admin.token)).body.error.errors[0].path).toBe('action');
    expect(await count(a.id)).toBe(before);
  });

  it('anon 401, viewer and operator 403, another org\'s admin 404; the admin creates (201), audited', async () => {
    const body = { action: 'create', org_id: a.id, playbook: draft({ title: 'Pump out the station basement' }) };
    expect((await send(body)).status).toBe(401);
    expect((await send(body, a.members.viewer.token)).status).toBe(403);
    expect((await send(body, a.members.operator.token)).status).toBe(403);
    expect((await send(body, b.members.admin.token)).status).toBe(404);
    const r = await send(body, a.members.admin.token);
    expect(r.status).toBe(201);
    expect(r.body.playbook).toMatchObject({ org_id: a.id, slug: 'pump-out-the-station-basement', status: 'active', category: 'flood' });
    const [audit] = await sql`select actor, action, after from public.audit_log where target_id = ${r.body.playbook.id}`;
    expect(audit).toMatchObject({ actor: a.members.admin.userId, action: 'playbook.create', after: { title: 'Pump out the station basement' } });
    // Same slug again: 409, nothing stored.
    expect((await send(body, a.members.admin.token)).status).toBe(409);
  });

  it('update changes the searchable text at once; global playbooks are read-only (403); other orgs\' are 404', async () => {
    const made = (await send({ action: 'create', org_id: a.id, playbook: draft({ title: 'Clear storm drains' }) }, a.members.admin.token)).body.playbook;
    const u = await send({ action: 'update', id: made.id, playbook: { summary: 'Clear the zanzibarian storm drains.' } }, a.members.admin.token);
    expect(u.status).toBe(200);
    const hits = await sql`select playbook_id from public.match_playbooks('zanzibarian', null, null, '{}', ${a.id}, 3, 0)`;
    expect(hits.map((h) => h.playbook_id)).toEqual([made.id]);
    const [audit] = await sql`select before, after from public.audit_log where target_id = ${made.id} and action = 'playbook.update'`;
    expect(audit).toMatchObject({ before: { summary: expect.stringContaining('Close and sandbag') }, after: { summary: 'Clear the zanzibarian storm drains.' } });
    expect((await send({ action: 'update', id: made.id, playbook: {} }, a.members.admin.token)).status).toBe(400);
    expect((await send({ action: 'retire', id: made.id }, b.members.admin.token)).status).toBe(404);
    expect((await send({ action: 'update', id: made.id, playbook: { title: 'Mine now' } }, a.members.operator.token)).status).toBe(403);
    const [global] = await sql`select id from public.playbooks where org_id is null limit 1`;
    const g = await send({ action: 'update', id: global!.id, playbook: { title: 'Mine now' } }, a.members.admin.token);
    expect(g.status).toBe(403);
    expect((await send({ action: 'retire', id: global!.id }, a.members.admin.token)).status).toBe(403);
    // retire twice: 409 the second time; restore brings it back.
    expect((await send({ action: 'retire', id: made.id }, a.members.admin.token)).body.playbook.status).toBe('retired');
    expect((await send({ action: 'retire', id: made.id }, a.members.admin.token)).status).toBe(409);
    expect((await send({ action: 'restore', id: made.id }, a.members.admin.token)).body.playbook.status).toBe('active');
    // An org playbook cannot be hidden.
    expect((await send({ action: 'hide', org_id: a.id, playbook_id: made.id }, a.members.admin.token)).status).toBe(409);
  });
});

describe('playbooks through the functions gateway (real Deno, supabase-js)', () => {
  it('an admin creates with functions.invoke; a viewer is refused with 403 and the error body', async () => {
    const { data, error } = await a.members.admin.client.functions.invoke('playbooks', {
      body: { action: 'create', org_id: a.id, playbook: draft({ title: 'Created through the gateway' }) },
    });
    expect(error).toBeNull();
    expect(data.playbook).toMatchObject({ org_id: a.id, slug: 'created-through-the-gateway', status: 'active' });
    const refused = await a.members.viewer.client.functions.invoke('playbooks', { body: { action: 'retire', id: data.playbook.id } });
    expect(refused.error?.context?.status).toBe(403);
    expect((await refused.error.context.json()).error.code).toBe('forbidden');
  });
});

describe('playbooks: RLS over REST', () => {
  it('members read their org\'s playbooks, not another org\'s; nobody writes over REST', async () => {
    const made = (await send({ action: 'create', org_id: a.id, playbook: draft({ title: 'Only for org A' }) }, a.members.admin.token)).body.playbook;
    const mine = await a.members.viewer.client.from('playbooks').select('id').eq('id', made.id);
    expect(mine.data).toEqual([{ id: made.id }]);
    const theirs = await b.members.admin.client.from('playbooks').select('id').eq('id', made.id);
    expect(theirs.data).toEqual([]);
    const ins = await a.members.admin.client.from('playbooks').insert({ org_id: a.id, slug: 'sneaky', title: 't', category: 'fire', body: 'b' });
    expect(ins.error?.code).toBe('42501');
    const upd = await a.members.admin.client.from('playbooks').update({ title: 'changed' }).eq('id', made.id).select();
    expect(upd.error?.code ?? (upd.data ?? []).length).not.toBe(1);
    expect((await sql`select title from public.playbooks where id = ${made.id}`)[0]!.title).toBe('Only for org A');
    const hid = await a.members.admin.client.from('playbook_hidden').insert({ org_id: a.id, playbook_id: made.id });
    expect(hid.error?.code).toBe('42501');
  });

  it('a hidden global playbook: hidden from the org\'s viewers and its retrieval, visible to its admins and other orgs; unhide restores', async () => {
    const [global] = await sql`select id, category from public.playbooks where org_id is null and slug = 'fire-surge-escalation'`;
    const id = global!.id as string;
    const h = await send({ action: 'hide', org_id: a.id, playbook_id: id }, a.members.admin.token);
    expect(h.status).toBe(200);
    expect(h.body.changed).toBe(true);
    expect((await send({ action: 'hide', org_id: a.id, playbook_id: id }, a.members.admin.token)).body.changed).toBe(false);
    expect((await a.members.viewer.client.from('playbooks').select('id').eq('id', id)).data).toEqual([]);
    expect((await a.members.admin.client.from('playbooks').select('id').eq('id', id)).data).toEqual([{ id }]);
    expect((await b.members.viewer.client.from('playbooks').select('id').eq('id', id)).data).toEqual([{ id }]);
    expect((await a.members.viewer.client.from('playbook_hidden').select('playbook_id')).data).toEqual([{ playbook_id: id }]);
    expect((await b.members.viewer.client.from('playbook_hidden').select('playbook_id')).data).toEqual([]);
    const forA = await sql`select playbook_id from public.match_playbooks('fire surge', 'fire', 'critical', '{}', ${a.id}, 50)`;
    const forB = await sql`select playbook_id from public.match_playbooks('fire surge', 'fire', 'critical', '{}', ${b.id}, 50)`;
    expect(forA.map((r) => r.playbook_id)).not.toContain(id);
    expect(forB.map((r) => r.playbook_id)).toContain(id);
    expect((await send({ action: 'hide', org_id: a.id, playbook_id: id }, a.members.operator.token)).status).toBe(403);
    expect((await send({ action: 'unhide', org_id: a.id, playbook_id: id }, a.members.admin.token)).body.changed).toBe(true);
    expect((await a.members.viewer.client.from('playbooks').select('id').eq('id', id)).data).toEqual([{ id }]);
    const audits = await sql`select action, before, after from public.audit_log where org_id = ${a.id} and target_id = ${id} order by id`;
    expect(audits).toEqual([
      { action: 'playbook.hide', before: { hidden: false }, after: { hidden: true } },
      { action: 'playbook.unhide', before: { hidden: true }, after: { hidden: false } },
    ]);
  });

  it('the service role may read everything (no RLS) but writes only through the function', async () => {
    const { data } = await serviceClient().from('playbooks').select('id').eq('org_id', a.id);
    expect((data ?? []).length).toBeGreaterThan(0);
  });
});

describe('playbooks over Realtime (open Playbooks pages follow changes)', () => {
  it('an org\'s members get its playbook changes as Postgres Changes; another org\'s members do not', async () => {
    const { apiUrl, anonKey } = inject('stack');
    const mine = collector<Change>();
    const theirs = collector<Change>();
    const binding = { event: '*', schema: 'public', table: 'playbooks' } as const;
    await subscribed(rtClient(apiUrl, anonKey, { token: a.members.viewer.token }).channel('pb-rt-a').on('postgres_changes', binding, as(mine.push)));
    await subscribed(rtClient(apiUrl, anonKey, { token: b.members.viewer.token }).channel('pb-rt-b').on('postgres_changes', binding, as(theirs.push)));
    const made = (await send({ action: 'create', org_id: a.id, playbook: draft({ title: 'Followed live' }) }, a.members.admin.token)).body.playbook;
    await send({ action: 'retire', id: made.id }, a.members.admin.token);
    const [ins, upd] = await mine.wait(2);
    expect(ins).toMatchObject({ eventType: 'INSERT', new: { id: made.id, status: 'active' } });
    expect(upd).toMatchObject({ eventType: 'UPDATE', new: { id: made.id, status: 'retired' } });
    await sleep(500);
    expect(theirs.items).toEqual([]);
  });
});

describe('playbooks in the scan', () => {
  // As scan.test.ts: 12 days ahead of the shared stack's cron scans.
  const NOW = Math.floor(Date.now() / HOUR) * HOUR + 12 * 24 * HOUR + 30 * 60_000;
  let clock = NOW;
  const deps: ScanDeps = { sql, engine: scanCube, now: () => clock, report: (e) => console.error('SCAN', e) };
  const scan = async (orgId: string) => {
    for (let i = 0; ; i++) {
      const s = await runScan(deps, orgId, 'manual');
      if (s.status === 'succeeded' || i === 4) return s;
    }
  };

  it('a created playbook is recommended on the next firing alert of its category; retired, never again, while old recommendations still cite it', async () => {
    const t = await createTenant(sql, 'pb-scan');
    await sql`update public.orgs set created_at = ${new Date(NOW - 30 * 24 * HOUR)} where id = ${t.id}`;
    await seedBackground(sql, t.id, { now: NOW, historyHours: 24 * 10, ratePerCellHour: 0.05 });
    const made = (await send({
      action: 'create', org_id: t.id,
      playbook: draft({ title: 'Our own fire surge plan', category: 'fire', severities: ['low', 'medium', 'high', 'critical'], tags: ['surge', 'escalation'] }),
    }, t.members.admin.token)).body.playbook;
    // Hide every global fire playbook for this org, so its own is the only candidate.
    for (const g of await sql`select id from public.playbooks where org_id is null and category = 'fire'`) {
      expect((await send({ action: 'hide', org_id: t.id, playbook_id: g.id }, t.members.admin.token)).status).toBe(200);
    }
    const cells = areaCells();
    await seedBurst(sql, t.id, gridDisk(cells[0]!, 1), 40, NOW, { tag: 'pb1' });
    expect((await scan(t.id)).status).toBe('succeeded');
    const first = await sql`select r.id, r.playbook_id, r.citations from public.recommendations r join public.alerts a on a.id = r.alert_id
                            where r.org_id = ${t.id} and a.state = 'firing'`;
    expect(first.length).toBeGreaterThanOrEqual(1);
    // createTenant gives the org one secret fire playbook of its own; no global one is left.
    expect(first.map((r) => r.playbook_id)).toContain(made.id);
    const globals = await sql`select count(*)::int as n from public.playbooks where org_id is null and id = any(${first.map((r) => r.playbook_id)}::uuid[])`;
    expect(globals[0]!.n).toBe(0);
    const ours = first.find((r) => r.playbook_id === made.id)!;
    expect(ours.citations[0]).toMatchObject({ playbook_id: made.id, title: 'Our own fire surge plan' });

    expect((await send({ action: 'retire', id: made.id }, t.members.admin.token)).status).toBe(200);
    // A new burst elsewhere, a new firing alert: no recommendation cites the retired playbook.
    clock = NOW + 2 * HOUR;
    await seedBurst(sql, t.id, gridDisk(cells[cells.length - 1]!, 1), 40, clock, { tag: 'pb2' });
    expect((await scan(t.id)).status).toBe('succeeded');
    const alerts = await sql`select id from public.alerts where org_id = ${t.id}`;
    expect(alerts.length).toBeGreaterThanOrEqual(2);
    const after = await sql`select id, playbook_id from public.recommendations where org_id = ${t.id} and id <> all(${first.map((r) => r.id)}::bigint[])`;
    expect(after.length).toBeGreaterThan(0);
    expect(after.map((r) => r.playbook_id)).not.toContain(made.id);
    // The old recommendation still reads (REST, as the org's viewer) with its citation and its retired playbook.
    const old = await t.members.viewer.client.from('recommendations').select('id, playbook_id, citations').eq('id', ours.id).single();
    expect(old.data).toMatchObject({ playbook_id: made.id, citations: [expect.objectContaining({ title: 'Our own fire surge plan' })] });
    const pb = await t.members.viewer.client.from('playbooks').select('id, status').eq('id', made.id).single();
    expect(pb.data).toEqual({ id: made.id, status: 'retired' });
  });
});
