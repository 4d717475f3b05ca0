/**
 * Tests that restart things or change limits, on their own stack: a Realtime restart
 * and PostgreSQL restarts (clean and kill -9) mid-stream, the grouped RLS check's query
 * count, the named limits (joins/s, slow consumer, idle timeout) and the configurable
 * "Subscribed to PostgreSQL" delay. Limits are read live, so tests adjust
 * `service.limits` and put them back.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeService } from '../../../stack/src/realtime/service.ts';
import { startStack, type Stack } from '../../../stack/src/start.ts';
import { createTestOrg } from '../../support/fixtures.ts';
import { testLogFile } from '../../support/stack-log.ts';
import { freeStackPorts } from '../../support/ports.ts';
import {
  as, closeClients, collector, isEvent, memberClaims, mintToken, rawClient, rtClient, SCRATCH_SCHEMA, scratchTable, sleep,
  statusLog, subscribed, waitFor, type Change, type RawClient,
} from './helpers.ts';

let root: string;
let stack: Stack;
let rt: RealtimeService;
let table: string;
const raws: RawClient[] = [];
let startedAt = 0;

beforeAll(async () => {
  startedAt = Date.now();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-rt-'));
  await fs.chmod(root, 0o755);
  stack = await startStack({ dataDir: path.join(root, 'pg'), ...(await freeStackPorts()), fresh: true, quiet: true, logFile: testLogFile('rt-restarts'), realtime: { joinErrorBackoffMs: 0 } });
  rt = stack.services.get('realtime') as RealtimeService;
  table = await scratchTable(stack.sql, 'seq', 'id bigint primary key, n int not null, tag text');
}, 180_000);

afterAll(async () => {
  for (const r of raws) r.close();
  await closeClients();
  await stack?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

const insertN = async (from: number, to: number, tag: string): Promise<void> => {
  for (let n = from; n < to; n++) await stack.sql`insert into ${stack.sql(SCRATCH_SCHEMA)}.${stack.sql(table)} values (${n}, ${n}, ${tag})`;
};

/** A planned restart, or a kill -9 that the stack's supervisor recovers from by itself. */
async function restartPostgres(kill: boolean): Promise<void> {
  if (!kill) return stack.postgres.restart();
  await stack.postgres.child?.kill();
  await stack.postgres.running();
}

describe('restarts', () => {
  it('Realtime restart mid-stream: clients rejoin by themselves and later changes flow in order', async () => {
    const clients = (['2.0.0', '1.0.0'] as const).map((vsn) => {
      const got = collector<Change>();
      const ch = rtClient(stack.apiUrl, stack.config.keys.anonKey, { vsn }).channel(`restart-${vsn}`)
        .on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table, filter: 'tag=eq.restart' }, as(got.push));
      return { got, log: statusLog(ch) };
    });
    for (const c of clients) await c.log.wait('SUBSCRIBED');
    let writing = true;
    let next = 1000;
    const writer = (async () => { while (writing) { await insertN(next, next + 1, 'restart'); next++; await sleep(10); } })();
    await sleep(500);
    await rt.restart();
    for (const c of clients) await waitFor(() => c.log.statuses.filter((s) => s.status === 'SUBSCRIBED').length >= 2, 20_000, 'rejoin');
    await sleep(500);
    writing = false;
    await writer;
    const tail = next;
    await insertN(tail, tail + 50, 'restart');
    for (const c of clients) {
      await waitFor(() => c.got.items.some((p) => p.new.n === tail + 49), 10_000, 'changes after the rejoin');
      const ns = c.got.items.map((p) => Number(p.new.n));
      expect(ns).toEqual([...ns].sort((a, b) => a - b)); // in order
      expect(new Set(ns).size).toBe(ns.length); // no duplicates
      expect(ns.slice(-50)).toEqual(Array.from({ length: 50 }, (_, i) => tail + i)); // nothing lost once rejoined
      expect(c.log.statuses.map((s) => s.status)).toContain('CHANNEL_ERROR');
    }
  });

  for (const kill of [false, true]) {
    it(`PostgreSQL ${kill ? 'kill -9' : 'restart'} mid-stream: connected subscribers get every change exactly once, in order`, async () => {
      const tag = kill ? 'pgkill' : 'pgrestart';
      const got = collector<Change>();
      const ch = rtClient(stack.apiUrl, stack.config.keys.anonKey).channel(`pg-${tag}`)
        .on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table, filter: `tag=eq.${tag}` }, as(got.push));
      const log = statusLog(ch);
      await log.wait('SUBSCRIBED');
      const base = kill ? 20_000 : 10_000;
      await insertN(base, base + 50, tag);
      await restartPostgres(kill);
      await rt.ready();
      await insertN(base + 50, base + 100, tag);
      await got.wait(100, 30_000);
      await sleep(500);
      expect(got.items.map((p) => Number(p.new.n))).toEqual(Array.from({ length: 100 }, (_, i) => base + i));
      expect(log.statuses.map((s) => s.status)).toEqual(['SUBSCRIBED']);
    });
  }
});

describe('grouped RLS checks', () => {
  it('one visibility query per group: 10 members of one org share one; distinct orgs get one each', async () => {
    const secret = stack.config.keys.jwtSecret;
    const docs = await scratchTable(stack.sql, 'grp', 'id bigint primary key, org_id uuid not null', { rls: true });
    await stack.sql.unsafe(`create policy members on ${SCRATCH_SCHEMA}.${docs} for select to authenticated using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text)`);
    const orgs = await Promise.all(Array.from({ length: 6 }, (_, i) => createTestOrg(stack.sql, `grp${i}`)));
    const same = await Promise.all(Array.from({ length: 10 }, () => mintToken(secret, memberClaims([orgs[0]!.id]))));
    const cols = same.map(() => collector<Change>());
    await Promise.all(same.map((t, i) => subscribed(rtClient(stack.apiUrl, stack.config.keys.anonKey, { token: t }).channel(`grp-same-${i}`)
      .on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: docs }, as(cols[i]!.push)))));
    let before = rt.metrics();
    await stack.sql.unsafe(`insert into ${SCRATCH_SCHEMA}.${docs} values (1, '${orgs[0]!.id}')`);
    for (const c of cols) await c.wait(1);
    let after = rt.metrics();
    expect(after.rlsGroupQueries! - before.rlsGroupQueries!).toBe(1);

    const distinct = await Promise.all(orgs.slice(1).map((o) => mintToken(secret, memberClaims([o.id]))));
    const dcols = distinct.map(() => collector<Change>());
    await Promise.all(distinct.map((t, i) => subscribed(rtClient(stack.apiUrl, stack.config.keys.anonKey, { token: t }).channel(`grp-distinct-${i}`)
      .on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: docs }, as(dcols[i]!.push)))));
    before = rt.metrics();
    await stack.sql.unsafe(`insert into ${SCRATCH_SCHEMA}.${docs} values (2, '${orgs[1]!.id}')`);
    await dcols[0]!.wait(1);
    await sleep(300);
    after = rt.metrics();
    expect(after.rlsGroupQueries! - before.rlsGroupQueries!).toBe(6);
    expect(dcols.map((c) => c.items.length)).toEqual([1, 0, 0, 0, 0]);
    expect(cols.every((c) => c.items.length === 1)).toBe(true);

    // The policy is pure (org_roles ? org_id): a verdict once known for a group and an org
    // comes from the cache; only the (group, org) pairs not seen yet are asked.
    before = rt.metrics();
    await stack.sql.unsafe(`insert into ${SCRATCH_SCHEMA}.${docs} values (3, '${orgs[1]!.id}')`);
    await dcols[0]!.wait(2);
    await sleep(300);
    after = rt.metrics();
    expect(after.rlsGroupQueries! - before.rlsGroupQueries!).toBe(0);
    expect(after.rlsCachedVerdicts! - before.rlsCachedVerdicts!).toBe(6);
    before = after;
    await stack.sql.unsafe(`insert into ${SCRATCH_SCHEMA}.${docs} values (4, '${orgs[0]!.id}')`);
    for (const c of cols) await c.wait(2);
    await sleep(300);
    after = rt.metrics();
    expect(after.rlsGroupQueries! - before.rlsGroupQueries!).toBe(5); // the five other orgs' groups had not seen orgs[0]
    expect(after.rlsCachedVerdicts! - before.rlsCachedVerdicts!).toBe(1);
    expect(dcols.map((c) => c.items.length)).toEqual([2, 0, 0, 0, 0]);
    expect(cols.map((c) => c.items.map((p) => p.new.id))).toEqual(Array(10).fill([1, 4]));
  });

  it('a restrictive policy that reads no column (the cut-off shape) is evaluated once per group per batch; the pure rest stays cached', async () => {
    const secret = stack.config.keys.jwtSecret;
    const org = await createTestOrg(stack.sql, 'gate');
    const t = await scratchTable(stack.sql, 'gate', 'id bigint primary key, org_id uuid not null', { rls: true });
    const q = (s: string): Promise<unknown> => stack.sql.unsafe(s.replaceAll('$T', `${SCRATCH_SCHEMA}.${t}`));
    await q(`create table $T_blocked (sub uuid primary key)`);
    await q(`create function $T_open() returns boolean language sql stable security definer set search_path = '' as
               $$ select not exists (select 1 from $T_blocked b where b.sub = (select auth.uid())) $$`);
    await q(`grant execute on function $T_open() to authenticated`);
    await q(`create policy members on $T for select to authenticated using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text)`);
    await q(`create policy open on $T as restrictive for select to authenticated using ((select $T_open()))`);
    const other = await createTestOrg(stack.sql, 'gate-other');
    // The third subscriber is a member of another org: it sees none of these rows, so its gate is never asked.
    const claims = [memberClaims([org.id]), memberClaims([org.id]), memberClaims([other.id])];
    const cols = claims.map(() => collector<Change>());
    await Promise.all(claims.map(async (c, i) => subscribed(rtClient(stack.apiUrl, stack.config.keys.anonKey, { token: await mintToken(secret, c) })
      .channel(`gate-${i}`).on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: t }, as(cols[i]!.push)))));
    /** What PostgreSQL's own SELECT shows the subscriber. */
    const selectAs = (c: Record<string, unknown>): Promise<number[]> => stack.sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ role: 'authenticated', ...c })}, true), set_config('role', 'authenticated', true)`;
      return (await tx.unsafe(`select id from ${SCRATCH_SCHEMA}.${t} order by id`)).map((r) => Number(r.id));
    });
    const ids = (i: number): number[] => cols[i]!.items.map((p) => Number(p.new.id));

    await q(`insert into $T values (1, '${org.id}')`);
    for (const c of cols.slice(0, 2)) await c.wait(1);
    let before = rt.metrics();
    await q(`insert into $T values (2, '${org.id}')`);
    for (const c of cols.slice(0, 2)) await c.wait(2);
    await sleep(300);
    let after = rt.metrics();
    // Three groups (each token its own claims): the gate once for each of the two that see the row,
    // none for the other org's member; the org_roles verdicts cached, no probe.
    expect(after.rlsGateChecks! - before.rlsGateChecks!).toBe(2);
    expect(after.rlsCachedVerdicts! - before.rlsCachedVerdicts!).toBe(3);
    expect(after.rlsGroupQueries! - before.rlsGroupQueries!).toBe(0);

    // Blocking the second subscriber's account applies from the next change on, as its SELECT does.
    await q(`insert into $T_blocked values ('${String(claims[1]!.sub)}')`);
    await q(`insert into $T values (3, '${org.id}')`);
    await cols[0]!.wait(3);
    await sleep(500);
    expect(ids(0)).toEqual([1, 2, 3]);
    expect(ids(1)).toEqual([1, 2]);
    expect(await selectAs(claims[0]!)).toEqual([1, 2, 3]);
    expect(await selectAs(claims[1]!)).toEqual([]);
    await q(`delete from $T_blocked`);
    await q(`insert into $T values (4, '${org.id}')`);
    await cols[1]!.wait(3);
    expect(ids(1)).toEqual([1, 2, 4]);
    expect(await selectAs(claims[1]!)).toEqual([1, 2, 3, 4]);

    // A gate that raises: that group gets Error 500, as a probe would report.
    before = rt.metrics();
    await q(`create or replace function $T_open() returns boolean language plpgsql stable security definer set search_path = '' as
               $$ begin if (select auth.uid()) = '${String(claims[1]!.sub)}' then raise exception 'no'; end if; return true; end $$`);
    await q(`insert into $T values (5, '${org.id}')`);
    await cols[0]!.wait(4);
    await waitFor(() => cols[1]!.items.length >= 4, 10_000, 'the error payload');
    expect(cols[1]!.items[3]!.errors).toEqual(['Error 500: Internal Server Error, RLS policy evaluation failed']);
    expect(rt.metrics().rlsUndecided! - before.rlsUndecided!).toBe(1);
    expect(cols[2]!.items).toEqual([]);
  });

  it('a changed policy applies from the next change on (the stream re-describes the table)', async () => {
    const secret = stack.config.keys.jwtSecret;
    const t = await scratchTable(stack.sql, 'polchg', 'id bigint primary key, org_id uuid not null', { rls: true });
    await stack.sql.unsafe(`create policy members on ${SCRATCH_SCHEMA}.${t} for select to authenticated using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text)`);
    const org = await createTestOrg(stack.sql, 'polchg');
    const viewer = collector<Change>();
    const operator = collector<Change>();
    for (const [c, role] of [[viewer, 'viewer'], [operator, 'operator']] as const) {
      await subscribed(rtClient(stack.apiUrl, stack.config.keys.anonKey, { token: await mintToken(secret, memberClaims([org.id], role)) }).channel(`polchg-${role}`)
        .on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: t }, as(c.push)));
    }
    await stack.sql.unsafe(`insert into ${SCRATCH_SCHEMA}.${t} values (1, '${org.id}')`);
    await stack.sql.unsafe(`insert into ${SCRATCH_SCHEMA}.${t} values (2, '${org.id}')`);
    await viewer.wait(2);
    await operator.wait(2);
    // Same column, stricter rule: both groups' remembered "visible" for this org is now wrong.
    await stack.sql.unsafe(`alter policy members on ${SCRATCH_SCHEMA}.${t} using ((((select auth.jwt()) -> 'org_roles') ->> (org_id)::text) = 'operator')`);
    await stack.sql.unsafe(`insert into ${SCRATCH_SCHEMA}.${t} values (3, '${org.id}')`);
    await operator.wait(3);
    await sleep(500);
    expect(viewer.items.map((p) => p.new.id)).toEqual([1, 2]);
    expect(operator.items.map((p) => p.new.id)).toEqual([1, 2, 3]);
  });

  it('a policy calling an unknown function falls back to one group per distinct claims object', async () => {
    const secret = stack.config.keys.jwtSecret;
    const t2 = await scratchTable(stack.sql, 'fallback', 'id bigint primary key, owner text', { rls: true });
    await stack.sql.unsafe(`create or replace function ${SCRATCH_SCHEMA}.my_owner() returns text language sql stable as $$ select auth.jwt() ->> 'sub' $$`);
    await stack.sql.unsafe(`grant execute on function ${SCRATCH_SCHEMA}.my_owner() to authenticated`);
    await stack.sql.unsafe(`create policy own on ${SCRATCH_SCHEMA}.${t2} for select to authenticated using (owner = ${SCRATCH_SCHEMA}.my_owner())`);
    const claims = Array.from({ length: 4 }, () => memberClaims([]));
    const cols = claims.map(() => collector<Change>());
    await Promise.all(claims.map(async (c, i) => subscribed(rtClient(stack.apiUrl, stack.config.keys.anonKey, { token: await mintToken(secret, c) }).channel(`fb-${i}`)
      .on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: t2 }, as(cols[i]!.push)))));
    const before = rt.metrics();
    await stack.sql.unsafe(`insert into ${SCRATCH_SCHEMA}.${t2} values (1, '${String(claims[2]!.sub)}')`);
    await cols[2]!.wait(1);
    await sleep(300);
    expect(rt.metrics().rlsGroupQueries! - before.rlsGroupQueries!).toBe(4);
    expect(cols.map((c) => c.items.length)).toEqual([0, 0, 1, 0]);
  });

  it('a commit that reaches the WAL before it is visible is still checked against its own row', async () => {
    // A commit record is flushed (and decoded by the server) a moment before the committing
    // backend leaves the proc array; under load that window was long enough for the RLS probe
    // to miss the new row and drop the change (the full-suite flakes). A synchronous-standby
    // wait that nobody answers holds a commit in exactly that window, for as long as we like.
    // The probe (a policy calling a user-defined function) waits until the row is visible; a
    // pure policy is decided from the committed tuple and needs no wait.
    const secret = stack.config.keys.jwtSecret;
    const t = await scratchTable(stack.sql, 'vis', 'id bigint primary key, org_id uuid not null', { rls: true });
    const pure = await scratchTable(stack.sql, 'vispure', 'id bigint primary key, org_id uuid not null', { rls: true });
    await stack.sql.unsafe(`create or replace function ${SCRATCH_SCHEMA}.is_member(org uuid) returns boolean language sql stable as $$ select (auth.jwt() -> 'org_roles') ? org::text $$`);
    await stack.sql.unsafe(`grant execute on function ${SCRATCH_SCHEMA}.is_member(uuid) to authenticated`);
    await stack.sql.unsafe(`create policy members on ${SCRATCH_SCHEMA}.${t} for select to authenticated using (${SCRATCH_SCHEMA}.is_member(org_id))`);
    await stack.sql.unsafe(`create policy members on ${SCRATCH_SCHEMA}.${pure} for select to authenticated using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text)`);
    const org = await createTestOrg(stack.sql, 'vis');
    const got = collector<Change>();
    const gotPure = collector<Change>();
    const client = rtClient(stack.apiUrl, stack.config.keys.anonKey, { token: await mintToken(secret, memberClaims([org.id])) });
    await subscribed(client.channel('vis')
      .on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: t }, as(got.push))
      .on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: pure }, as(gotPure.push)));
    const held = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
    try {
      // Only `held` waits for the (absent) standby; every other session commits locally.
      await stack.sql.unsafe(`alter system set synchronous_commit = 'local'`);
      await stack.sql.unsafe(`alter system set synchronous_standby_names = 'nobody'`);
      await stack.sql`select pg_reload_conf()`;
      await sleep(300);
      const pid = (await held<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;
      await held`set synchronous_commit = on`;
      const pureInsert = held.unsafe(`insert into ${SCRATCH_SCHEMA}.${pure} values (1, '${org.id}')`).execute(); // sent now, not when awaited
      await gotPure.wait(1, 10_000); // still invisible to other snapshots: the pure policy's verdict needs no table read
      expect(gotPure.items[0]!.new).toMatchObject({ id: 1, org_id: org.id });
      await stack.sql`select pg_cancel_backend(${pid})`;
      await pureInsert;
      const insert = held.unsafe(`insert into ${SCRATCH_SCHEMA}.${t} values (1, '${org.id}')`).execute();
      await sleep(1_000); // decoded by the server, still invisible to other snapshots: the probe waits
      expect(got.items).toEqual([]);
      await stack.sql`select pg_cancel_backend(${pid})`; // ends the wait: the commit becomes visible
      await insert;
      await got.wait(1, 10_000);
      expect(got.items[0]!.new).toMatchObject({ id: 1, org_id: org.id });
    } finally {
      await stack.sql.unsafe(`alter system reset synchronous_standby_names`);
      await stack.sql.unsafe(`alter system reset synchronous_commit`);
      await stack.sql`select pg_reload_conf()`;
      await held.end();
    }
  });
});

describe('limits and timings', () => {
  it('"Subscribed to PostgreSQL" can be delayed (hosted timing) while changes flow from SUBSCRIBED on', async () => {
    rt.limits.systemMessageDelayMs = 2000;
    try {
      const got = collector<Change>();
      let subscribedAt = 0;
      let systemAt = 0;
      const ch = rtClient(stack.apiUrl, stack.config.keys.anonKey).channel('delayed')
        .on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table, filter: 'tag=eq.delayed' }, as(got.push))
        .on('system', {}, () => { systemAt = Date.now(); });
      await subscribed(ch, (s) => { if (s === 'SUBSCRIBED') subscribedAt = Date.now(); });
      await insertN(30_000, 30_001, 'delayed');
      await got.wait(1);
      expect(systemAt).toBe(0);
      await waitFor(() => systemAt > 0, 5_000);
      expect(systemAt - subscribedAt).toBeGreaterThanOrEqual(1_900);
    } finally {
      rt.limits.systemMessageDelayMs = 0;
    }
  });

  it('joins per second: over the limit the join is refused and the socket disconnected', async () => {
    const saved = rt.limits.maxJoinsPerSecond;
    rt.limits.maxJoinsPerSecond = 3;
    try {
      await sleep(1100);
      const c = await rawClient(stack.apiUrl, stack.config.keys.anonKey);
      raws.push(c);
      for (let i = 0; i < 5; i++) c.send([`${i}`, `${i}`, `realtime:jps-${i}`, 'phx_join', { config: {} }]);
      const refused = await c.next((f) => isEvent('realtime:jps-3', 'phx_reply')(f));
      expect((refused.data as unknown[])[4]).toEqual({ status: 'error', response: { reason: 'ClientJoinRateLimitReached: Too many joins per second' } });
      expect((await c.closed).code).toBe(1000);
    } finally {
      rt.limits.maxJoinsPerSecond = saved;
    }
  });

  it('a slow consumer is disconnected with a reason; the sender and others are unaffected', async () => {
    const saved = rt.limits.maxSendBufferBytes;
    rt.limits.maxSendBufferBytes = 2 * 1024 * 1024;
    try {
      const slow = await rawClient(stack.apiUrl, stack.config.keys.anonKey);
      const fast = await rawClient(stack.apiUrl, stack.config.keys.anonKey);
      const sender = await rawClient(stack.apiUrl, stack.config.keys.anonKey);
      raws.push(slow, fast, sender);
      for (const c of [slow, fast, sender]) {
        c.send(['1', '1', 'realtime:slow', 'phx_join', { config: { broadcast: { self: false } } }]);
        await c.next(isEvent('realtime:slow', 'phx_reply', '1'));
      }
      (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const blob = 'z'.repeat(16 * 1024);
      // Paced rounds: the fast reader drains each round, the paused one only accumulates.
      const disconnectsBefore = rt.metrics().slowConsumerDisconnects!;
      for (let round = 0; round < 40 && rt.metrics().slowConsumerDisconnects === disconnectsBefore; round++) {
        for (let i = 0; i < 50; i++) sender.send(['1', null, 'realtime:slow', 'broadcast', { type: 'broadcast', event: 'blob', payload: { i: round * 50 + i, blob } }]);
        await waitFor(() => fast.frames.filter((f) => isEvent('realtime:slow', 'broadcast')(f)).length === (round + 1) * 50, 10_000, 'fast consumer');
      }
      expect(rt.metrics().slowConsumerDisconnects).toBe(disconnectsBefore + 1);
      // Reading again, the client drains what was queued and then sees the close frame and reason.
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const closed = await slow.closed;
      expect(closed.code).toBe(1008);
      expect(closed.reason).toMatch(/^SlowConsumer: /);
      expect(sender.ws.readyState).toBe(sender.ws.OPEN);
    } finally {
      rt.limits.maxSendBufferBytes = saved;
    }
  });

  it('an idle socket (no heartbeat) is closed after the idle timeout', async () => {
    const saved = rt.limits.idleTimeoutMs;
    rt.limits.idleTimeoutMs = 1_000;
    try {
      const c = await rawClient(stack.apiUrl, stack.config.keys.anonKey);
      raws.push(c);
      const t0 = Date.now();
      const closed = await c.closed;
      expect(closed).toEqual({ code: 1000, reason: 'idle timeout' });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    } finally {
      rt.limits.idleTimeoutMs = saved;
    }
  });

  it('daily realtime.messages partitions exist from yesterday to three days ahead', async () => {
    const rows = await stack.sql<{ relname: string }[]>`
      select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'realtime.messages'::regclass order by 1`;
    // Days around the stack's start: a UTC midnight since then is the daily run's (00:01) to follow.
    const day = (o: number): string => `messages_${new Date(startedAt + o * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '_')}`;
    expect(rows.map((r) => r.relname)).toEqual(expect.arrayContaining([-1, 0, 1, 2, 3].map(day)));
  });
});
