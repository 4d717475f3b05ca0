/**
 * Gates — restrictive policies that read no column of the row, such as Hotwatch's
 * cut-off `(select rls.token_account_active())` — are the one part of Postgres Changes
 * RLS that a row cannot decide. The server keeps a gate's value between batches only when
 * everything the evaluation read announces its changes in the WAL (auth.users does:
 * realtime_embedded_gate_deps, bootstrap.sql) and drops it when such a change is decoded
 * (authorizer.ts). So a ban committed right after a delivered change applies from the next
 * committed change, however recently the gate was asked; and a gate reading a table of
 * the user's own, which announces nothing, is asked again for every batch.
 * Both cases below deliver a change, then change what the gate reads and commit two more
 * changes within a few milliseconds, far inside the values' 1 s lifetime.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { userJwt } from '../../support/hardening.ts';
import { as, closeClients, collector, rtClient, SCRATCH_SCHEMA, scratchTable, sleep, subscribed, type Change } from './helpers.ts';

const info = inject('stack');
const sql = adminSql();
let org: TestOrg;

beforeAll(async () => {
  org = await createTestOrg(sql, 'rt-gate');
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

/** A table in the publication, readable by every authenticated token, behind `gate`. */
async function gatedTable(prefix: string, gate: string): Promise<string> {
  const name = await scratchTable(sql, prefix, 'id bigint primary key', { rls: true });
  const q = `${SCRATCH_SCHEMA}.${name}`;
  await sql.unsafe(`create policy readable on ${q} for select to authenticated using (true)`);
  await sql.unsafe(`create policy gate on ${q} as restrictive for select to authenticated using (${gate})`);
  return q;
}

/** A member's and the service role's channels on the table: the ids each receives. */
async function watch(q: string, token: string): Promise<{ member: ReturnType<typeof collector<Change>>; service: ReturnType<typeof collector<Change>> }> {
  const [schema, table] = q.split('.') as [string, string];
  const member = collector<Change>();
  const service = collector<Change>();
  await subscribed(rtClient(info.apiUrl, info.anonKey, { token }).channel(`gate-m-${table}`)
    .on('postgres_changes', { event: 'INSERT', schema, table }, as(member.push)));
  await subscribed(rtClient(info.apiUrl, info.serviceRoleKey).channel(`gate-s-${table}`)
    .on('postgres_changes', { event: 'INSERT', schema, table }, as(service.push)));
  return { member, service };
}

const ids = (c: { items: Change[] }): number[] => c.items.map((x) => Number(x.new.id)).sort((a, b) => a - b);

describe('gate values kept between batches', () => {
  it('the cut-off: a ban committed right after a delivered change withholds the next change; lifting it restores delivery', async () => {
    const q = await gatedTable('cutoff', '(select rls.token_account_active())');
    const { member, service } = await watch(q, userJwt(org.viewer.id, { [org.id]: 'viewer' }));
    await sql.unsafe(`insert into ${q} values (1)`);
    await member.wait(1);
    await sql`update auth.users set banned_until = now() + interval '1 hour' where id = ${org.viewer.id}`;
    await sql.unsafe(`insert into ${q} values (2)`);
    await sql.unsafe(`insert into ${q} values (3)`);
    await service.wait(3);
    await sleep(300);
    expect(ids(member)).toEqual([1]);

    await sql`update auth.users set banned_until = null where id = ${org.viewer.id}`;
    await sql.unsafe(`insert into ${q} values (4)`);
    await service.wait(4);
    await member.wait(2);
    expect(ids(member)).toEqual([1, 4]);
  });

  it('a gate reading a table of one\'s own (no WAL announcement) is asked again for every batch', async () => {
    const sw = `${SCRATCH_SCHEMA}.gate_switch_${Date.now()}`;
    await sql.unsafe(`create table ${sw} (open boolean not null)`);
    await sql.unsafe(`insert into ${sw} values (true)`);
    await sql.unsafe(`grant select on ${sw} to authenticated`);
    // The cut-off's shape: a function the policy calls, reading a table.
    await sql.unsafe(`create function ${sw}_open() returns boolean language sql stable as $$ select bool_and(open) from ${sw} $$`);
    const q = await gatedTable('switched', `(select ${sw}_open())`);
    const { member, service } = await watch(q, userJwt(org.operator.id, { [org.id]: 'operator' }));
    await sql.unsafe(`insert into ${q} values (1)`);
    await member.wait(1);
    await sql.unsafe(`update ${sw} set open = false`);
    await sql.unsafe(`insert into ${q} values (2)`);
    await sql.unsafe(`insert into ${q} values (3)`);
    await service.wait(3);
    await sleep(300);
    expect(ids(member)).toEqual([1]);
    await sql.unsafe(`drop table ${sw} cascade`);
    await sql.unsafe(`drop function ${sw}_open() cascade`);
  });
});
