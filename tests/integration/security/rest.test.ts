/**
 * Security review, REST (/rest/v1 through the gateway, supabase-js as each role):
 * what anon, org A's viewer/operator/admin and the service role can read and write in
 * every table and rpc, and what none of them can reach. docs/security.md cites these
 * tests by name.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { closeClients, sb, stackInfo } from '../../support/hardening.ts';
import { anonClient, createTenant, MEMBER_ROLES, serviceClient, signIn, type Tenant } from './support.ts';

const info = stackInfo();
const sql = adminSql(4);
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  a = await createTenant(sql, 'sec-rest-a');
  b = await createTenant(sql, 'sec-rest-b');
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

const TENANT_TABLES = ['events', 'count_cube', 'hotspots', 'alerts', 'alert_events', 'recommendations', 'decisions', 'scan_runs', 'memberships', 'org_settings'] as const;
const orgCol = (t: string): string => (t === 'orgs' ? 'id' : 'org_id');

async function orgsSeen(client: SupabaseClient, table: string, ids: string[]): Promise<string[]> {
  const { data, error } = await client.from(table).select(orgCol(table)).in(orgCol(table), ids);
  expect(error, `${table}: ${error?.message}`).toBeNull();
  return [...new Set((data as unknown as Array<Record<string, string>>).map((r) => r[orgCol(table)]!))].sort();
}

describe('security: REST reads', () => {
  it('anon reads no tenant row and no playbook', async () => {
    const anon = anonClient();
    for (const t of [...TENANT_TABLES, 'orgs', 'playbooks']) expect(await orgsSeen(anon, t, [a.id, b.id]), t).toEqual([]);
  });

  it('every member of org A reads exactly org A\'s rows in every tenant table, never org B\'s', async () => {
    for (const role of MEMBER_ROLES) {
      const c = a.members[role].client;
      for (const t of [...TENANT_TABLES, 'orgs']) expect(await orgsSeen(c, t, [a.id, b.id]), `${role} ${t}`).toEqual([a.id]);
      const { data } = await c.from('playbooks').select('org_id').or(`org_id.is.null,org_id.eq.${a.id},org_id.eq.${b.id}`);
      const orgs = new Set((data ?? []).map((r) => r.org_id));
      expect(orgs.has(a.id) && orgs.has(null) && !orgs.has(b.id), `${role} playbooks`).toBe(true);
    }
  });

  it('a filter naming org B, an or= tree or a count never reveals org B to a member of A', async () => {
    const c = a.members.admin.client;
    const byId = await c.from('hotspots').select('*').eq('id', b.hotspotId);
    expect(byId.data).toEqual([]);
    const tree = await c.from('alerts').select('title').or(`org_id.eq.${b.id},id.eq.${b.alertId},title.eq.${b.secret}`);
    expect(tree.data).toEqual([]);
    const counted = await c.from('events').select('*', { count: 'exact', head: true }).eq('org_id', b.id);
    expect(counted.count).toBe(0);
  });

  it('the service role reads every org', async () => {
    const s = serviceClient();
    for (const t of [...TENANT_TABLES, 'orgs']) expect(await orgsSeen(s, t, [a.id, b.id]), t).toEqual([a.id, b.id].sort());
  });

  it('stream_resume pages only the caller\'s rows; anon gets none', async () => {
    for (const stream of ['hotspots', 'alerts', 'recommendations']) {
      const mine = await a.members.viewer.client.rpc('stream_resume', { p_stream: stream, p_cursor: null, p_after_id: 0, p_limit: 1000 });
      const rows = (mine.data as { rows: Array<{ org_id: string }> }).rows;
      expect(rows.length, stream).toBeGreaterThan(0);
      expect(rows.every((r) => r.org_id === a.id), stream).toBe(true);
      const anon = await anonClient().rpc('stream_resume', { p_stream: stream, p_cursor: null, p_after_id: 0, p_limit: 1000 });
      expect((anon.data as { rows: unknown[] }).rows).toEqual([]);
    }
  });

  it('match_playbooks never returns another org\'s private playbook, even when asked for that org', async () => {
    const r = await a.members.operator.client.rpc('match_playbooks', { p_query: b.secret, p_category: 'fire', p_org_id: b.id, p_limit: 50 });
    expect(r.error).toBeNull();
    expect((r.data as Array<{ playbook_id: string }>).map((x) => x.playbook_id)).not.toContain(b.playbookId);
    const own = await b.members.viewer.client.rpc('match_playbooks', { p_query: b.secret, p_category: 'fire', p_org_id: b.id, p_limit: 50 });
    expect((own.data as Array<{ playbook_id: string }>).map((x) => x.playbook_id)).toContain(b.playbookId);
  });

  it('only public and graphql_public are exposed: auth, vault, cron, net, realtime, extensions answer 406 for every key', async () => {
    for (const key of [info.anonKey, info.serviceRoleKey, a.members.admin.token]) {
      for (const schema of ['auth', 'vault', 'cron', 'net', 'realtime', 'extensions', 'supabase_migrations', 'pg_catalog']) {
        const res = await fetch(`${info.apiUrl}/rest/v1/users?select=*`, { headers: { apikey: info.anonKey, authorization: `Bearer ${key}`, 'accept-profile': schema } });
        expect(res.status, `${schema}: ${await res.text()}`).toBe(406);
      }
    }
  });

  it('the access-token hook is not callable by anon or users over rpc', async () => {
    const ev = { user_id: a.members.viewer.userId, claims: {} };
    const anon = await anonClient().rpc('custom_access_token_hook', { event: ev });
    expect(anon.error?.code).toBe('42501');
    const user = await a.members.admin.client.rpc('custom_access_token_hook', { event: ev });
    expect(user.error?.code).toBe('42501');
  });
});

describe('security: REST writes', () => {
  it('operators and admins insert events for their own org only; viewers and anon cannot', async () => {
    const ev = (org: string, id: string) => ({
      org_id: org, source: 'sec', external_id: id, category: 'fire', occurred_at: new Date(Date.now() - 60_000).toISOString(),
      lat: 40.75, lng: -73.99, h3_cell: '892a100d2c3ffff',
    });
    for (const role of ['operator', 'admin'] as const) {
      const own = await a.members[role].client.from('events').insert(ev(a.id, `own-${role}-${Date.now()}`));
      expect(own.error, role).toBeNull();
      const other = await a.members[role].client.from('events').insert(ev(b.id, `other-${role}-${Date.now()}`));
      expect(other.error?.code, role).toBe('42501');
    }
    expect((await a.members.viewer.client.from('events').insert(ev(a.id, `v-${Date.now()}`))).error?.code).toBe('42501');
    expect((await anonClient().from('events').insert(ev(a.id, `anon-${Date.now()}`))).error?.code).toBe('42501');
    const [n] = await sql<{ n: number }[]>`select count(*)::int as n from public.events where org_id = ${b.id} and source = 'sec'`;
    expect(n!.n).toBe(0);
  });

  it('accepted events are immutable for members (no update, no delete: erasure goes through events-admin)', async () => {
    for (const role of MEMBER_ROLES) {
      const up = await a.members[role].client.from('events').update({ lat: 0 }).eq('org_id', a.id).select();
      expect(up.error?.code, role).toBe('42501');
      const del = await a.members[role].client.from('events').delete().eq('org_id', a.id).select();
      expect(del.error?.code, role).toBe('42501');
    }
  });

  it('no member writes streams, the cube, scan runs, decisions, playbooks, orgs or memberships directly', async () => {
    for (const role of MEMBER_ROLES) {
      const c = a.members[role].client;
      expect((await c.from('alerts').update({ state: 'resolved' }).eq('id', a.alertId)).error?.code, role).toBe('42501');
      expect((await c.from('recommendations').update({ status: 'approved' }).eq('id', a.recommendationId)).error?.code, role).toBe('42501');
      expect((await c.from('hotspots').insert({ org_id: a.id })).error?.code, role).toBe('42501');
      expect((await c.from('count_cube').insert({ org_id: a.id, category: 'fire', cell: 'x', bucket: new Date().toISOString(), n: 99, weight_sum: 1 })).error?.code, role).toBe('42501');
      expect((await c.from('scan_runs').insert({ org_id: a.id, trigger: 'http' })).error?.code, role).toBe('42501');
      expect((await c.from('decisions').insert({ org_id: a.id, alert_id: a.alertId, action: 'resolve', from_status: 'x', to_status: 'y' })).error?.code, role).toBe('42501');
      expect((await c.from('playbooks').insert({ org_id: a.id, slug: `p-${role}`, title: 't', category: 'fire', body: 'b' })).error?.code, role).toBe('42501');
      // Privilege escalation: an admin of A cannot make themself a member of B, or promote anyone.
      expect((await c.from('memberships').insert({ org_id: b.id, user_id: a.members[role].userId, role: 'admin' })).error?.code, role).toBe('42501');
      expect((await c.from('memberships').insert({ org_id: a.id, user_id: a.members.viewer.userId, role: 'admin' })).error?.code, role).toBe('42501');
      const promote = await c.from('memberships').update({ role: 'admin' }).eq('user_id', a.members.viewer.userId).select();
      expect(promote.data ?? [], role).toEqual([]);
      expect((await c.from('orgs').insert({ slug: `evil-${role}-${Date.now()}`, name: 'x' })).error?.code, role).toBe('42501');
      const rename = await c.from('orgs').update({ name: 'renamed' }).eq('id', a.id).select();
      expect(rename.data ?? [], role).toEqual([]);
    }
    const [m] = await sql<{ roles: string }[]>`select string_agg(role::text, ',' order by role) as roles from public.memberships where org_id = ${a.id}`;
    expect(m!.roles).toBe('viewer,operator,admin');
    const [o] = await sql<{ name: string }[]>`select name from public.orgs where id = ${a.id}`;
    expect(o!.name).not.toBe('renamed');
  });

  // The service role is the platform's trusted back end (the functions, the schedule): it bypasses RLS.
  // What it can still NOT do is listed in the no-delete fuzz file; this pins what it can — and that
  // deleting events is not among it: retention and erasure are their own paths
  // (tests/integration/functions/events-admin.test.ts), so "cube = recount" cannot be broken here.
  it('the service role can insert events for any org but not delete them; the cube stays consistent', async () => {
    const s = serviceClient();
    const id = `svc-${Date.now()}`;
    const ins = await s.from('events').insert({ org_id: b.id, source: 'svc', external_id: id, category: 'fire', occurred_at: new Date().toISOString(), lat: 1, lng: 1, h3_cell: '89754e64993ffff' });
    expect(ins.error).toBeNull();
    const del = await s.from('events').delete().eq('org_id', b.id).eq('external_id', id).select('id');
    expect(del.error?.code).toBe('42501');
    const [e] = await sql<{ n: number }[]>`select count(*)::int as n from public.events where org_id = ${b.id} and external_id = ${id}`;
    expect(e!.n).toBe(1);
    const [c] = await sql<{ bad: number }[]>`
      select count(*)::int as bad from public.count_cube c
       where c.org_id = ${b.id} and c.n <> (select count(*) from public.events e where e.org_id = c.org_id and e.category = c.category
              and public.h3_cell_to_parent(e.h3_cell, 8) = c.cell and date_bin('1 hour', e.occurred_at, timestamptz '2000-01-01') = c.bucket)`;
    expect(c!.bad).toBe(0);
  });

  // Guard (found here, fixed in 6a4ead4): only anon and authenticated used to lose INSERT/UPDATE/DELETE on the
  // cube, so a service-role REST call could change n and the cube no longer equalled a recount.
  it('not even the service role writes the count cube directly (cube = recount must hold)', async () => {
    const s = serviceClient();
    const up = await s.from('count_cube').update({ n: 1_000_000 }).eq('org_id', b.id).select('n');
    const [c] = await sql<{ n: number }[]>`select coalesce(sum(n), 0)::int as n from public.count_cube where org_id = ${b.id}`;
    if (c!.n >= 1_000_000) await sql`update public.count_cube set n = 1 where org_id = ${b.id}`; // restore for the other tests
    expect(up.error?.code).toBe('42501');
  });

  it('tenancy comes from the token: a removed member keeps access until the token is refreshed (≤ jwt_expiry), then loses it', async () => {
    const org = await createTenant(sql, 'sec-rest-revoke');
    const viewer = org.members.viewer;
    await sql`delete from public.memberships where org_id = ${org.id} and user_id = ${viewer.userId}`;
    const stale = await viewer.client.from('hotspots').select('dedup_key');
    expect(stale.data).toEqual([{ dedup_key: org.secret }]);
    const { data, error } = await viewer.client.auth.refreshSession();
    expect(error).toBeNull();
    expect(data.session?.access_token).toBeDefined();
    const fresh = await viewer.client.from('hotspots').select('dedup_key');
    expect(fresh.data).toEqual([]);
    // …and a fresh sign-in of the removed user gets no org at all.
    const again = await signIn(viewer.email);
    expect((await again.client.from('orgs').select('id')).data).toEqual([]);
  });

  it('a user token signed with the project secret is all the API checks: tenancy cannot be widened without it', async () => {
    // The token a member holds names only their orgs; editing org_roles breaks the signature.
    const [h, p, s] = a.members.viewer.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    claims.org_roles = { ...(claims.org_roles as object), [b.id]: 'admin' };
    const edited = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    const res = await sb(edited).from('hotspots').select('org_id');
    expect(res.status).toBe(401);
  });
});
