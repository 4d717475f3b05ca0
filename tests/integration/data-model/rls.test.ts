import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql, asRole } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { insertStreamRows } from './stream-rows.ts';

const sql = adminSql();
let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  a = await createTestOrg(sql, 'rls-a');
  b = await createTestOrg(sql, 'rls-b');
  await insertStreamRows(sql, a.id);
  await insertStreamRows(sql, b.id);
});
afterAll(() => sql.end());

const TENANT_TABLES = ['orgs', 'memberships', 'events', 'count_cube', 'hotspots', 'alerts', 'recommendations', 'scan_runs', 'decisions', 'audit_log', 'org_settings', 'org_area_cells', 'alert_events'] as const;
const orgColumn = (t: string): string => (t === 'orgs' ? 'id' : 'org_id');

describe('row level security', () => {
  it('anon reads nothing from any tenant table', async () => {
    for (const t of TENANT_TABLES) {
      const rows = await asRole(sql, 'anon', {}, (tx) => tx.unsafe(`select 1 from public.${t}`));
      expect(rows.length, t).toBe(0);
    }
  });

  it('a member of org A never reads org B rows, and reads its own', async () => {
    for (const t of TENANT_TABLES) {
      const col = orgColumn(t);
      const rows = await asRole(sql, 'authenticated', a.viewerClaims,
        (tx) => tx.unsafe(`select ${col}::text as org from public.${t} where ${col} in ($1, $2)`, [a.id, b.id]));
      expect(rows.every((r) => r.org === a.id), t).toBe(true);
      if (!['count_cube', 'events', 'decisions', 'scan_runs', 'audit_log', 'org_area_cells'].includes(t)) expect(rows.length, t).toBeGreaterThan(0);
    }
  });

  it('the service role reads every org', async () => {
    const rows = await asRole(sql, 'service_role', {},
      (tx) => tx`select distinct org_id::text as org from public.hotspots where org_id in (${a.id}, ${b.id})`);
    expect(rows.map((r) => r.org).sort()).toEqual([a.id, b.id].sort());
  });

  it('authenticated users cannot write stream rows directly', async () => {
    await expect(asRole(sql, 'authenticated', a.operatorClaims,
      (tx) => tx`update public.alerts set state = 'resolved' where org_id = ${a.id}`)).rejects.toThrow(/permission denied/);
  });

  it('no role — not even the owner — deletes or truncates a stream row', async () => {
    for (const t of ['hotspots', 'alerts', 'recommendations']) {
      for (const role of ['anon', 'authenticated', 'service_role'] as const) {
        await expect(asRole(sql, role, a.operatorClaims, (tx) => tx.unsafe(`delete from public.${t}`)), `${role} delete ${t}`)
          .rejects.toThrow(/permission denied/);
        await expect(asRole(sql, role, a.operatorClaims, (tx) => tx.unsafe(`truncate public.${t} cascade`)), `${role} truncate ${t}`)
          .rejects.toThrow(/permission denied/);
      }
      await expect(sql.begin((tx) => tx.unsafe(`delete from public.${t} where org_id = $1`, [a.id])), `owner delete ${t}`)
        .rejects.toThrow(/never deleted/);
      await expect(sql.begin((tx) => tx.unsafe(`truncate public.${t} cascade`)), `owner truncate ${t}`)
        .rejects.toThrow(/never deleted/);
    }
    const [count] = await sql<{ n: number }[]>`select count(*)::int as n from public.hotspots where org_id = ${a.id}`;
    expect(count?.n).toBeGreaterThan(0);
  });

  it('the decisions audit is append-only', async () => {
    const [rec] = await sql<{ id: string }[]>`select id from public.recommendations where org_id = ${a.id} limit 1`;
    const [d] = await sql<{ id: string }[]>`insert into public.decisions (org_id, recommendation_id, action, from_status, to_status)
      values (${a.id}, ${rec!.id}, 'approve', 'pending', 'approved') returning id`;
    await expect(sql`update public.decisions set reason = 'x' where id = ${d!.id}`).rejects.toThrow(/never deleted/);
    await expect(sql`delete from public.decisions where id = ${d!.id}`).rejects.toThrow(/never deleted/);
  });

  it('the alert lifecycle is written by the alerts trigger only and is append-only', async () => {
    const [e] = await sql<{ id: string; alert_id: string }[]>`select id, alert_id from public.alert_events where org_id = ${a.id} limit 1`;
    expect(e).toBeDefined();
    for (const role of ['authenticated', 'service_role'] as const) {
      await expect(asRole(sql, role, a.operatorClaims, (tx) => tx`insert into public.alert_events (org_id, alert_id, event, state, severity)
        values (${a.id}, ${e!.alert_id}, 'resolved', 'resolved', 'low')`), role).rejects.toThrow(/permission denied/);
    }
    await expect(sql`update public.alert_events set actor = null where id = ${e!.id}`).rejects.toThrow(/never deleted/);
    await expect(sql`delete from public.alert_events where id = ${e!.id}`).rejects.toThrow(/never deleted/);
  });

  it('the access token hook puts org roles into the claims and is not callable by users', async () => {
    const [hooked] = await sql<{ out: { claims: { org_roles: Record<string, string>; sub: string } } }[]>`
      select public.custom_access_token_hook(${sql.json({ user_id: a.operator.id, claims: { sub: a.operator.id, role: 'authenticated' } })}) as out`;
    expect(hooked?.out.claims.org_roles).toEqual({ [a.id]: 'operator' });
    expect(hooked?.out.claims.sub).toBe(a.operator.id);
    await expect(asRole(sql, 'authenticated', a.operatorClaims,
      (tx) => tx`select public.custom_access_token_hook('{}'::jsonb)`)).rejects.toThrow(/permission denied/);
    const viaAdmin = await sql.begin(async (tx) => {
      await tx`set local role supabase_auth_admin`;
      return tx<{ out: { claims: { org_roles: Record<string, string> } } }[]>`
        select public.custom_access_token_hook(${tx.json({ user_id: a.viewer.id, claims: {} })}) as out`;
    });
    expect(viaAdmin[0]!.out.claims.org_roles).toEqual({ [a.id]: 'viewer' });
  });
});

describe('stream row identity', () => {
  it('org_id and category never change, even for the owner', async () => {
    const chain = await insertStreamRows(sql, a.id, 'immutable');
    await expect(sql`update public.hotspots set org_id = ${b.id} where id = ${chain.hotspotId}`).rejects.toThrow(/never change org_id or category/);
    await expect(sql`update public.alerts set category = 'flood' where id = ${chain.alertId}`).rejects.toThrow(/never change org_id or category/);
    await expect(sql`update public.recommendations set org_id = ${b.id} where id = ${chain.recommendationId}`).rejects.toThrow(/never change org_id or category/);
    const [row] = await sql<{ version: number }[]>`update public.alerts set state = 'firing' where id = ${chain.alertId} returning version`;
    expect(row?.version).toBe(2);
  });
});
