/**
 * Security review, the immediate cut-off (docs/security.md "Removing a member"): every
 * table whose policies read the JWT's org_roles also carries the restrictive policy that
 * refuses a banned account's token, so a table added later without it fails here; and a
 * banned account's still-valid token reads none of them, as `authenticated` with its claims.
 * The end-to-end path (members function → REST and Realtime with supabase-js) is
 * functions/members › with the cut-off, the unexpired token reads nothing….
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { closeClients, sb, userJwt } from '../../support/hardening.ts';
import { insertStreamRows } from '../data-model/stream-rows.ts';
import { statusLog } from '../realtime/helpers.ts';

const sql = adminSql(2);
const CUT_OFF_POLICY = 'banned accounts reach nothing';
let org: TestOrg;

beforeAll(async () => {
  org = await createTestOrg(sql, 'sec-cut');
  await insertStreamRows(sql, org.id, 'sec-cut');
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

/** The app's tables with a policy that reads org_roles, and whether each has the cut-off policy. */
async function orgTables(): Promise<Array<{ tbl: string; cut_off: boolean }>> {
  return sql<Array<{ tbl: string; cut_off: boolean }>>`
    select format('%I.%I', p.schemaname, p.tablename) as tbl,
           bool_or(p.policyname = ${CUT_OFF_POLICY} and p.permissive = 'RESTRICTIVE' and p.cmd = 'ALL'
                   and p.roles = '{authenticated}' and p.qual like '%rls.token_account_active()%'
                   and p.with_check like '%rls.token_account_active()%') as cut_off
      from pg_policies p
     where p.schemaname in ('public', 'realtime') -- the app's; other tests' scratch tables live elsewhere (rt_test)
       and exists (select 1 from pg_policies q where q.schemaname = p.schemaname and q.tablename = p.tablename
                     and (q.qual like '%org_roles%' or q.with_check like '%org_roles%'))
     group by 1 order by 1`;
}

/** Rows of `tbl` the viewer's claims read, as `authenticated`. */
async function visible(tbl: string, claims: Record<string, unknown>): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    await tx.unsafe('set local role authenticated');
    const [r] = await tx.unsafe<Array<{ n: number }>>(`select count(*)::int as n from ${tbl}`);
    return r!.n;
  });
}

describe('the immediate cut-off covers every org table', () => {
  it('every table whose policies read org_roles has the restrictive cut-off policy', async () => {
    const tables = await orgTables();
    expect(tables.map((t) => t.tbl)).toEqual(expect.arrayContaining(['public.alerts', 'public.hotspots', 'public.memberships', 'realtime.messages']));
    expect(tables.filter((t) => !t.cut_off).map((t) => t.tbl)).toEqual([]);
  });

  it('a banned account\'s token reads no row of them; lifting the ban restores its reads', async () => {
    const tables = (await orgTables()).map((t) => t.tbl).filter((t) => t.startsWith('public.'));
    const readable = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await visible(t, org.viewerClaims)] as const)));
    const before = await readable();
    expect(before['public.hotspots']).toBe(1);
    expect(before['public.alerts']).toBe(1);
    expect(before['public.memberships']).toBe(2);
    await sql`update auth.users set banned_until = now() + interval '1 hour' where id = ${org.viewer.id}`;
    expect(Object.values(await readable()).every((n) => n === 0)).toBe(true);
    // A ban that has run out lets the token read again (Auth's own banned_until semantics).
    await sql`update auth.users set banned_until = now() - interval '1 second' where id = ${org.viewer.id}`;
    expect(await readable()).toEqual(before);
  });

  it('a banned account\'s token cannot join its org\'s private stream topic; unbanned, the same token can', async () => {
    const user = await createTestOrg(sql, 'sec-cut-rt');
    const token = userJwt(user.viewer.id, { [user.id]: 'viewer' });
    const join = async (label: string) => {
      const log = statusLog(sb(token).channel(`org:${user.id}:hotspots`, { config: { private: true } }));
      await log.wait(label === 'ok' ? 'SUBSCRIBED' : 'CHANNEL_ERROR', 30_000);
      return log.statuses;
    };
    await sql`update auth.users set banned_until = now() + interval '1 hour' where id = ${user.viewer.id}`;
    const refused = await join('refused');
    expect(refused.find((x) => x.status === 'CHANNEL_ERROR')?.err).toMatch(/Unauthorized/);
    expect(refused.some((x) => x.status === 'SUBSCRIBED')).toBe(false);
    await sql`update auth.users set banned_until = null where id = ${user.viewer.id}`;
    expect((await join('ok')).some((x) => x.status === 'SUBSCRIBED')).toBe(true);
  });
});
