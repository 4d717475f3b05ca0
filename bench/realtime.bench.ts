/**
 * Realtime benchmark, on a dedicated embedded stack; clients, writers and the floor
 * consumer each run in their own process (bench/realtime-clients.ts).
 *
 *  1. Latency: 100 realtime-js subscribers in 10 orgs, 1,000 inserts/s round-robin over the
 *     orgs (each visible to 10 subscribers through RLS = 10,000 deliveries/s), commit →
 *     callback beside a raw pgoutput consumer's commit → receipt (the floor). Both use the
 *     commit time truncated to the millisecond (the precision of `commit_timestamp`). The
 *     clients are spread over 4 processes (gated), then all run in one (reported beside it).
 *  2. Throughput: 1,000 subscribers that all may see every row, with 10 and with 1,000
 *     distinct claim sets (RLS groups); a burst of inserts; deliveries/s at the clients,
 *     beside raw `ws` fan-out of frames of the same size from one process.
 *  3. Memory per idle connection on the server (RSS and heap+external deltas, after GC).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { SignJWT } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { freePort } from '../stack/src/postgres/embedded.ts';
import type { RealtimeService } from '../stack/src/realtime/service.ts';
import { startStack, type Stack } from '../stack/src/start.ts';
import { isMain, writeResult } from './bench-stack.ts';
import { Child, pct, stagesNote } from './child.ts';
import { watchGc } from './gc-watch.ts';
import type { BenchFigure, BenchResult } from './types.ts';
import { freeStackPorts } from '../tests/support/ports.ts';

const LAT_SUBSCRIBERS = 100;
const LAT_ORGS = 10;
const LAT_RATE = 1_000;
const LAT_SECONDS = Number(process.env.HOTWATCH_BENCH_RT_SECONDS ?? 10);
/**
 * Seconds written at the full rate before the measured seconds, and left out of both our
 * figures and the floor's: fresh processes run the hot paths interpreted until V8 has
 * compiled them, and the first seconds' backlog takes a while to drain (the per-second
 * figures in the notes show it).
 */
const LAT_WARMUP_SECONDS = Number(process.env.HOTWATCH_BENCH_RT_WARMUP_SECONDS ?? 5);
/**
 * Client processes for the latency run's 100 realtime-js clients (subscriber i in process
 * i mod N). Real subscribers are separate devices, each with its own event loop; 100 of
 * them in one process queue behind each other (10,000 callbacks/s on one thread), which
 * shows in the p99. The gated run spreads them over 4; a second pass with all of them in
 * one process is reported beside it, without a gate.
 */
/**
 * The latency gates (issue #26, "Realtime headroom"): what Realtime may add on top of the
 * raw pgoutput floor measured in the same pass — one more process hop, RLS, fan-out.
 */
const P50_HEADROOM_MS = 2;
const P99_HEADROOM_MS = 6;
const LAT_CLIENT_PROCS = Number(process.env.HOTWATCH_BENCH_RT_CLIENT_PROCS ?? 4);
const TP_SUBSCRIBERS = 1_000;
const IDLE_CONNECTIONS = 2_000;
/** Run only some parts while investigating: HOTWATCH_BENCH_RT_ONLY=latency,throughput,memory. */
const ONLY = (process.env.HOTWATCH_BENCH_RT_ONLY ?? 'latency,throughput,memory').split(',');

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

interface CpuSnap { at: number; server: number; serverSystem: number; serverPreempted: number; clients: number; clientsPreempted: number; writer: number; floor: number; busy: number; total: number }

/** CPU time of this process and the three children, and the machine's busy/total jiffies (Linux /proc/stat). */
async function cpuSnapshot(e: Env, clientProcs: Child[]): Promise<CpuSnap> {
  const u = process.resourceUsage();
  const replies = await Promise.all([e.writer, e.floorProc, ...clientProcs].map((ch) => ch.call({ cmd: 'cpu' })));
  const [w, f, ...cs] = replies.map((r) => Number(r.micros));
  const c = cs.reduce((a, b) => a + b!, 0);
  const cPre = replies.slice(2).reduce((a, r) => a + Number(r.preempted), 0);
  const fields = (await fs.readFile('/proc/stat', 'utf8').catch(() => 'cpu 0 0 0 0')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return { at: performance.now(), server: u.userCPUTime + u.systemCPUTime, serverSystem: u.systemCPUTime, serverPreempted: u.involuntaryContextSwitches, clients: c, clientsPreempted: cPre, writer: w!, floor: f!, busy: total - idle, total };
}

function cpuShares(a: CpuSnap, b: CpuSnap): Record<'server' | 'serverSystem' | 'clients' | 'writer' | 'floor' | 'machineBusy' | 'serverPreempted' | 'clientsPreempted', string> {
  const wallMicros = (b.at - a.at) * 1000;
  const pctOf = (k: 'server' | 'serverSystem' | 'clients' | 'writer' | 'floor'): string => `${(((b[k] - a[k]) / wallMicros) * 100).toFixed(0)} %`;
  const perSecond = (k: 'serverPreempted' | 'clientsPreempted'): string => ((b[k] - a[k]) / ((b.at - a.at) / 1000)).toFixed(0);
  return {
    server: pctOf('server'), serverSystem: pctOf('serverSystem'), clients: pctOf('clients'), writer: pctOf('writer'), floor: pctOf('floor'),
    machineBusy: `${(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100).toFixed(0)} %`,
    serverPreempted: perSecond('serverPreempted'), clientsPreempted: perSecond('clientsPreempted'),
  };
}

/** GC pauses in this process (which hosts the stack, hence the Realtime server) until stop(). */
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
  // The minutely hotspot scans (pg_cron → edge function) would compete for the CPU.
  await sql`select cron.unschedule(jobid) from cron.job`.catch(() => {});
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

interface Env {
  stack: Stack;
  rt: RealtimeService;
  secret: string;
  anonKey: string;
  wsUrl: string;
  clients: Child;
  writer: Child;
  floorProc: Child;
  figures: BenchFigure[];
  notes: string[];
}

/**
 * 1. commit → realtime-js callback at 10,000 deliveries/s, beside the raw pgoutput floor;
 * `gated` is the run the gates apply to, the other is labelled by its process count.
 */
async function latencyRun(e: Env, nProcs: number, gated: boolean): Promise<void> {
  // Own client processes for this run (see LAT_CLIENT_PROCS); e.clients serves the other runs.
  const procs = Array.from({ length: nProcs }, () => new Child('clients'));
  try {
    await Promise.all(procs.map((p) => p.started));
    await latencyWith(e, procs, gated);
  } finally {
    for (const p of procs) p.kill();
  }
}

async function latencyWith(e: Env, procs: Child[], gated: boolean): Promise<void> {
  const { stack, rt, writer, floorProc } = e;
  const orgs = Array.from({ length: LAT_ORGS }, () => randomUUID());
  const tokens = await Promise.all(Array.from({ length: LAT_SUBSCRIBERS }, (_, i) => token(e.secret, { [orgs[i % LAT_ORGS]!]: 'viewer' })));
  await floorProc.call({ cmd: 'floor', dbUrl: stack.dbUrl, slot: 'bench_floor_slot', table: 'rt_lat' });
  await Promise.all(procs.map((p, k) => p.call({ cmd: 'latency', apiUrl: stack.apiUrl, anonKey: e.anonKey, tokens: tokens.filter((_, i) => i % procs.length === k), first: k, every: procs.length, schema: 'bench', table: 'rt_lat' })));
  const before = rt.metrics();
  rt.resetLag();
  const gcs = watchGc();
  const cpu0 = await cpuSnapshot(e, procs);
  // Server stage figures cover the measured seconds too.
  const warm = setTimeout(() => rt.resetLag(), LAT_WARMUP_SECONDS * 1_000 + 100);
  const w = await writer.call({ cmd: 'write', dbUrl: stack.dbUrl, schema: 'bench', table: 'rt_lat', orgIds: orgs, perSecond: LAT_RATE, seconds: LAT_WARMUP_SECONDS + LAT_SECONDS, workers: 8 }).finally(() => clearTimeout(warm));
  await sleep(1_500);
  const cpu = cpuShares(cpu0, await cpuSnapshot(e, procs));
  const stopped = await Promise.all(procs.map((p) => p.call({ cmd: 'latency-stop' })));
  const perProc = stopped.map((r) => r.values as number[]);
  const clientStats = stopped.map((r, k) => `process ${k + 1}: ${String(r.process)}`).join('; ');
  const lat = perProc.flat();
  const floorAll = (await floorProc.call({ cmd: 'floor-stop' })).values as number[];
  await stack.sql`select pg_drop_replication_slot('bench_floor_slot')`.catch(() => {});
  const after = rt.metrics();
  const gcStats = gcs.stop();
  const perChange = LAT_SUBSCRIBERS / LAT_ORGS;
  const expected = LAT_RATE * (LAT_WARMUP_SECONDS + LAT_SECONDS) * perChange;
  // Leave the warm-up seconds out of both, by arrival order.
  const ours = perProc.flatMap((v) => v.slice(Math.round((LAT_WARMUP_SECONDS * LAT_RATE * perChange) / procs.length)));
  const floor = floorAll.slice(LAT_WARMUP_SECONDS * LAT_RATE);
  const [p50, p95, p99] = [pct(ours, 50), pct(ours, 95), pct(ours, 99)];
  // Per second of the run (arrival order, one process's share of 10,000 deliveries each): where the tail comes from.
  const first = perProc[0]!;
  const perProcSecond = (LAT_RATE * perChange) / procs.length;
  const perSecond: string[] = [];
  for (let at = 0; at < first.length; at += perProcSecond) {
    const w = first.slice(at, at + perProcSecond);
    perSecond.push(`${pct(w, 50).toFixed(0)}/${pct(w, 99).toFixed(0)}/${Math.max(...w).toFixed(0)}`);
  }
  const [f50, f95, f99] = [pct(floor, 50), pct(floor, 95), pct(floor, 99)];
  if (!gated) {
    const label = `all ${LAT_SUBSCRIBERS} clients in ${procs.length === 1 ? 'one process' : `${procs.length} processes`}`;
    e.figures.push(
      { metric: `latency (${label}): commit → callback p50`, value: p50, unit: 'ms', floor: f50 },
      { metric: `latency (${label}): commit → callback p99`, value: p99, unit: 'ms', floor: f99 },
    );
    e.notes.push(`Latency run with ${label} (no gate): p50/p95/p99 ${p50.toFixed(1)}/${p95.toFixed(1)}/${p99.toFixed(1)} ms, floor ${f50.toFixed(1)}/${f95.toFixed(1)}/${f99.toFixed(1)} ms in that pass; server commit → frames written p50/p99 ${after.sendP50Ms!.toFixed(1)}/${after.sendP99Ms!.toFixed(1)} ms; per second (p50/p99/max, first process, warm-up first): ${perSecond.join(', ')}.`);
    return;
  }
  e.figures.push(
    { metric: 'latency: commit → realtime-js callback p50', value: p50, unit: 'ms', floor: f50, gate: `≤ floor + ${P50_HEADROOM_MS} ms`, pass: p50 <= f50 + P50_HEADROOM_MS, anchor: 'Supabase Broadcast from DB at 10,000 msg/s: p50 46 ms' },
    { metric: 'latency: commit → callback p95', value: p95, unit: 'ms', floor: f95, anchor: 'Supabase: p95 132 ms' },
    { metric: 'latency: commit → callback p99', value: p99, unit: 'ms', floor: f99, gate: `≤ floor + ${P99_HEADROOM_MS} ms`, pass: p99 <= f99 + P99_HEADROOM_MS, anchor: 'Supabase: p99 159 ms' },
    { metric: 'latency: commit → frames written by the server p50', value: after.sendP50Ms!, unit: 'ms' },
    { metric: 'latency: commit → frames written by the server p99', value: after.sendP99Ms!, unit: 'ms' },
    { metric: 'latency run: deliveries/s', value: lat.length / Number(w.elapsed), unit: 'msg/s', anchor: 'target 10,000/s (1,000 changes/s × 10 subscribers each)' },
    { metric: 'latency run: deliveries received / expected', value: lat.length / expected, unit: 'fraction' },
  );
  e.notes.push(`Latency run: ${LAT_SUBSCRIBERS} realtime-js 2.109 subscribers (vsn 2.0.0) in ${LAT_ORGS} orgs, spread over ${procs.length} client processes, ${LAT_RATE} single-row inserts/s for ${LAT_WARMUP_SECONDS} s of warm-up and ${LAT_SECONDS} s measured, from 8 writer connections (${String(w.late)} inserts started > 5 ms late), ${lat.length} callbacks; ${after.rlsGroupQueries! - before.rlsGroupQueries!} RLS group queries in ${after.rlsBatches! - before.rlsBatches!} batches, ${(after.rlsCachedVerdicts ?? 0) - (before.rlsCachedVerdicts ?? 0)} (group, change) verdicts from the authorizer's cache; ${(after.visibilityWaits ?? 0) - (before.visibilityWaits ?? 0)} 1-ms waits for a decoded commit to become visible.`);
  // Where the headroom went: the server's own commit → decoded against the floor's commit → receipt (the same hop, PostgreSQL → a Node process).
  e.notes.push(`Latency run, headroom used: p50 +${(p50 - f50).toFixed(1)} ms (gate ${P50_HEADROOM_MS}), p99 +${(p99 - f99).toFixed(1)} ms (gate ${P99_HEADROOM_MS}); of the p99, the stack process's WAL commit → decoded is ${(after.walP99Ms! - f99).toFixed(1)} ms above the floor's commit → receipt, frames written → callback adds ${(p99 - after.sendP99Ms!).toFixed(1)} ms.`);
  e.notes.push(`Latency run, ${stagesNote(after)}; GC in the server process: ${gcStats}.`);
  e.notes.push(`Latency run, commit → callback p50/p99/max ms per second of the run (first client process; the first ${LAT_WARMUP_SECONDS} are the warm-up): ${perSecond.join(', ')}.`);
  e.notes.push(`Latency run, realtime-js client processes (from subscribing to the end): ${clientStats}.`);
  e.notes.push(`Latency run, CPU used during the run (% of one core): server process (the whole stack) ${cpu.server} (${cpu.serverSystem} in the kernel; preempted ${cpu.serverPreempted} times/s), realtime-js client processes (together) ${cpu.clients} (preempted ${cpu.clientsPreempted} times/s), writer process ${cpu.writer}, floor consumer ${cpu.floor}; the whole machine was ${cpu.machineBusy} busy (both cores; other users included).`);
  e.notes.push('Latency reference for the run and its floor alike is the commit time truncated to the millisecond (the precision of commit_timestamp), so both carry the same +0..1 ms bias; the floor is pg-logical-replication on its own slot in its own process.');
}

/** 2. deliveries/s with 1,000 subscribers (10 and 1,000 claim sets) beside raw ws fan-out. */
async function throughputRun(e: Env): Promise<void> {
  const { stack, rt, clients, writer } = e;
  let frameBytes = 1_000;
  const tp: Record<number, number> = {};
  for (const sets of [10, 1_000]) {
    const org = randomUUID();
    const extra = Array.from({ length: sets }, () => randomUUID());
    const tpTokens = await Promise.all(Array.from({ length: TP_SUBSCRIBERS }, (_, i) => token(e.secret, { [org]: 'viewer', [extra[i % sets]!]: 'viewer' })));
    await clients.call({ cmd: 'subscribers', url: e.wsUrl, tokens: tpTokens, topic: 'tp', binding: { event: 'INSERT', schema: 'bench', table: 'rt_tp' }, batch: 50 });
    const rows = sets === 10 ? 300 : 150;
    // Best of three bursts: the machine is shared and single runs are noisy.
    let best = 0;
    for (let run = 0; run < 3; run++) {
      const m0 = rt.metrics();
      await clients.call({ cmd: 'count-start' });
      await writer.call({ cmd: 'burst', dbUrl: stack.dbUrl, schema: 'bench', table: 'rt_tp', orgId: org, count: rows });
      const want = rows * TP_SUBSCRIBERS;
      await waitCount(clients, want);
      const c = await clients.call({ cmd: 'count-stop' });
      const m1 = rt.metrics();
      const seconds = (Number(c.last) - Number(c.first)) / 1000;
      const rate = Number(c.count) / seconds;
      best = Math.max(best, rate);
      frameBytes = Math.round(Number(c.bytes) / Math.max(1, Number(c.count)));
      e.notes.push(`Throughput, ${sets} claim sets, burst ${run + 1}: ${rows} inserts → ${String(c.count)} of ${want} deliveries received in ${seconds.toFixed(2)} s (${Math.round(rate)}/s); ${m1.rlsGroupQueries! - m0.rlsGroupQueries!} RLS group queries in ${m1.rlsBatches! - m0.rlsBatches!} batches; ${frameBytes}-byte frames.`);
      await sleep(300);
    }
    tp[sets] = best;
    await clients.call({ cmd: 'close-all' });
    await sleep(500);
  }

  // Raw ws fan-out: one process sending frames of the same size to 1,000 clients in another.
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as { port: number }).port;
  const conns: WebSocket[] = [];
  wss.on('connection', (ws) => conns.push(ws));
  await clients.call({ cmd: 'raw-connect', url: `ws://127.0.0.1:${port}`, n: TP_SUBSCRIBERS });
  const frame = Buffer.from(JSON.stringify([null, null, 'realtime:tp', 'postgres_changes', { ids: [1], data: { body: 'x'.repeat(Math.max(0, frameBytes - 80)) } }]));
  // Two floors: a plain ws.send loop (how the reference figure, ≈ 80k msgs/s, was taken) and
  // the same with ten frames per socket corked into one write (what the server does per batch).
  const rounds = 300;
  const fanOut = async (corked: boolean): Promise<number> => {
    let best = 0;
    for (let run = 0; run < 3; run++) {
      await clients.call({ cmd: 'count-start' });
      for (let r = 0; r < rounds; r += 10) {
        for (const ws of conns) {
          const sock = (ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
          if (corked) sock.cork();
          for (let k = 0; k < 10; k++) ws.send(frame, { binary: false });
          if (corked) sock.uncork();
        }
        while (conns.some((ws) => ws.bufferedAmount > 1 << 20)) await sleep(1);
      }
      await waitCount(clients, rounds * TP_SUBSCRIBERS);
      const raw = await clients.call({ cmd: 'count-stop' });
      best = Math.max(best, Number(raw.count) / ((Number(raw.last) - Number(raw.first)) / 1000));
      await sleep(300);
    }
    return best;
  };
  const rawRate = await fanOut(false);
  const rawCorked = await fanOut(true);
  await clients.call({ cmd: 'close-all' });
  wss.close();
  e.figures.push(
    { metric: 'throughput: RLS-authorized deliveries/s, 1,000 subscribers, 10 claim sets', value: tp[10]!, unit: 'msg/s', floor: rawRate, gate: '≥ 0.4 × raw ws fan-out', pass: tp[10]! >= 0.4 * rawRate, anchor: 'Supabase Postgres Changes with RLS: ~3,000–4,000 msg/s in total (throughput estimator)' },
    { metric: 'throughput: RLS-authorized deliveries/s, 1,000 subscribers, 1,000 claim sets', value: tp[1_000]!, unit: 'msg/s', floor: rawRate },
    { metric: 'raw ws fan-out, one process → 1,000 clients in another (plain send loop)', value: rawRate, unit: 'msg/s', anchor: '≈ 80k msgs/s on this machine (300-byte frames, reference measurement)' },
    { metric: 'raw ws fan-out, ten frames per corked write (upper bound)', value: rawCorked, unit: 'msg/s' },
    { metric: 'throughput, 10 claim sets ÷ corked raw fan-out', value: tp[10]! / rawCorked, unit: 'ratio' },
  );
  e.notes.push(`Throughput: every subscriber may see every row (member of the rows' org) and carries one more org in its claims, giving 10 or 1,000 distinct RLS groups; deliveries/s counted at the clients from first to last frame, best of three bursts. Raw fan-out sends ${frameBytes}-byte frames, the size of the run's deliveries (plain loop, and ten per socket per corked write), best of three each; the gate uses the plain loop, as the reference figure was taken.`);
}

/** 3. server memory per idle connection (and with one joined channel); runs first, on a quiet heap. */
async function memoryRun(e: Env, gc: () => void): Promise<void> {
  const measured: Record<string, { rss: number; heap: number }> = {};
  for (const join of [false, true]) {
    await sleep(500);
    gc();
    const m0 = process.memoryUsage();
    await e.clients.call({ cmd: 'idle', url: e.wsUrl, n: IDLE_CONNECTIONS, join });
    await sleep(1_500);
    gc();
    const m1 = process.memoryUsage();
    measured[join ? 'joined' : 'bare'] = {
      rss: (m1.rss - m0.rss) / IDLE_CONNECTIONS / 1024,
      heap: (m1.heapUsed + m1.external + m1.arrayBuffers - m0.heapUsed - m0.external - m0.arrayBuffers) / IDLE_CONNECTIONS / 1024,
    };
    await e.clients.call({ cmd: 'close-all' });
  }
  const bare = measured.bare!, joined = measured.joined!;
  const worst = Math.max(bare.rss, bare.heap);
  e.figures.push(
    { metric: 'memory per idle connection (max of server RSS and V8 heap+external deltas)', value: worst, unit: 'KB', gate: '≤ 50 KB', pass: worst <= 50 },
    { metric: 'memory per idle connection: server RSS delta', value: bare.rss, unit: 'KB' },
    { metric: 'memory per idle connection: server V8 heap + external delta', value: bare.heap, unit: 'KB' },
    { metric: 'memory per idle connection with one joined channel (max of the two deltas)', value: Math.max(joined.rss, joined.heap), unit: 'KB' },
  );
  e.notes.push(`Memory: ${IDLE_CONNECTIONS} idle vsn 2 WebSockets opened from the client process (then the same with one joined channel each); the server process's RSS and V8 heap+external+arrayBuffers before/after, each after a forced GC, divided by the count. The server process also hosts the rest of the embedded stack, so RSS is noisy; the gate takes the larger delta.`);
}

export async function run(): Promise<BenchResult> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-bench-realtime-'));
  await fs.chmod(root, 0o755);
  const stack = await startStack({
    dataDir: path.join(root, 'pg'), ...(await freeStackPorts()), fresh: true, quiet: true,
    realtime: { maxJoinsPerSecond: 1_000_000, maxConnections: 1_000_000 },
  });
  const anonKey = stack.config.keys.anonKey;
  const e: Env = {
    stack, rt: stack.services.get('realtime') as RealtimeService, secret: stack.config.keys.jwtSecret, anonKey,
    wsUrl: `${stack.apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${anonKey}&vsn=2.0.0`,
    clients: new Child('clients'), writer: new Child('writer'), floorProc: new Child('floor'), figures: [], notes: [],
  };
  const gc = gcNow();
  try {
    await Promise.all([e.clients.started, e.writer.started, e.floorProc.started]);
    await createTables(stack);
    if (ONLY.includes('memory')) await memoryRun(e, gc);
    if (ONLY.includes('latency')) {
      await latencyRun(e, LAT_CLIENT_PROCS, true);
      if (LAT_CLIENT_PROCS !== 1) await latencyRun(e, 1, false);
    }
    if (ONLY.includes('throughput')) await throughputRun(e);
    e.notes.push(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg()[0]!.toFixed(1)} at the end; PostgreSQL, the server, the clients, the writer and the floor consumer share it.`);
    return { name: 'realtime', figures: e.figures, notes: e.notes };
  } finally {
    e.clients.kill();
    e.writer.kill();
    e.floorProc.kill();
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
