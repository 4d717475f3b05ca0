/**
 * REST throughput and latency: autocannon through the gateway's /rest/v1 (HTTP, JWT,
 * query parsing, one PostgREST-shaped transaction as `authenticator` → role) beside,
 * in the same run and with the same concurrency, the same queries sent directly to
 * PostgreSQL with the pg driver:
 *   - raw: the bare statement (the floor);
 *   - tx-shaped: BEGIN, the set_config statement, the statement, COMMIT — the database
 *     work a REST request costs, so the gap to REST is HTTP + Node.
 * Scenarios: a 20-row filtered, ordered read (anon); a one-row insert (anon,
 * return=minimal); a 20-row read of `events` as an authenticated member under RLS;
 * an embedding read (20 alerts with their hotspot and recommendations, service role)
 * beside the same join written by hand as one SQL statement.
 * Autocannon runs in a worker thread so it does not share the server's event loop.
 */
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import pg from 'pg';
import { DEFAULT_ANON_KEY, DEFAULT_JWT_SECRET, DEFAULT_SERVICE_ROLE_KEY } from '../stack/src/keys.ts';
import { benchDb, isMain, writeResult } from './bench-stack.ts';
import type { BenchFigure, BenchResult } from './types.ts';

const DURATION_S = Number(process.env.REST_BENCH_SECONDS ?? 12);
const CONNECTIONS = Number(process.env.REST_BENCH_CONNECTIONS ?? 10);
/** Interleaved measurement rounds per scenario (DURATION_S is split across them). */
const ROUNDS = Number(process.env.REST_BENCH_ROUNDS ?? 4);
const ITEMS = 100_000;
const ANCHOR = 'PostgREST on AWS t3a.micro (2 vCPU) vs a Supabase DB: 303 reads/s, 307 writes/s (supabase/benchmarks#6)';

interface Load { rps: number; p50: number; p99: number; errors: number }

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** `connections` loops running `op` for `seconds`, on their own pooled connections. */
async function directLoad(pool: pg.Pool, seconds: number, op: (c: pg.PoolClient) => Promise<void>): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    const client = await pool.connect();
    try {
      while (performance.now() < until) {
        const t = performance.now();
        try { await op(client); } catch { errors++; }
        latencies.push(performance.now() - t);
      }
    } finally {
      client.release();
    }
  }));
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

async function httpLoad(url: string, init: { method?: string; headers: Record<string, string>; body?: string }, seconds: number): Promise<Load> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: seconds, workers: 1, ...init });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx };
}

/** The per-request settings statement a REST transaction runs, for the tx-shaped floor. */
function txVars(role: string, claims: string, path: string): { text: string; values: string[] } {
  return {
    text: `select set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, true),
                  set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.headers', $6, true),
                  set_config('request.cookies', $7, true)`,
    values: ['"public", "public", "extensions"', role, claims, 'GET', path, '{"accept":"*/*"}', '{}'],
  };
}

export async function run(): Promise<BenchResult> {
  const db = await benchDb('rest');
  if (!db.stack) throw new Error('the REST bench needs its own stack (unset HOTWATCH_BENCH_DB_URL)');
  const { sql } = db;
  const api = `${db.stack.apiUrl}/rest/v1`;
  const authUrl = new URL(db.dbUrl);
  authUrl.username = 'authenticator';
  authUrl.password = 'postgres';
  // tx-shaped floors switch role like REST does (as authenticator); raw floors run as the owner.
  const pool = new pg.Pool({ connectionString: authUrl.toString(), max: CONNECTIONS });
  const ownerPool = new pg.Pool({ connectionString: db.dbUrl, max: CONNECTIONS });
  try {
    await sql.unsafe(`
      create table public.bench_items (id int primary key, category int not null, name text not null, qty int not null, created_at timestamptz not null default now());
      insert into public.bench_items (id, category, name, qty) select i, i % 50, 'item ' || i, i % 97 from generate_series(1, ${ITEMS}) i;
      create index bench_items_category_id on public.bench_items (category, id);
      create table public.bench_writes (id bigint generated always as identity primary key, name text not null, qty int not null, created_at timestamptz not null default now());
      analyze public.bench_items;`);
    const [org] = await sql<Array<{ id: string }>>`insert into public.orgs (slug, name) values ('bench-rest', 'Bench REST') returning id`;
    const orgId = org!.id;
    await sql.unsafe(`
      insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, h3_cell)
      select '${orgId}', 'bench', 'e' || i, 'noise', now() - (i || ' seconds')::interval, 40.7, -74.0, '892a100d2b3ffff'
        from generate_series(1, 20000) i;
      analyze public.events;`);
    // Alerts → hotspot (many-to-one) and → recommendations (one-to-many, 3 each), all
    // terminal so the scheduled scans leave them alone.
    await sql.unsafe(`
      insert into public.hotspots (org_id, category, dedup_key, severity, model, cells, center_cell, center_lat, center_lng,
        radius_m, window_start, window_end, observed, expected, relative_risk, score, p_value, recurrence_interval_days, status, resolved_at)
      select '${orgId}', 'noise', 'bench-h' || i, 'high', 'expectation_poisson', '{882a100d2dfffff}', '882a100d2dfffff', 40.75, -73.99,
        600, now() - interval '3 hours', now(), 30, 10, 3, 12.5, 0.001, 41.6, 'resolved', now()
        from generate_series(1, 500) i;
      insert into public.alerts (org_id, hotspot_id, dedup_key, category, severity, title, description, state, resolved_at)
      select org_id, id, dedup_key, 'noise', 'high', 'alert ' || dedup_key, 'bench alert', 'resolved', now() from public.hotspots where org_id = '${orgId}';
      insert into public.playbooks (org_id, slug, title, category, body) values ('${orgId}', 'bench-pb', 'Bench', 'noise', 'bench');
      insert into public.recommendations (org_id, alert_id, hotspot_id, playbook_id, alert_revision, rank, score, action, rationale, status)
      select a.org_id, a.id, a.hotspot_id, (select id from public.playbooks where org_id = '${orgId}'), r, r, 0.9, 'act ' || r, 'because', 'superseded'
        from public.alerts a, generate_series(1, 3) r where a.org_id = '${orgId}';
      analyze public.hotspots, public.alerts, public.recommendations;`);
    const member = await new SignJWT({ sub: '00000000-0000-4000-8000-000000000001', role: 'authenticated', aud: 'authenticated', org_roles: { [orgId]: 'operator' } })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setExpirationTime('2h').sign(new TextEncoder().encode(DEFAULT_JWT_SECRET));

    const anonHeaders = { apikey: DEFAULT_ANON_KEY, authorization: `Bearer ${DEFAULT_ANON_KEY}` };
    const selectUrl = `${api}/bench_items?select=id,name,qty,created_at&category=eq.7&order=id&limit=20`;
    const eventsUrl = `${api}/events?select=id,category,occurred_at&order=id.desc&limit=20`;
    const serviceHeaders = { apikey: DEFAULT_SERVICE_ROLE_KEY, authorization: `Bearer ${DEFAULT_SERVICE_ROLE_KEY}` };
    const embedUrl = `${api}/alerts?select=id,title,state,hotspot:hotspots(id,category,severity,score),recommendations(id,rank,action,status)&org_id=eq.${orgId}&order=id&limit=20`;
    // Sanity: each scenario answers what it should before it is measured.
    const check = await fetch(selectUrl, { headers: anonHeaders });
    if (check.status !== 200 || ((await check.json()) as unknown[]).length !== 20) throw new Error(`select check failed: ${check.status}`);
    const evCheck = await fetch(eventsUrl, { headers: { apikey: DEFAULT_ANON_KEY, authorization: `Bearer ${member}` } });
    if (((await evCheck.json()) as unknown[]).length !== 20) throw new Error('RLS events check failed');
    const embCheck = await fetch(embedUrl, { headers: serviceHeaders });
    const embRows = (await embCheck.json()) as Array<{ hotspot: unknown; recommendations: unknown[] }>;
    if (embRows.length !== 20 || embRows.some((r) => r.hotspot === null || r.recommendations.length !== 3)) throw new Error(`embedding check failed: ${embCheck.status}`);

    const selectSql = 'select id, name, qty, created_at from public.bench_items where category = $1 order by id limit 20';
    const insertSql = 'insert into public.bench_writes (name, qty) values ($1, $2)';
    const eventsSql = 'select id, category, occurred_at from public.events order by id desc limit 20';
    // The embedding read by hand: the same columns and nesting, one statement.
    const embedSql = `select a.id, a.title, a.state,
        (select row_to_json(h) from (select h.id, h.category, h.severity, h.score from public.hotspots h where h.id = a.hotspot_id) h) as hotspot,
        coalesce((select json_agg(r) from (select r.id, r.rank, r.action, r.status from public.recommendations r where r.alert_id = a.id) r), '[]') as recommendations
      from public.alerts a where a.org_id = $1 order by a.id limit 20`;
    const anonClaims = '{"role":"anon"}';
    const memberClaims = JSON.stringify({ sub: '00000000-0000-4000-8000-000000000001', role: 'authenticated', org_roles: { [orgId]: 'operator' } });
    const shaped = (readOnly: boolean, vars: { text: string; values: string[] }, text: string, values: unknown[]) => async (c: pg.PoolClient): Promise<void> => {
      await c.query(`BEGIN ISOLATION LEVEL READ COMMITTED ${readOnly ? 'READ ONLY' : 'READ WRITE'}`);
      await c.query(vars.text, vars.values);
      await c.query(text, values);
      await c.query('COMMIT');
    };

    // Let the stack settle: Realtime decodes the WAL of the bulk loads above, autovacuum runs.
    await sql.unsafe('vacuum analyze public.bench_items, public.events');
    const settleUntil = Date.now() + 120_000;
    for (;;) {
      const [lag] = await sql<Array<{ behind: boolean }>>`
        select coalesce(bool_or(confirmed_flush_lsn < pg_current_wal_lsn()), false) as behind from pg_replication_slots where active`;
      if (!lag?.behind || Date.now() > settleUntil) break;
      await new Promise((r) => setTimeout(r, 500));
    }

    // Warm-up: JIT, plans, pools.
    await autocannon({ url: selectUrl, connections: CONNECTIONS, duration: 3, workers: 1, headers: anonHeaders });
    await autocannon({ url: eventsUrl, connections: CONNECTIONS, duration: 3, workers: 1, headers: { apikey: DEFAULT_ANON_KEY, authorization: `Bearer ${member}` } });
    await directLoad(ownerPool, 1, (c) => c.query(selectSql, [7]).then(() => undefined));

    // Interleaved rounds (REST, raw, tx-shaped, REST, …) so a burst of load from elsewhere
    // on the machine does not land on one side of a comparison.
    const rounds = async (variants: Array<() => Promise<Load>>): Promise<Load[]> => {
      const acc: Load[][] = variants.map(() => []);
      for (let r = 0; r < ROUNDS; r++) for (const [i, v] of variants.entries()) acc[i]!.push(await v());
      return acc.map((ls) => ({
        rps: ls.reduce((n, l) => n + l.rps, 0) / ls.length,
        p50: ls.reduce((n, l) => n + l.p50, 0) / ls.length,
        p99: ls.reduce((n, l) => n + l.p99, 0) / ls.length,
        errors: ls.reduce((n, l) => n + l.errors, 0),
      }));
    };
    const slice = DURATION_S / ROUNDS;
    const insertVars = { ...txVars('anon', anonClaims, '/bench_writes'), values: txVars('anon', anonClaims, '/bench_writes').values.map((v) => (v === 'GET' ? 'POST' : v)) };
    const [selectRest, selectRaw, selectTx] = await rounds([
      () => httpLoad(selectUrl, { headers: anonHeaders }, slice),
      () => directLoad(ownerPool, slice, (c) => c.query(selectSql, [7]).then(() => undefined)),
      () => directLoad(pool, slice, shaped(true, txVars('anon', anonClaims, '/bench_items'), selectSql, [7])),
    ]) as [Load, Load, Load];
    const [insertRest, insertRaw, insertTx] = await rounds([
      () => httpLoad(`${api}/bench_writes`, { method: 'POST', headers: { ...anonHeaders, 'content-type': 'application/json' }, body: '{"name":"bench","qty":1}' }, slice),
      () => directLoad(ownerPool, slice, (c) => c.query(insertSql, ['bench', 1]).then(() => undefined)),
      () => directLoad(pool, slice, shaped(false, insertVars, insertSql, ['bench', 1])),
    ]) as [Load, Load, Load];
    const [embedRest, embedRaw] = await rounds([
      () => httpLoad(embedUrl, { headers: serviceHeaders }, slice),
      () => directLoad(ownerPool, slice, (c) => c.query(embedSql, [orgId]).then(() => undefined)),
    ]) as [Load, Load];
    const [rlsRest, rlsTx] = await rounds([
      () => httpLoad(eventsUrl, { headers: { apikey: DEFAULT_ANON_KEY, authorization: `Bearer ${member}` } }, slice),
      () => directLoad(pool, slice, shaped(true, txVars('authenticated', memberClaims, '/events'), eventsSql, [])),
    ]) as [Load, Load];

    const errors = [selectRest, selectRaw, selectTx, insertRest, insertRaw, insertTx, embedRest, embedRaw, rlsRest, rlsTx].reduce((n, l) => n + l.errors, 0);
    const ratio = (a: Load, b: Load): number => a.rps / b.rps;
    const figures: BenchFigure[] = [
      { metric: 'select via REST (20 rows, anon)', value: selectRest.rps, unit: 'req/s', floor: selectRaw.rps, anchor: ANCHOR },
      { metric: 'select via REST p50', value: selectRest.p50, unit: 'ms', floor: selectRaw.p50 },
      { metric: 'select via REST p99', value: selectRest.p99, unit: 'ms', floor: selectRaw.p99 },
      { metric: 'select direct, tx-shaped (BEGIN + set_config + query + COMMIT)', value: selectTx.rps, unit: 'q/s', floor: selectRaw.rps },
      { metric: 'select REST / raw PostgreSQL', value: ratio(selectRest, selectRaw), unit: '×', gate: '≥ 0.25 × raw', pass: ratio(selectRest, selectRaw) >= 0.25 },
      { metric: 'select REST / tx-shaped PostgreSQL', value: ratio(selectRest, selectTx), unit: '×' },
      { metric: 'insert via REST (1 row, return=minimal)', value: insertRest.rps, unit: 'req/s', floor: insertRaw.rps, anchor: ANCHOR },
      { metric: 'insert via REST p50', value: insertRest.p50, unit: 'ms', floor: insertRaw.p50 },
      { metric: 'insert via REST p99', value: insertRest.p99, unit: 'ms', floor: insertRaw.p99 },
      { metric: 'insert direct, tx-shaped', value: insertTx.rps, unit: 'q/s', floor: insertRaw.rps },
      { metric: 'insert REST / raw PostgreSQL', value: ratio(insertRest, insertRaw), unit: '×', gate: '≥ 0.1 × raw', pass: ratio(insertRest, insertRaw) >= 0.1 },
      { metric: 'insert REST / tx-shaped PostgreSQL', value: ratio(insertRest, insertTx), unit: '×' },
      { metric: 'embedding read via REST (20 alerts + hotspot + recommendations, service role)', value: embedRest.rps, unit: 'req/s', floor: embedRaw.rps },
      { metric: 'embedding read via REST p50', value: embedRest.p50, unit: 'ms', floor: embedRaw.p50 },
      { metric: 'embedding read via REST p99', value: embedRest.p99, unit: 'ms', floor: embedRaw.p99 },
      { metric: 'embedding REST / hand-written SQL join', value: ratio(embedRest, embedRaw), unit: '×', gate: '≥ 0.25 × raw', pass: ratio(embedRest, embedRaw) >= 0.25 },
      { metric: 'RLS read via REST (events, member JWT)', value: rlsRest.rps, unit: 'req/s', floor: rlsTx.rps },
      { metric: 'RLS read via REST p50', value: rlsRest.p50, unit: 'ms', floor: rlsTx.p50 },
      { metric: 'RLS read via REST p99', value: rlsRest.p99, unit: 'ms', floor: rlsTx.p99 },
      { metric: 'errors (non-2xx, timeouts, failed queries)', value: errors, unit: 'count', gate: '= 0', pass: errors === 0 },
    ];
    return {
      name: 'rest',
      figures,
      notes: [
        `${CONNECTIONS} concurrent connections, ${DURATION_S} s per variant in ${ROUNDS} interleaved rounds, one machine (server, PostgreSQL and load generator share the CPUs).`,
        'REST pipelines BEGIN + settings + statement (+ COMMIT for plain reads) in one round trip; the tx-shaped floor sends the four statements one by one.',
        'Every REST write also costs the in-process Realtime server its WAL decoding; the raw and tx-shaped floors pay that too, after the fact.',
        `Raw p50/p99 for the tx-shaped floors: select ${selectTx.p50.toFixed(2)}/${selectTx.p99.toFixed(2)} ms, insert ${insertTx.p50.toFixed(2)}/${insertTx.p99.toFixed(2)} ms, RLS ${rlsTx.p50.toFixed(2)}/${rlsTx.p99.toFixed(2)} ms.`,
      ],
    };
  } finally {
    await pool.end();
    await ownerPool.end();
    await db.close();
  }
}

if (isMain(import.meta.url)) {
  run().then(async (r) => {
    await writeResult('rest', r);
    for (const f of r.figures) process.stdout.write(`${f.metric}: ${f.value.toFixed(2)} ${f.unit}${f.floor !== undefined ? ` (floor ${f.floor.toFixed(2)})` : ''}${f.gate ? ` [${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}\n`);
  }).catch((e: unknown) => { console.error(e); process.exit(1); });
}
