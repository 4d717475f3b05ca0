/**
 * A user's own RLS tables, the way Supabase users write them (issue 14 part 1): tables in
 * `public` and in a schema of their own, created before the stack starts and after,
 * with the policy shapes of Supabase's docs, subscribed as `authenticated` (two users),
 * `anon` and the service role over vsn 1.0.0 and 2.0.0. What each subscriber receives is
 * compared with what PostgreSQL itself lets that role and those claims SELECT
 * (asRole), and with the expectations written out below. Then tables altered while
 * subscribed (policy dropped and re-created, RLS toggled, a column added, a Realtime
 * restart reloading the catalog): each change applies from the next committed change.
 *
 * Own stack: started once, the "before" tables created, stopped and started again on the
 * same data directory, so those tables exist before this Realtime server ever ran.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeService } from '../../../stack/src/realtime/service.ts';
import { startStack, type Stack } from '../../../stack/src/start.ts';
import { asRole } from '../../support/db.ts';
import { freeStackPorts } from '../../support/ports.ts';
import { testLogFile } from '../../support/stack-log.ts';
import { as, closeClients, collector, mintToken, rtClient, sleep, subscribed, VSNS, waitFor, type Change, type Vsn } from './helpers.ts';

const UA = randomUUID();
const UB = randomUUID();
const OWN_SCHEMA = 'rt_user';
const SCHEMAS = ['public', OWN_SCHEMA] as const;

/** Rows every matrix table gets: [user_id, org, note]. */
const ROWS: Array<[string | null, string, string]> = [
  [UA, 'A', 'x'], [UB, 'B', 'x'], [UA, 'B', 'hidden'], [null, 'shared', 'x'], [UB, 'open', 'x'],
];

type Who = 'ua' | 'ub' | 'anon' | 'service';
const WHO: Who[] = ['ua', 'ub', 'anon', 'service'];
const CLAIMS: Record<'ua' | 'ub' | 'anon', Record<string, unknown>> = {
  ua: { sub: UA, role: 'authenticated', org: 'A' },
  ub: { sub: UB, role: 'authenticated', org: 'B' },
  anon: { role: 'anon' },
};

interface Shape {
  name: string;
  /** Policies for table `t` (qualified name `q`). */
  policies: (q: string, t: string, schema: string) => string[];
  /** Ids (1-based into ROWS) each subscriber may read. */
  sees: Record<Who, number[]>;
}

const ALL = [1, 2, 3, 4, 5];
const SHAPES: Shape[] = [
  { name: 'uid', policies: (q) => [`create policy own on ${q} for select to authenticated using (auth.uid() = user_id)`],
    sees: { ua: [1, 3], ub: [2, 5], anon: [], service: ALL } },
  { name: 'seluid', policies: (q) => [`create policy own on ${q} for select to authenticated using ((select auth.uid()) = user_id)`],
    sees: { ua: [1, 3], ub: [2, 5], anon: [], service: ALL } },
  { name: 'jwt', policies: (q) => [`create policy org on ${q} for select to authenticated using ((auth.jwt() ->> 'org') = org)`],
    sees: { ua: [1], ub: [2, 3], anon: [], service: ALL } },
  { name: 'true', policies: (q) => [`create policy p on ${q} for select to authenticated using (true)`],
    sees: { ua: ALL, ub: ALL, anon: [], service: ALL } },
  { name: 'exists', policies: (q, t, s) => [
    `create table ${s}.${t}_m (org text, user_id uuid)`,
    `grant select on ${s}.${t}_m to authenticated`,
    `insert into ${s}.${t}_m values ('A', '${UA}'), ('shared', '${UB}')`,
    `create policy members on ${q} for select to authenticated using (exists (select 1 from ${s}.${t}_m m where m.org = ${t}.org and m.user_id = auth.uid()))`],
    sees: { ua: [1], ub: [4], anon: [], service: ALL } },
  { name: 'public', policies: (q) => [`create policy open on ${q} for select to public using (org in ('open', 'shared'))`],
    sees: { ua: [4, 5], ub: [4, 5], anon: [4, 5], service: ALL } },
  { name: 'mixed', policies: (q) => [
    `create policy own on ${q} for select to authenticated using (auth.uid() = user_id)`,
    `create policy shared on ${q} for select to authenticated using (org = 'shared')`,
    `create policy not_hidden on ${q} as restrictive for select to authenticated using (note is distinct from 'hidden')`],
    sees: { ua: [1, 4], ub: [2, 4, 5], anon: [], service: ALL } },
];

/** A table as a Supabase user creates one: grants as the dashboard gives them, RLS on, in the publication. */
async function userTable(stack: Stack, schema: string, name: string, policies: string[]): Promise<void> {
  const q = `${schema}.${name}`;
  await stack.sql.unsafe(`create schema if not exists ${schema}`);
  await stack.sql.unsafe(`grant usage on schema ${schema} to anon, authenticated, service_role`);
  await stack.sql.unsafe(`create table ${q} (id bigserial primary key, user_id uuid, org text, note text)`);
  await stack.sql.unsafe(`grant select on ${q} to anon, authenticated; grant all on ${q} to service_role`);
  await stack.sql.unsafe(`alter table ${q} enable row level security`);
  for (const p of policies) await stack.sql.unsafe(p);
  await stack.sql.unsafe(`alter publication supabase_realtime add table ${q}`);
}

interface MatrixTable { schema: string; name: string; shape: Shape; when: 'before' | 'after' }

let root: string;
let stack: Stack;
let logFile: string;
const tables: MatrixTable[] = [];
const tokens: Partial<Record<Who, string>> = {};

async function start(fresh: boolean): Promise<Stack> {
  logFile ??= testLogFile('rt-user-tables');
  return startStack({ dataDir: path.join(root, 'pg'), ...(await freeStackPorts()), fresh, quiet: true, logFile, realtime: { joinErrorBackoffMs: 0 } });
}

async function createMatrix(when: 'before' | 'after'): Promise<void> {
  for (const schema of SCHEMAS) {
    for (const shape of SHAPES) {
      const name = `u_${when}_${shape.name}`;
      await userTable(stack, schema, name, shape.policies(`${schema}.${name}`, name, schema));
      tables.push({ schema, name, shape, when });
    }
  }
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-rt-user-'));
  await fs.chmod(root, 0o755);
  stack = await start(true);
  await createMatrix('before');
  await stack.stop();
  stack = await start(false);
  await createMatrix('after');
  const secret = stack.config.keys.jwtSecret;
  tokens.ua = await mintToken(secret, { sub: UA, org: 'A' });
  tokens.ub = await mintToken(secret, { sub: UB, org: 'B' });
}, 300_000);

afterAll(async () => {
  await closeClients();
  await stack?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

function client(who: Who, vsn: Vsn): SupabaseClient {
  const { anonKey, serviceRoleKey } = stack.config.keys;
  if (who === 'service') return rtClient(stack.apiUrl, serviceRoleKey, { vsn });
  const token = tokens[who as 'ua' | 'ub'];
  return rtClient(stack.apiUrl, anonKey, { vsn, ...(token ? { token } : {}) });
}

/** ROWS, one committed transaction each. */
async function insertRows(x: MatrixTable): Promise<void> {
  for (const [user_id, org, note] of ROWS) {
    await stack.sql.unsafe(`insert into ${x.schema}.${x.name} (user_id, org, note) values ($1, $2, $3)`, [user_id, org, note]);
  }
}

/** What a subscriber got, as `EVENT:id` strings in arrival order. */
const seen = (c: { items: Change[] }): string[] =>
  c.items.map((p) => `${p.eventType}:${String((p.eventType === 'DELETE' ? p.old : p.new).id)}`);

describe('RLS on a user\'s own tables (public and another schema, before and after start)', () => {
  it('PostgreSQL\'s own SELECT as each role agrees with the expectations (the oracle)', async () => {
    for (const x of tables) await insertRows(x);
    for (const x of tables) {
      for (const who of ['ua', 'ub', 'anon'] as const) {
        const ids = await asRole(stack.sql, who === 'anon' ? 'anon' : 'authenticated', CLAIMS[who],
          (tx) => tx.unsafe<Array<{ id: string }>>(`select id from ${x.schema}.${x.name} order by id`));
        expect({ table: `${x.schema}.${x.name}`, who, ids: ids.map((r) => Number(r.id)) }).toEqual({ table: `${x.schema}.${x.name}`, who, ids: x.shape.sees[who] });
      }
      await stack.sql.unsafe(`truncate ${x.schema}.${x.name} restart identity`);
    }
    expect(tables).toHaveLength(2 * 2 * SHAPES.length);
  });

  it.each(VSNS)('each subscriber gets exactly the changes it may read, once (vsn %s)', async (vsn) => {
    const got = new Map<string, ReturnType<typeof collector<Change>>>();
    await Promise.all(WHO.map(async (who) => {
      const c = client(who, vsn);
      for (const x of tables) {
        const col = collector<Change>();
        got.set(`${who}|${x.schema}.${x.name}`, col);
        await subscribed(c.channel(`m-${vsn}-${who}-${x.schema}-${x.name}`)
          .on('postgres_changes', { event: '*', schema: x.schema, table: x.name }, as(col.push)));
      }
    }));
    // Ids restart at 1 per vsn run: both runs use the same rows and the same expectations.
    for (const x of tables) await stack.sql.unsafe(`truncate ${x.schema}.${x.name} restart identity`);
    for (const x of tables) {
      await insertRows(x);
      await stack.sql.unsafe(`update ${x.schema}.${x.name} set note = 'y' where id = 1`);
      await stack.sql.unsafe(`delete from ${x.schema}.${x.name} where id = 2`);
    }
    // The service role sees every change of every table; DELETE reaches everyone (below).
    for (const x of tables) await got.get(`service|${x.schema}.${x.name}`)!.wait(7, 60_000);
    for (const who of WHO) for (const x of tables) await waitFor(() => got.get(`${who}|${x.schema}.${x.name}`)!.items.some((p) => p.eventType === 'DELETE'), 30_000, `${who} DELETE on ${x.name}`);
    await sleep(500);
    for (const x of tables) {
      for (const who of WHO) {
        const sees = x.shape.sees[who];
        const expected = [...sees.map((id) => `INSERT:${id}`), ...(sees.includes(1) ? ['UPDATE:1'] : []), 'DELETE:2'];
        const col = got.get(`${who}|${x.schema}.${x.name}`)!;
        expect({ table: `${x.schema}.${x.name}`, when: x.when, who, got: seen(col) }).toEqual({ table: `${x.schema}.${x.name}`, when: x.when, who, got: expected });
        const del = col.items.find((p) => p.eventType === 'DELETE')!;
        // Supabase (walrus) sends DELETE without an RLS check, old_record cut to the primary key when
        // RLS is on (supabase/walrus test/expected/test_delete_old_record_behavior.out, options 2 and 4).
        expect(del.old).toEqual({ id: 2 });
        for (const p of col.items.filter((i) => i.eventType !== 'DELETE')) expect(p.errors).toBeNull();
      }
    }
  });
});

describe('issue 14\'s reproduction, literally', () => {
  it('public.zz with RLS and a policy for authenticated: both the user and the service role receive the insert (vsn 2.0.0)', async () => {
    await stack.sql.unsafe(`create table public.zz (id bigserial primary key, org text);
      alter table public.zz enable row level security;
      create policy p on public.zz for select to authenticated using (true);
      grant select on public.zz to authenticated; grant all on public.zz to service_role;
      alter publication supabase_realtime add table public.zz;`);
    const user = collector<Change>();
    const service = collector<Change>();
    for (const [who, c] of [['ua', user], ['service', service]] as const) {
      await subscribed(client(who, '2.0.0').channel(`zz-${who}`).on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'zz' }, as(c.push)));
    }
    await stack.sql.unsafe(`insert into public.zz(org) values ('A')`);
    await user.wait(1);
    await service.wait(1);
    // Then the issue's second policy, on the same table and subscribers.
    await stack.sql.unsafe(`drop policy p on public.zz; create policy p on public.zz for select to authenticated using (org = (auth.jwt() ->> 'org'))`);
    await stack.sql.unsafe(`insert into public.zz(org) values ('B')`);
    await stack.sql.unsafe(`insert into public.zz(org) values ('A')`);
    await service.wait(3);
    await user.wait(2);
    await sleep(300);
    expect(user.items.map((p) => p.new)).toEqual([{ id: 1, org: 'A' }, { id: 3, org: 'A' }]);
    expect(service.items.map((p) => p.new.id)).toEqual([1, 2, 3]);
  });
});

/**
 * A fresh table in `schema` with the `own` policy (or the shape's policies) and subscribers ua,
 * anon and service on '*'.
 */
async function altered(schema: string, label: string, vsn: Vsn, shape?: Shape): Promise<{ q: string; got: Record<'ua' | 'anon' | 'service', ReturnType<typeof collector<Change>>> }> {
  const name = `alt_${label}_${randomUUID().slice(0, 6)}`;
  const q = `${schema}.${name}`;
  await userTable(stack, schema, name, shape ? shape.policies(q, name, schema) : [`create policy own on ${q} for select to authenticated using (auth.uid() = user_id)`]);
  const got = { ua: collector<Change>(), anon: collector<Change>(), service: collector<Change>() };
  for (const who of ['ua', 'anon', 'service'] as const) {
    await subscribed(client(who, vsn).channel(`alt-${name}-${who}`).on('postgres_changes', { event: '*', schema, table: name }, as(got[who].push)));
  }
  return { q, got };
}

const ins = (q: string, userId: string | null, org: string, note = 'x'): Promise<unknown> =>
  stack.sql.unsafe(`insert into ${q} (user_id, org, note) values ($1, $2, $3)`, [userId, org, note]);

/** An insert as SQL text (for `run`). */
const insert = (q: string, userId: string | null, org: string, note = 'x', team?: string): string =>
  `insert into ${q} (user_id, org, note${team ? ', team' : ''}) values (${userId ? `'${userId}'` : 'null'}, '${org}', '${note}'${team ? `, '${team}'` : ''})`;

type Pace = 'one per round trip' | 'back to back';
const PACES: Pace[] = ['one per round trip', 'back to back'];

/**
 * Each statement its own transaction. Back to back: all in one round trip, so the later
 * DDL has certainly committed when the server judges the earlier changes.
 */
async function run(pace: Pace, steps: string[]): Promise<void> {
  if (pace === 'back to back') {
    const conn = await stack.sql.reserve();
    try { await conn.unsafe(steps.map((x) => `begin; ${x}; commit;`).join('\n')); } finally { conn.release(); }
  } else for (const x of steps) await stack.sql.unsafe(x);
}

/** Waits until the service role (which sees everything) has `n` changes, then a moment for stragglers. */
async function settle(got: { service: { wait(n: number, t?: number): Promise<unknown> } }, n: number): Promise<void> {
  await got.service.wait(n, 30_000);
  await sleep(400);
}

const ALTERED = SCHEMAS.flatMap((schema, i) => PACES.map((pace) => [schema, VSNS[i]!, pace] as const));

describe.each(ALTERED)('a user table altered while subscribed (%s, vsn %s, %s)', (schema, vsn, pace) => {
  it('policy dropped, then re-created differently: each applies from the next committed change', async () => {
    const { q, got } = await altered(schema, 'pol', vsn);
    await run(pace, [
      insert(q, UA, 'B'),                        // 1: own row → ua
      `drop policy own on ${q}`,
      insert(q, UA, 'B'),                        // 2: no policy → nobody but the service role
      `create policy org on ${q} for select to authenticated using ((auth.jwt() ->> 'org') = org)`,
      insert(q, UB, 'A'),                        // 3: org A → ua
      insert(q, UA, 'B'),                        // 4: ua's own row, other org → nobody
    ]);
    await settle(got, 4);
    expect(seen(got.ua)).toEqual(['INSERT:1', 'INSERT:3']);
    expect(seen(got.anon)).toEqual([]);
    expect(seen(got.service)).toEqual(['INSERT:1', 'INSERT:2', 'INSERT:3', 'INSERT:4']);
  });

  it('RLS disabled, then enabled again', async () => {
    const { q, got } = await altered(schema, 'tog', vsn);
    await run(pace, [
      insert(q, UB, 'B'),                        // 1: not ua's → nobody
      `alter table ${q} disable row level security`,
      insert(q, UB, 'B'),                        // 2: no RLS → everyone with SELECT (anon too)
      `alter table ${q} enable row level security`,
      insert(q, UB, 'B'),                        // 3: RLS again → nobody
      insert(q, UA, 'B'),                        // 4: ua's own
    ]);
    await settle(got, 4);
    expect(seen(got.ua)).toEqual(['INSERT:2', 'INSERT:4']);
    expect(seen(got.anon)).toEqual(['INSERT:2']);
  });

  it('RLS toggled on a table whose policy reads another table (probed by primary key, not decided from the tuple)', async () => {
    const { q, got } = await altered(schema, 'togx', vsn, SHAPES.find((x) => x.name === 'exists')!);
    await run(pace, [
      insert(q, UB, 'B'),                        // 1: org B has no members → nobody
      `alter table ${q} disable row level security`,
      insert(q, UB, 'B'),                        // 2: no RLS → everyone with SELECT (anon too)
      `alter table ${q} enable row level security`,
      insert(q, UB, 'B'),                        // 3: RLS again → nobody
      insert(q, UB, 'A'),                        // 4: ua is a member of org A
    ]);
    await settle(got, 4);
    // Change 1 may be probed after the `disable row level security` behind it has committed —
    // back to back certainly, and one per round trip too when the server's WAL reader lags the
    // writer (a loaded CI machine): a probed (impure) policy is read with the RLS state at probe
    // time, as hosted Realtime reads it (docs/realtime.md, the RLS facts paragraph). Everything
    // after it is decided strictly.
    expect(seen(got.ua).filter((e) => e !== 'INSERT:1')).toEqual(['INSERT:2', 'INSERT:4']);
    expect(seen(got.anon).filter((e) => e !== 'INSERT:1')).toEqual(['INSERT:2']);
    expect(seen(got.service)).toEqual(['INSERT:1', 'INSERT:2', 'INSERT:3', 'INSERT:4']);
  });

  it('a column added and a policy on it; a restrictive policy added; rows updated across the rule', async () => {
    const { q, got } = await altered(schema, 'col', vsn);
    await run(pace, [
      insert(q, UB, 'B'),                        // 1: nobody
      `alter table ${q} add column team text`,
      `create policy team on ${q} for select to authenticated using (team = (auth.jwt() ->> 'org'))`,
      insert(q, UB, 'B', 'x', 'A'),              // 2: team A → ua
      `update ${q} set team = 'A' where id = 1`, // UPDATE 1: now team A → ua
      `create policy visible on ${q} as restrictive for select to authenticated using (note is distinct from 'hidden')`,
      insert(q, UA, 'B', 'hidden', 'A'),         // 3: own but hidden → nobody
      `update ${q} set note = 'hidden' where id = 2`, // UPDATE 2: hidden now → nobody
      insert(q, UA, 'B'),                        // 4: own, not hidden → ua
    ]);
    await settle(got, 6);
    expect(seen(got.ua)).toEqual(['INSERT:2', 'UPDATE:1', 'INSERT:4']);
    expect(got.ua.items[0]!.new).toMatchObject({ id: 2, team: 'A' });
    expect(seen(got.anon)).toEqual([]);
  });
});

describe('catalog reload', () => {
  it('a Realtime restart reloads every table\'s facts; rules changed while it was down apply at once', async () => {
    const rt = stack.services.get('realtime') as RealtimeService;
    const { q, got } = await altered('public', 'reload', '2.0.0');
    await ins(q, UA, 'B');                       // 1 → ua
    await settle(got, 1);
    await rt.restart();
    await stack.sql.unsafe(`drop policy own on ${q}`);
    await stack.sql.unsafe(`create policy open on ${q} for select to public using (org = 'open')`);
    // The clients rejoin by themselves: rows everyone may read until all three have one.
    const all = [got.ua, got.anon, got.service];
    for (let i = 0; i < 100 && !all.every((c) => c.items.some((p) => p.new.org === 'open')); i++) { await ins(q, null, 'open'); await sleep(200); }
    const insertId = async (userId: string | null, org: string): Promise<number> =>
      Number((await stack.sql.unsafe<Array<{ id: string }>>(`insert into ${q} (user_id, org, note) values ($1, $2, 'x') returning id`, [userId, org]))[0]!.id);
    const hidden = await insertId(UA, 'B');      // ua's own row, but the rule is org = 'open' now: service only
    const open = await insertId(UB, 'open');     // everyone
    await waitFor(() => got.service.items.some((p) => p.new.id === open), 30_000, 'the service role gets the last row');
    await sleep(400);
    expect(seen(got.service)).toContain(`INSERT:${hidden}`);
    for (const c of [got.ua, got.anon]) {
      expect(seen(c)).toContain(`INSERT:${open}`);
      expect(seen(c)).not.toContain(`INSERT:${hidden}`);
      expect(c.items.slice(c === got.ua ? 1 : 0).map((p) => p.new.org)).toEqual(c.items.slice(c === got.ua ? 1 : 0).map(() => 'open'));
    }
  });
});

describe('the RLS facts cannot be forged', () => {
  it('no API role may emit logical messages (the channel the event trigger tells Realtime the policies through)', async () => {
    const rows = await stack.sql<Array<{ role: string; f: string; ok: boolean }>>`
      select r.role, p.oid::regprocedure::text as f, has_function_privilege(r.role, p.oid, 'execute') as ok
        from pg_proc p cross join unnest(array['anon', 'authenticated', 'service_role', 'authenticator', 'supabase_auth_admin']) as r(role)
       where p.proname = 'pg_logical_emit_message'`;
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows.filter((r) => r.ok)).toEqual([]);
    await expect(asRole(stack.sql, 'authenticated', CLAIMS.ua, (tx) => tx`select pg_logical_emit_message(true, 'hotwatch.realtime.rls', '{}')`))
      .rejects.toThrow(/permission denied/);
  });
});

describe('undecided changes are never dropped silently', () => {
  it('a policy that raises for a group: Error 500 to its subscribers, RealtimeRlsUndecided logged with table and group', async () => {
    const rt = stack.services.get('realtime') as RealtimeService;
    const { q, got } = await altered(OWN_SCHEMA, 'raise', '2.0.0');
    await stack.sql.unsafe(`create policy numeric on ${q} for select to authenticated using ((note)::int > 0)`);
    const before = rt.metrics().rlsUndecided!;
    await ins(q, UB, 'B', 'not a number'); // not ua's own row: the raising policy is evaluated
    await settle(got, 1);
    // The stack logs to its test log file, not the terminal.
    const lines = (await fs.readFile(logFile, 'utf8')).split('\n');
    expect(got.ua.items).toHaveLength(1);
    expect(got.ua.items[0]!.errors).toEqual(['Error 500: Internal Server Error, RLS policy evaluation failed']);
    expect(rt.metrics().rlsUndecided! - before).toBe(1);
    const line = lines.find((l) => l.includes('RealtimeRlsUndecided'));
    expect(line).toContain(q);
    expect(line).toContain('authenticated sub=');
  });
});
