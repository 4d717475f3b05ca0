/**
 * realtime.embedded_policy_verdicts decides RLS from a row's values without reading the
 * table (for pure policies; authorizer.ts). Its answer must be PostgreSQL's own: for
 * every role and claim set, the rows it calls visible are exactly the rows a SELECT
 * as that role returns — over permissive and restrictive policies, policies for PUBLIC,
 * for a role, for a role granted to a role, the owner (bypass) and FORCE ROW LEVEL SECURITY.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { SCRATCH_SCHEMA, scratchTable } from './helpers.ts';

const sql = adminSql();
const suffix = randomUUID().slice(0, 8);
const ops = `rt_ops_${suffix}`;
const auditor = `rt_auditor_${suffix}`;
const owner = `rt_owner_${suffix}`;
const orgs = [randomUUID(), randomUUID(), randomUUID()];
const subs = [randomUUID(), randomUUID()];
let table: string;

type Row = { id: number; org_id: string | null; owner: string | null; status: string | null };
const rows: Row[] = [];

beforeAll(async () => {
  table = await scratchTable(sql, 'verdicts', 'id bigint primary key, org_id uuid, owner uuid, status text', { rls: true });
  const t = `${SCRATCH_SCHEMA}.${table}`;
  for (const r of [ops, auditor, owner]) await sql.unsafe(`create role ${r} nologin`);
  await sql.unsafe(`grant ${ops} to ${auditor}`);
  for (const r of [auditor, owner]) await sql.unsafe(`grant usage on schema ${SCRATCH_SCHEMA} to ${r}`);
  await sql.unsafe(`grant select on ${t} to ${auditor}`);
  await sql.unsafe(`grant usage on schema auth to ${auditor}, ${owner}`);
  await sql.unsafe(`alter table ${t} owner to ${owner}`);
  await sql.unsafe(`create policy members on ${t} for select to authenticated using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text)`);
  await sql.unsafe(`create policy own on ${t} for select to authenticated using (owner = auth.uid())`);
  await sql.unsafe(`create policy shown on ${t} as restrictive for select to authenticated using (coalesce(status, '') <> 'hidden')`);
  await sql.unsafe(`create policy everyone on ${t} for select using (status = 'public')`);
  await sql.unsafe(`create policy audit on ${t} for all to ${ops} using (status in ('flagged', 'hidden') or org_id = '${orgs[2]}')`);
  let id = 0;
  for (const org of [...orgs, null]) for (const who of [...subs, null]) for (const status of ['public', 'hidden', 'flagged', null]) {
    rows.push({ id: ++id, org_id: org, owner: who, status });
  }
  await sql.unsafe(`insert into ${t} (id, org_id, owner, status) select * from jsonb_to_recordset($1::text::jsonb) as x(id bigint, org_id uuid, owner uuid, status text)`, [JSON.stringify(rows)]);
});

afterAll(async () => {
  await sql.unsafe(`drop table if exists ${SCRATCH_SCHEMA}.${table}`);
  for (const r of [auditor, ops, owner]) {
    await sql.unsafe(`drop owned by ${r}`).catch(() => {});
    await sql.unsafe(`drop role if exists ${r}`).catch(() => {});
  }
  await sql.end();
});

const groups: Array<{ role: string; claims: Record<string, unknown> }> = [
  { role: 'anon', claims: { role: 'anon' } },
  { role: 'authenticated', claims: { role: 'authenticated', sub: subs[0], org_roles: { [orgs[0]!]: 'viewer' } } },
  { role: 'authenticated', claims: { role: 'authenticated', sub: subs[1], org_roles: { [orgs[0]!]: 'viewer', [orgs[1]!]: 'operator' } } },
  { role: 'authenticated', claims: { role: 'authenticated', sub: randomUUID(), org_roles: {} } },
  { role: 'authenticated', claims: { role: 'authenticated' } },
];

/** The ids a SELECT as this role and these claims returns: PostgreSQL's RLS. */
async function selectAs(role: string, claims: Record<string, unknown>): Promise<number[]> {
  let ids: number[] = [];
  await sql.begin(async (tx) => {
    await tx`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                    set_config('request.jwt.claim.sub', ${typeof claims.sub === 'string' ? claims.sub : ''}, true)`;
    ids = (await tx.unsafe<Array<{ id: string }>>(`select id from ${SCRATCH_SCHEMA}.${table} order by id`)).map((r) => Number(r.id));
    await tx`reset role`;
  });
  return ids;
}

/** The ids the verdict function calls visible, from the rows' values alone. */
async function verdictsFor(list: typeof groups): Promise<{ visible: number[][]; failed: number[] }> {
  const tuples = rows.map((r) => [r.org_id, r.owner, r.status]);
  const out = await sql<Array<{ group_no: number; tuple_no: number }>>`
    select group_no, tuple_no from realtime.embedded_policy_verdicts(${`${SCRATCH_SCHEMA}.${table}`}::regclass, ${['org_id', 'owner', 'status']}::text[],
      ${JSON.stringify(tuples)}::text::jsonb, ${JSON.stringify(list.map((g) => ({ role: g.role, claims: JSON.stringify(g.claims) })))}::text::jsonb)`;
  const visible = list.map((_, g) => out.filter((r) => r.group_no === g && r.tuple_no > 0).map((r) => rows[r.tuple_no - 1]!.id).sort((a, b) => a - b));
  return { visible, failed: out.filter((r) => r.tuple_no < 0).map((r) => r.group_no) };
}

describe('RLS verdicts from values (pure policies)', () => {
  it('match a SELECT as each role and claim set, policy by policy', async () => {
    const list = [...groups, { role: auditor, claims: { role: auditor } }];
    const { visible, failed } = await verdictsFor(list);
    expect(failed).toEqual([]);
    for (const [g, { role, claims }] of list.entries()) {
      expect(visible[g], `${role} ${JSON.stringify(claims)}`).toEqual(await selectAs(role, claims));
    }
    // Not vacuous: the claim sets see different, non-empty subsets, and nobody sees everything
    // (anon and the two members of no org both see only the public rows).
    expect(new Set(visible.map((v) => v.join(','))).size).toBe(list.length - 2);
    expect(visible.every((v) => v.length > 0 && v.length < rows.length)).toBe(true);
  });

  it('the owner bypasses RLS unless it is forced', async () => {
    const g = [{ role: owner, claims: { role: owner } }];
    expect((await verdictsFor(g)).visible[0]).toEqual(rows.map((r) => r.id));
    expect(await selectAs(owner, { role: owner })).toEqual(rows.map((r) => r.id));
    await sql.unsafe(`alter table ${SCRATCH_SCHEMA}.${table} force row level security`);
    try {
      const forced = (await verdictsFor(g)).visible[0]!;
      expect(forced).toEqual(await selectAs(owner, { role: owner }));
      expect(forced.length).toBe(rows.filter((r) => r.status === 'public').length);
    } finally {
      await sql.unsafe(`alter table ${SCRATCH_SCHEMA}.${table} no force row level security`);
    }
  });

  it('a BYPASSRLS role bypasses without owning the table (the service role, as on Supabase)', async () => {
    const bypass = `rt_bypass_${suffix}`;
    await sql.unsafe(`create role ${bypass} nologin bypassrls`);
    try {
      await sql.unsafe(`grant usage on schema ${SCRATCH_SCHEMA} to ${bypass}; grant select on ${SCRATCH_SCHEMA}.${table} to ${bypass}`);
      for (const role of [bypass, 'service_role']) {
        const g = [{ role, claims: { role } }];
        expect((await verdictsFor(g)).visible[0], role).toEqual(rows.map((r) => r.id));
        expect(await selectAs(role, { role }), role).toEqual(rows.map((r) => r.id));
      }
      // Not vacuous: the same role without the attribute is bound by the policies (none for it: no rows).
      await sql.unsafe(`alter role ${bypass} nobypassrls`);
      expect((await verdictsFor([{ role: bypass, claims: { role: bypass } }])).visible[0]).toEqual(rows.filter((r) => r.status === 'public').map((r) => r.id));
      expect(await selectAs(bypass, { role: bypass })).toEqual(rows.filter((r) => r.status === 'public').map((r) => r.id));
    } finally {
      await sql.unsafe(`drop owned by ${bypass}`).catch(() => {});
      await sql.unsafe(`drop role if exists ${bypass}`);
    }
  });

  it('a policy that raises fails its group only', async () => {
    const t = `${SCRATCH_SCHEMA}.${table}`;
    await sql.unsafe(`create policy broken on ${t} for select to ${ops} using ((status::int) > 0)`);
    try {
      const { visible, failed } = await verdictsFor([groups[1]!, { role: auditor, claims: { role: auditor } }]);
      expect(failed).toEqual([1]);
      expect(visible[0]).toEqual(await selectAs('authenticated', groups[1]!.claims));
    } finally {
      await sql.unsafe(`drop policy broken on ${t}`);
    }
  });
});
