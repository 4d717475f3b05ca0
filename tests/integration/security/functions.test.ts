/**
 * Security review, Functions (/functions/v1 through the gateway, supabase-js
 * `functions.invoke` as each role) and the database roles behind the platform: the
 * schedule's credential in the vault, pg_net/pg_cron, and supabase_auth_admin.
 * docs/security.md cites these tests by name.
 */
import { FunctionsHttpError, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { closeClients, stackInfo } from '../../support/hardening.ts';
import { anonClient, createTenant, serviceClient, type Tenant } from './support.ts';

const sql = adminSql(4);
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  a = await createTenant(sql, 'sec-fn-a', { active: true });
  b = await createTenant(sql, 'sec-fn-b', { active: true });
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

async function invoke(client: SupabaseClient, name: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const { data, error } = await client.functions.invoke(name, { body: body as Record<string, unknown> });
  if (!error) return { status: 200, body: data as Record<string, unknown> };
  if (error instanceof FunctionsHttpError) {
    const res = error.context as Response;
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  throw error;
}

const event = (id: string) => ({ source: 'sec-fn', external_id: id, category: 'fire', occurred_at: new Date(Date.now() - 60_000).toISOString(), lat: 40.75, lng: -73.99 });
const eventsOf = async (org: string): Promise<number> => {
  const [r] = await sql<{ n: number }[]>`select count(*)::int as n from public.events where org_id = ${org} and source = 'sec-fn'`;
  return r!.n;
};

describe('security: Functions', () => {
  it('ingest-events: service role for any org; operator and admin for their own org; viewer 403, other org 404, anon 401', async () => {
    const tag = Date.now();
    expect((await invoke(serviceClient(), 'ingest-events', { org_id: b.id, events: [event(`s-${tag}`)] })).status).toBe(200);
    for (const role of ['operator', 'admin'] as const) {
      expect((await invoke(a.members[role].client, 'ingest-events', { org_id: a.id, events: [event(`${role}-${tag}`)] })).status, role).toBe(200);
      const other = await invoke(a.members[role].client, 'ingest-events', { org_id: b.id, events: [event(`x-${role}-${tag}`)] });
      expect(other, role).toMatchObject({ status: 404, body: { error: { code: 'org_not_found' } } });
    }
    expect(await invoke(a.members.viewer.client, 'ingest-events', { org_id: a.id, events: [event(`v-${tag}`)] })).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await invoke(anonClient(), 'ingest-events', { org_id: a.id, events: [event(`anon-${tag}`)] })).toMatchObject({ status: 401, body: { error: { code: 'auth_required' } } });
    expect(await eventsOf(a.id)).toBe(2);
    expect(await eventsOf(b.id)).toBe(1);
  });

  it('hotspot-scan: service role and operators/admins of the org scan; viewer 403, other org 404, anon 401; only the service role records a cron scan', async () => {
    const runs = async (org: string) => sql<{ trigger: string }[]>`select trigger from public.scan_runs where org_id = ${org} and trigger <> 'cron' order by id`;
    const before = (await runs(a.id)).length;
    expect((await invoke(a.members.viewer.client, 'hotspot-scan', { org_id: a.id })).status).toBe(403);
    expect((await invoke(a.members.admin.client, 'hotspot-scan', { org_id: b.id })).status).toBe(404);
    expect((await invoke(anonClient(), 'hotspot-scan', { org_id: a.id })).status).toBe(401);
    expect((await runs(a.id)).length).toBe(before);
    // An operator claiming to be the schedule is recorded as an HTTP scan.
    const op = await invoke(a.members.operator.client, 'hotspot-scan', { org_id: a.id, trigger: 'cron' });
    expect(op.status, JSON.stringify(op.body)).toBe(200);
    expect(op.body.trigger).toBe('http');
    expect((await invoke(a.members.admin.client, 'hotspot-scan', { org_id: a.id })).status).toBe(200);
    const svc = await invoke(serviceClient(), 'hotspot-scan', { org_id: b.id, trigger: 'cron' });
    expect(svc.status).toBe(200);
    expect(svc.body.trigger).toBe('cron');
  });

  it('decisions: operators and admins of the org decide; viewer 403, other org 404, service role 403, anon 401; a second decision 409', async () => {
    const rec = b.recommendationId;
    expect((await invoke(b.members.viewer.client, 'decisions', { action: 'approve', recommendation_id: rec })).status).toBe(403);
    expect((await invoke(a.members.admin.client, 'decisions', { action: 'approve', recommendation_id: rec })).status).toBe(404);
    expect((await invoke(a.members.admin.client, 'decisions', { action: 'resolve', alert_id: b.alertId })).status).toBe(404);
    expect((await invoke(serviceClient(), 'decisions', { action: 'approve', recommendation_id: rec })).status).toBe(403);
    expect((await invoke(anonClient(), 'decisions', { action: 'approve', recommendation_id: rec })).status).toBe(401);
    const [untouched] = await sql<{ status: string }[]>`select status from public.recommendations where id = ${rec}`;
    expect(untouched!.status).toBe('pending');
    const ok = await invoke(b.members.operator.client, 'decisions', { action: 'reject', recommendation_id: rec, reason: 'security test' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const again = await invoke(b.members.admin.client, 'decisions', { action: 'approve', recommendation_id: rec });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    const [d] = await sql<{ actor: string; n: number }[]>`select max(actor::text) as actor, count(*)::int as n from public.decisions where recommendation_id = ${rec}`;
    expect(d).toMatchObject({ actor: b.members.operator.userId, n: 1 });
  });

  it('every function refuses an unsigned or forged token at the gateway (401) before any code runs', async () => {
    for (const name of ['ingest-events', 'hotspot-scan', 'decisions', 'members']) {
      const forged = `${a.members.admin.token.slice(0, -6)}AAAAAA`;
      const res = await fetch(`${stackInfo().apiUrl}/functions/v1/${name}`, {
        method: 'POST', headers: { authorization: `Bearer ${forged}`, 'content-type': 'application/json' }, body: '{}',
      });
      expect(res.status, name).toBe(401);
      expect(await res.json()).toEqual({ msg: 'Invalid JWT' });
    }
  });
});

describe('security: database roles behind the platform', () => {
  /** Run q as role inside a transaction that is always rolled back; the rows, or the error. */
  const as = async <T>(role: string, claims: Record<string, unknown>, q: string): Promise<T | Error> => {
    const rollback = new Error('rollback');
    let out: T | undefined;
    try {
      await sql.begin(async (tx) => {
        await tx`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${JSON.stringify({ ...claims, role })}, true)`;
        out = (await tx.unsafe(q)) as unknown as T;
        throw rollback;
      });
    } catch (e) {
      if (e !== rollback) return e as Error;
    }
    return out as T;
  };

  it('the scan schedule\'s credential (vault) and pg_cron are out of reach of anon and users; pg_net is granted as on Supabase but no API path runs SQL as them', async () => {
    const claims = { sub: a.members.admin.userId, org_roles: { [a.id]: 'admin' } };
    for (const role of ['anon', 'authenticated']) {
      for (const q of [
        "select decrypted_secret from vault.decrypted_secrets where name = 'hotspot_scan_key'",
        'select * from vault.secrets',
        "select cron.schedule('evil', '* * * * *', 'select 1')",
        'select * from cron.job',
        'select * from net._http_response',
      ]) {
        const r = await as(role, claims, q);
        expect(r, `${role}: ${q}`).toBeInstanceOf(Error);
        expect(String((r as Error).message), `${role}: ${q}`).toMatch(/permission denied/);
      }
    }
    const [job] = await sql<{ n: number }[]>`select count(*)::int as n from cron.job where jobname = 'evil'`;
    expect(job!.n).toBe(0);
    // Supabase grants execute on net.http_* to anon and authenticated (extensions.grant_pg_net_access); only the
    // exposed schemas are reachable over REST (see "only public and graphql_public are exposed") and no public
    // function wraps net.*, so this stays a database-level grant.
    const net = await as<Array<{ id: string }>>('authenticated', claims, "select net.http_post(url := 'http://127.0.0.1:9/', body := '{}'::jsonb) as id");
    expect(net).not.toBeInstanceOf(Error);
    const [wrappers] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('public', 'graphql_public') and (p.prosrc ilike '%net.http%' or p.prosrc ilike '%vault.%' or p.prosrc ilike '%cron.%')`;
    expect(wrappers!.n).toBe(0);
  });

  it('supabase_auth_admin (the access-token hook\'s role) reads memberships and nothing tenant-sensitive', async () => {
    const m = await as<Array<{ n: number }>>('supabase_auth_admin', {}, `select count(*)::int as n from public.memberships where org_id = '${a.id}'`);
    expect(m).not.toBeInstanceOf(Error);
    expect((m as Array<{ n: number }>)[0]!.n).toBe(3);
    for (const t of ['events', 'hotspots', 'alerts', 'recommendations', 'decisions', 'count_cube', 'scan_runs']) {
      const r = await as('supabase_auth_admin', {}, `select 1 from public.${t} limit 1`);
      expect(r, t).toBeInstanceOf(Error);
    }
  });
});
