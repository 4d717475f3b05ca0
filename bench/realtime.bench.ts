/**
 * Realtime benchmark, on a dedicated embedded stack; clients, writers and the floor
 * consumer each run in their own process (bench/realtime-clients.ts).
 *
 *  1. Latency: 100 realtime-js subscribers in 10 orgs, 1,000 inserts/s round-robin over the
 *     orgs (each visible to 10 subscribers through RLS = 10,000 deliveries/s), commit →
 *     callback beside a raw pgoutput consumer's commit → receipt (the floor). Both use the
 *     commit time truncated to the millisecond (the precision of `commit_timestamp`).
 *  2. Throughput: 1,000 subscribers that all may see every row, with 10 and with 1,000
 *     distinct claim sets (RLS groups); a burst of inserts; deliveries/s at the clients,
 *     beside raw `ws` fan-out of frames of the same size from one process.
 *  3. Memory per idle connection on the server (RSS and heap+external deltas, after GC).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { SignJWT } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { freePort } from '../stack/src/postgres/embedded.ts';
import type { RealtimeService } from '../stack/src/realtime/service.ts';
import { startStack, type Stack } from '../stack/src/start.ts';
import { isMain, writeResult } from './bench-stack.ts';
import type { BenchFigure, BenchResult } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const LAT_SUBSCRIBERS = 100;
const LAT_ORGS = 10;
const LAT_RATE = 1_000;
const LAT_SECONDS = Number(process.env.HOTWATCH_BENCH_RT_SECONDS ?? 10);
const TP_SUBSCRIBERS = 1_000;
const IDLE_CONNECTIONS = 2_000;
/** Run only some parts while investigating: HOTWATCH_BENCH_RT_ONLY=latency,throughput,memory. */
const ONLY = (process.env.HOTWATCH_BENCH_RT_ONLY ?? 'latency,throughput,memory').split(',');

type Reply = { ok?: string; error?: string; [k: string]: unknown };

class Child {
  private readonly proc: ChildProcess;
  private queue: Array<(r: Reply) => void> = [];
  readonly started: Promise<Reply>;

  constructor(name: string) {
    this.proc = fork(path.join(here, 'realtime-clients.ts'), [name], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.started = new Promise((resolve) => this.queue.push(resolve));
    this.proc.on('message', (m: Reply) => this.queue.shift()?.(m));
  }

  call(msg: Record<string, unknown>, timeoutMs = 600_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child timeout on ${String(msg.cmd)}`)), timeoutMs);
      this.queue.push((r) => { clearTimeout(t); if (r.error) reject(new Error(r.error)); else resolve(r); });
      this.proc.send(msg);
    });
  }

  kill(): void {
    this.proc.kill();
  }
}

/** Wait until the clients counted `want` frames, or nothing new arrived for 5 s. */
async function waitCount(clients: Child, want: number): Promise<void> {
  let last = -1;
  let stalledSince = Date.now();
  for (;;) {
    const n = Number((await clients.call({ cmd: 'count-peek' })).count);
    if (n >= want) return;
    if (n !== last) { last = n; stalledSince = Date.now(); }
    if (Date.now() - stalledSince > 5_000) return;
    await sleep(100);
  }
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function gcNow(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => { gc(); gc(); };
}

async function token(secret: string, orgRoles: Record<string, string>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: randomUUID(), role: 'authenticated', aud: 'authenticated', iat: now, exp: now + 7200, org_roles: orgRoles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

async function createTables(stack: Stack): Promise<void> {
  const { sql } = stack;
  await sql.unsafe('create schema if not exists bench');
  await sql.unsafe('grant usage on schema bench to anon, authenticated, service_role');
  for (const t of ['rt_lat', 'rt_tp']) {
    await sql.unsafe(`create table bench.${t} (id bigint generated always as identity primary key, org_id uuid not null, body text, at timestamptz not null default now())`);
    await sql.unsafe(`grant select on bench.${t} to anon, authenticated, service_role`);
    await sql.unsafe(`alter table bench.${t} enable row level security`);
    // The stream tables' policy, verbatim.
    await sql.unsafe(`create policy members on bench.${t} for select to authenticated using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text)`);
    await sql.unsafe(`alter publication supabase_realtime add table bench.${t}`);
  }
}

export async function run(): Promise<BenchResult> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-bench-realtime-'));
  await fs.chmod(root, 0o755);
  const stack = await startStack({
    dataDir: path.join(root, 'pg'), apiPort: await freePort(), dbPort: await freePort(), fresh: true, quiet: true,
    realtime: { maxJoinsPerSecond: 1_000_000, maxConnections: 1_000_000 },
  });
  const rt = stack.services.get('realtime') as RealtimeService;
  const secret = stack.config.keys.jwtSecret;
  const anonKey = stack.config.keys.anonKey;
  const wsUrl = `${stack.apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${anonKey}&vsn=2.0.0`;
  const clients = new Child('clients');
  const writer = new Child('writer');
  const floorProc = new Child('floor');
  const figures: BenchFigure[] = [];
  const notes: string[] = [];
  const gc = gcNow();
  try {
    await Promise.all([clients.started, writer.started, floorProc.started]);
    await createTables(stack);

    // ---- 1. latency ---------------------------------------------------------------------
    if (ONLY.includes('latency')) {
    const orgs = Array.from({ length: LAT_ORGS }, () => randomUUID());
    const tokens = await Promise.all(Array.from({ length: LAT_SUBSCRIBERS }, (_, i) => token(secret, { [orgs[i % LAT_ORGS]!]: 'viewer' })));
    await floorProc.call({ cmd: 'floor', dbUrl: stack.dbUrl, slot: 'bench_floor_slot', table: 'rt_lat' });
    await clients.call({ cmd: 'latency', apiUrl: stack.apiUrl, anonKey, tokens, schema: 'bench', table: 'rt_lat' });
    const before = rt.metrics();
    const w = await writer.call({ cmd: 'write', dbUrl: stack.dbUrl, schema: 'bench', table: 'rt_lat', orgIds: orgs, perSecond: LAT_RATE, seconds: LAT_SECONDS, workers: 4 });
    await sleep(1_500);
    const lat = ((await clients.call({ cmd: 'latency-stop' })).values as number[]);
    const floorAll = ((await floorProc.call({ cmd: 'floor-stop' })).values as number[]);
    await stack.sql`select pg_drop_replication_slot('bench_floor_slot')`.catch(() => {});
    const after = rt.metrics();
    const expected = LAT_RATE * LAT_SECONDS * (LAT_SUBSCRIBERS / LAT_ORGS);
    // Drop the first second (connection warm-up, JIT).
    const ours = lat.slice(LAT_RATE * (LAT_SUBSCRIBERS / LAT_ORGS));
    const floor = floorAll.slice(LAT_RATE);
    const [p50, p95, p99] = [pct(ours, 50), pct(ours, 95), pct(ours, 99)];
    const [f50, f95, f99] = [pct(floor, 50), pct(floor, 95), pct(floor, 99)];
    const achieved = lat.length / Number(w.elapsed);
    figures.push(
      { metric: 'latency: commit → realtime-js callback p50', value: p50, unit: 'ms', floor: f50, gate: '≤ floor + 4 ms', pass: p50 <= f50 + 4, anchor: 'Supabase Broadcast from DB at 10,000 msg/s: p50 46 ms' },
      { metric: 'latency: commit → callback p95', value: p95, unit: 'ms', floor: f95, anchor: 'Supabase: p95 132 ms' },
      { metric: 'latency: commit → callback p99', value: p99, unit: 'ms', floor: f99, gate: '≤ 30 ms', pass: p99 <= 30, anchor: 'Supabase: p99 159 ms' },
      { metric: 'latency run: deliveries/s', value: achieved, unit: 'msg/s', anchor: 'target 10,000/s (1,000 changes/s × 10 subscribers each)' },
      { metric: 'latency run: deliveries received / expected', value: lat.length / expected, unit: 'fraction' },
    );
    notes.push(`Latency run: ${LAT_SUBSCRIBERS} realtime-js 2.109 subscribers (vsn 2.0.0) in ${LAT_ORGS} orgs, ${LAT_RATE} single-row inserts/s for ${LAT_SECONDS} s by 4 writer connections (${String(w.late)} inserts started > 5 ms late), ${lat.length} callbacks; RLS group queries: ${after.rlsGroupQueries! - before.rlsGroupQueries!} over ${after.rlsBatches! - before.rlsBatches!} batches.`);
    notes.push('Latency reference for both the run and its floor is the commit time truncated to the millisecond (Realtime\'s commit_timestamp precision), so both figures carry the same +0..1 ms bias; the floor is pg-logical-replication with its own slot in a separate process.');

    }

    // ---- 2. throughput -------------------------------------------------------------------
    if (ONLY.includes('throughput')) {
    let frameBytes = 1_000;
    const tp: Record<number, number> = {};
    for (const sets of [10, 1_000]) {
      const org = randomUUID();
      const extra = Array.from({ length: sets }, () => randomUUID());
      const tpTokens = await Promise.all(Array.from({ length: TP_SUBSCRIBERS }, (_, i) => token(secret, { [org]: 'viewer', [extra[i % sets]!]: 'viewer' })));
      await clients.call({ cmd: 'subscribers', url: wsUrl, tokens: tpTokens, topic: 'tp', binding: { event: 'INSERT', schema: 'bench', table: 'rt_tp' }, batch: 50 });
      const rows = sets === 10 ? 300 : 150;
      const m0 = rt.metrics();
      await clients.call({ cmd: 'count-start' });
      await writer.call({ cmd: 'burst', dbUrl: stack.dbUrl, schema: 'bench', table: 'rt_tp', orgId: org, count: rows });
      const want = rows * TP_SUBSCRIBERS;
      await waitCount(clients, want);
      const c = await clients.call({ cmd: 'count-stop' });
      const m1 = rt.metrics();
      const rate = Number(c.count) / ((Number(c.last) - Number(c.first)) / 1000);
      tp[sets] = rate;
      frameBytes = Math.round(Number(c.bytes) / Math.max(1, Number(c.count)));
      notes.push(`Throughput, ${sets} claim sets: ${rows} inserts → ${String(c.count)} of ${want} deliveries received in ${((Number(c.last) - Number(c.first)) / 1000).toFixed(2)} s; ${m1.rlsGroupQueries! - m0.rlsGroupQueries!} RLS group queries in ${m1.rlsBatches! - m0.rlsBatches!} batches; ${frameBytes}-byte frames.`);
      await clients.call({ cmd: 'close-all' });
      await sleep(500);
    }

    // Raw ws fan-out floor: one process sending frames of the same size to 1,000 clients in another.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const port = (wss.address() as { port: number }).port;
    const conns: WebSocket[] = [];
    wss.on('connection', (ws) => conns.push(ws));
    await clients.call({ cmd: 'raw-connect', url: `ws://127.0.0.1:${port}`, n: TP_SUBSCRIBERS });
    await clients.call({ cmd: 'count-start' });
    const frame = Buffer.from(JSON.stringify([null, null, 'realtime:tp', 'postgres_changes', { ids: [1], data: { body: 'x'.repeat(Math.max(0, frameBytes - 80)) } }]));
    const rounds = 300;
    for (let r = 0; r < rounds; r++) {
      for (const ws of conns) ws.send(frame, { binary: false });
      if (r % 10 === 9) while (conns.some((ws) => ws.bufferedAmount > 1 << 20)) await sleep(1);
    }
    await waitCount(clients, rounds * TP_SUBSCRIBERS);
    const raw = await clients.call({ cmd: 'count-stop' });
    const rawRate = Number(raw.count) / ((Number(raw.last) - Number(raw.first)) / 1000);
    await clients.call({ cmd: 'close-all' });
    wss.close();
    figures.push(
      { metric: 'throughput: RLS-authorized deliveries/s, 1,000 subscribers, 10 claim sets', value: tp[10]!, unit: 'msg/s', floor: rawRate, gate: '≥ 0.4 × raw ws fan-out', pass: tp[10]! >= 0.4 * rawRate, anchor: 'Supabase Postgres Changes with RLS: ~3,000–4,000 msg/s total (throughput estimator)' },
      { metric: 'throughput: RLS-authorized deliveries/s, 1,000 subscribers, 1,000 claim sets', value: tp[1_000]!, unit: 'msg/s', floor: rawRate },
      { metric: 'raw ws fan-out, one process → 1,000 clients', value: rawRate, unit: 'msg/s', anchor: '≈ 80k msgs/s on this machine (300-byte frames)' },
    );

    }

    // ---- 3. memory per idle connection ---------------------------------------------------
    if (ONLY.includes('memory')) {
    for (const join of [false, true]) {
      await sleep(500);
      gc();
      const m0 = process.memoryUsage();
      await clients.call({ cmd: 'idle', url: wsUrl, n: IDLE_CONNECTIONS, join });
      await sleep(1_500);
      gc();
      const m1 = process.memoryUsage();
      const rssKb = (m1.rss - m0.rss) / IDLE_CONNECTIONS / 1024;
      const heapKb = (m1.heapUsed + m1.external - m0.heapUsed - m0.external) / IDLE_CONNECTIONS / 1024;
      if (!join) {
        figures.push({ metric: 'memory per idle connection (server RSS delta)', value: rssKb, unit: 'KB', gate: '≤ 50 KB', pass: rssKb <= 50 });
        figures.push({ metric: 'memory per idle connection (server heap + external delta)', value: heapKb, unit: 'KB' });
      } else {
        figures.push({ metric: 'memory per idle connection with one joined channel (RSS delta)', value: rssKb, unit: 'KB' });
      }
      await clients.call({ cmd: 'close-all' });
    }
    }
    notes.push(`Memory: ${IDLE_CONNECTIONS} idle vsn 2 WebSockets opened from the client process; the server process's RSS and V8 heap+external before/after (forced GC). The server process also hosts the rest of the embedded stack.`);
    notes.push(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; PostgreSQL, the server, the clients, the writer and the floor consumer share it.`);
    return { name: 'realtime', figures, notes };
  } finally {
    clients.kill();
    writer.kill();
    floorProc.kill();
    await stack.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const result = await run();
  for (const f of result.figures) {
    console.log(`${f.metric}: ${f.value.toFixed(2)} ${f.unit}${f.floor !== undefined ? ` (floor ${f.floor.toFixed(2)})` : ''}${f.gate ? ` [gate ${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}`);
  }
  for (const n of result.notes ?? []) console.log(`- ${n}`);
  await writeResult('realtime', result);
  process.exit(0);
}
