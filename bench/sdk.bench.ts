/**
 * Client SDK benchmark, on a dedicated embedded stack (no confirmation delay):
 *
 *  1. Bundle size: the built package (client-sdk/dist, as `npm pack` ships it) bundled by
 *     esbuild, minified, supabase-js external, gzip -9 (gate ≤ 15 kB).
 *  2. Overhead per delivered change against a bare supabase-js channel in the same run:
 *     both subscribe to the same stream while 500 changes/s are written; (a) the SDK's
 *     receive time minus the bare channel's for the same (id, version), (b) the client
 *     CPU cost per change, replaying the payloads the bare channel received through the
 *     SDK (feed, ledger, filters, view) vs a bare handler.
 *  3. Catch-up cost after gaps of 1, 10 and 60 s at 500 changes/s: the subscriber's
 *     network (a TCP proxy in front of the gateway) is cut for the gap while writes
 *     continue; when it comes back the SDK is told so (as a browser's `online` event
 *     does) and we measure the time back to live on all three streams and the rows
 *     stream_resume returned.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import type { SupabaseClient } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import { createHotwatch, type Database, type Hotwatch, type StreamName } from '../client-sdk/src/index.ts';
import { insertChain } from '../tests/integration/sdk/helpers.ts';
import { createTestOrg } from '../tests/support/fixtures.ts';
import { BUNDLE_GATE_BYTES, buildSdk, bundleSize, SDK_DIR } from '../tests/support/sdk-package.ts';
import { benchDb, isMain, writeResult } from './bench-stack.ts';
import { memberClient } from '../tests/support/member-client.ts';
import { startLoad, type Chain } from './stream-load.ts';
import type { BenchFigure, BenchResult } from './types.ts';

const RATE = 500;
const GAPS_S = (process.env.HOTWATCH_BENCH_SDK_GAPS ?? '1,10,60').split(',').map(Number);
const OVERHEAD_SECONDS = 10;
const CHAINS = 500;
const STREAMS: StreamName[] = ['hotspots', 'alerts', 'recommendations'];
const LOAD = { rate: RATE, writers: 3, perTransaction: 1 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]! : NaN;
};

/** A TCP proxy in front of the gateway whose "network" can be cut and restored. */
class Proxy {
  private server!: net.Server;
  private sockets = new Set<net.Socket>();
  private down = false;
  port = 0;
  constructor(private readonly upstreamPort: number) {}
  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      if (this.down) { client.destroy(); return; }
      const up = net.connect(this.upstreamPort, '127.0.0.1');
      for (const s of [client, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(up).pipe(client);
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  cut(): void {
    this.down = true;
    for (const s of this.sockets) s.destroy();
  }
  restore(): void {
    this.down = false;
  }
  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

async function waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Replay captured realtime-js payloads through the SDK vs a bare handler; µs per change. */
async function replayCost(payloads: unknown[]): Promise<{ sdk: number; bare: number }> {
  let cb: ((p: unknown) => void) | undefined;
  let statusCb: ((s: string) => void) | undefined;
  let systemCb: ((p: unknown) => void) | undefined;
  const channel = {
    on(type: string, _f: unknown, fn: (p: unknown) => void) {
      if (type === 'postgres_changes') cb = fn;
      if (type === 'system') systemCb = fn;
      return channel;
    },
    subscribe(fn: (s: string) => void) { statusCb = fn; return channel; },
  };
  const fake = {
    realtime: { accessTokenValue: null, setAuth: async () => {}, connect: () => {}, disconnect: async () => {}, isConnected: () => true, isConnecting: () => false },
    auth: { onAuthStateChange: () => ({ data: { subscription: { unsubscribe: () => {} } } }) },
    functions: { invoke: async () => ({ data: null, error: null }) },
    channel: () => channel,
    removeChannel: async () => 'ok',
    getChannels: () => [],
    rpc: () => {
      const b = { setHeader: () => b, abortSignal: () => b, then: (ok: (v: unknown) => unknown) => Promise.resolve({ data: { rows: [], next: 0, cursor: '1', done: true }, error: null, status: 200 }).then(ok) };
      return b;
    },
  };
  const rounds = 9;
  const sdkUs: number[] = [];
  const bareUs: number[] = [];
  let sink = 0;
  for (let round = 0; round < rounds; round++) {
    const hw = createHotwatch(fake as never);
    hw.subscribe('hotspots', (e) => { if (e.type === 'upsert') sink += e.row.version; }, { status: ['new', 'ongoing'] });
    await sleep(0);
    statusCb!('SUBSCRIBED');
    systemCb!({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' });
    await sleep(0);
    let t = process.hrtime.bigint();
    for (const p of payloads) cb!(p);
    sdkUs.push(Number(process.hrtime.bigint() - t) / payloads.length / 1000);
    const bare = (p: unknown): void => { sink += (p as { new: { version: number } }).new.version; };
    t = process.hrtime.bigint();
    for (const p of payloads) bare(p);
    bareUs.push(Number(process.hrtime.bigint() - t) / payloads.length / 1000);
    await hw.close();
  }
  if (sink === -1) console.log(sink);
  // Median of the rounds: single rounds are dominated by GC pauses and JIT warm-up.
  return { sdk: quantile(sdkUs, 0.5), bare: quantile(bareUs, 0.5) };
}

export async function run(): Promise<BenchResult> {
  const figures: BenchFigure[] = [];
  const notes: string[] = [];

  await buildSdk();
  const size = await bundleSize(path.join(SDK_DIR, 'dist', 'index.js'));
  figures.push({ metric: 'bundle size min+gzip (supabase-js external)', value: size.gzip / 1024, unit: 'kB', gate: '≤ 15 kB', pass: size.gzip <= BUNDLE_GATE_BYTES });
  figures.push({ metric: 'bundle size minified', value: size.min / 1024, unit: 'kB' });

  const db = await benchDb('sdk');
  if (!db.stack) throw new Error('the SDK bench needs the embedded stack (unset HOTWATCH_BENCH_DB_URL)');
  const stack = db.stack;
  const proxy = new Proxy(stack.config.apiPort);
  await proxy.start();
  const hws: Hotwatch[] = [];
  const clients: SupabaseClient<Database>[] = [];
  // Default synchronous_commit, as the product's functions commit: a logical walsender
  // decodes only WAL that is flushed, so asynchronous commits reach Realtime only when the
  // WAL writer flushes them (wal_writer_delay, 200 ms) — see docs/realtime.md.
  const wsql = (await import('postgres')).default(stack.dbUrl, { max: 6, onnotice: () => {} });
  try {
    const org = await createTestOrg(db.sql, 'bench-sdk');
    const [pb] = await db.sql<{ id: string }[]>`insert into public.playbooks (org_id, slug, title, category, body)
      values (${org.id}, ${'pb-' + randomUUID().slice(0, 8)}, 'Bench playbook', 'fire', 'body') returning id`;
    const chains: Chain[] = [];
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (let i = w; i < CHAINS; i += 4) chains.push(await insertChain(wsql, org.id, `b${i}`, pb!.id));
    }));
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ role: 'authenticated', aud: 'authenticated', sub: org.viewer.id, org_roles: { [org.id]: 'viewer' }, iat: now, exp: now + 7200 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(stack.config.keys.jwtSecret));

    // ---- 2. overhead against a bare channel ------------------------------------------
    // One client (one socket) for both, so the server's fan-out order is the only other difference.
    const bareClient = memberClient(stack.apiUrl, stack.config.keys.anonKey, token);
    const sdkClient = bareClient;
    clients.push(bareClient);
    const bareAt = new Map<string, number>();
    const sdkAt = new Map<string, number>();
    const commitAt = new Map<string, number>();
    const captured: unknown[] = [];
    let bareReady = false;
    const bare = bareClient.channel(`bench-bare-${randomUUID().slice(0, 6)}`)
      .on('postgres_changes', { event: '*', schema: 'public', table: 'hotspots', filter: `org_id=eq.${org.id}` }, (p) => {
        const r = p.new as { id: number; version: number };
        bareAt.set(`${r.id}:${r.version}`, performance.now());
        if (captured.length < 20_000) captured.push(p);
      })
      .on('system', {}, (p: { status?: string }) => { if (p.status === 'ok') bareReady = true; })
      .subscribe();
    const hwDirect = createHotwatch(sdkClient);
    hws.push(hwDirect);
    hwDirect.subscribe('hotspots', (e) => { if (e.type === 'upsert' && e.source === 'live') sdkAt.set(`${e.row.id}:${e.row.version}`, performance.now()); }, { orgId: org.id });
    await waitFor(() => bareReady && hwDirect.status === 'live', 30_000, 'both subscribers live');
    let load = startLoad(wsql, [chains], LOAD, (pairs, at) => { for (const [id, v] of pairs) commitAt.set(`${id}:${v}`, at); });
    await sleep(OVERHEAD_SECONDS * 1000);
    let written = await load.stop();
    await sleep(2_000);
    const diffs: number[] = [];
    const bareLat: number[] = [];
    const sdkLat: number[] = [];
    for (const [k, t] of sdkAt) {
      const b = bareAt.get(k);
      const c = commitAt.get(k);
      if (b !== undefined) diffs.push(t - b);
      if (c !== undefined) {
        sdkLat.push(t - c);
        if (b !== undefined) bareLat.push(b - c);
      }
    }
    figures.push({ metric: 'SDK − bare channel receive time, same change (p50)', value: quantile(diffs, 0.5), unit: 'ms', floor: 0 });
    figures.push({ metric: 'SDK − bare channel receive time, same change (p95)', value: quantile(diffs, 0.95), unit: 'ms', floor: 0 });
    figures.push({ metric: 'commit → SDK handler latency p50', value: quantile(sdkLat, 0.5), unit: 'ms', floor: quantile(bareLat, 0.5) });
    figures.push({ metric: 'commit → SDK handler latency p95', value: quantile(sdkLat, 0.95), unit: 'ms', floor: quantile(bareLat, 0.95) });
    const cost = await replayCost(captured);
    figures.push({ metric: 'client CPU per delivered change, SDK (replayed payloads)', value: cost.sdk, unit: 'µs', floor: cost.bare });
    notes.push(`Overhead: ${written} changes in ${OVERHEAD_SECONDS} s (${Math.round(written / OVERHEAD_SECONDS)}/s; ${sdkAt.size} hotspot versions matched in both clients); floor = a bare supabase-js postgres_changes channel on the same socket, same token and filter. CPU per change: median of ${9} replays of the captured payloads.`);
    await bare.unsubscribe();

    // ---- 3. catch-up after gaps -------------------------------------------------------
    const gapClient = memberClient(`http://127.0.0.1:${proxy.port}`, stack.config.keys.anonKey, token);
    clients.push(gapClient);
    const hw = createHotwatch(gapClient);
    hws.push(hw);
    hw.onError(() => {}); // expected while the network is down
    for (const s of STREAMS) hw.subscribe(s, () => {}, { orgId: org.id });
    await waitFor(() => hw.status === 'live', 30_000, 'gap subscriber live');
    load = startLoad(wsql, [chains], LOAD);
    await sleep(2_000);
    for (const gap of GAPS_S) {
      const before = hw.feeds().reduce((a, f) => a + f.stats.rowsFetched, 0);
      const pagesBefore = hw.feeds().reduce((a, f) => a + f.stats.pagesFetched, 0);
      const cutAt = new Date();
      proxy.cut();
      await sleep(gap * 1000);
      proxy.restore();
      const t0 = Date.now();
      hw.reconnect(); // what the browser's `online` event triggers
      await waitFor(() => hw.status === 'live' && hw.feeds().every((f) => (f.stats.lastCatchUp?.finishedAt ?? 0) >= t0), 120_000, `live after a ${gap} s gap`);
      const back = Math.max(...hw.feeds().map((f) => f.stats.lastCatchUp!.finishedAt)) - t0;
      const catchUpMs = Math.max(...hw.feeds().map((f) => f.stats.lastCatchUp!.ms));
      const rows = hw.feeds().reduce((a, f) => a + f.stats.rowsFetched, 0) - before;
      const pages = hw.feeds().reduce((a, f) => a + f.stats.pagesFetched, 0) - pagesBefore;
      const [changed] = await db.sql<{ n: number }[]>`
        select ((select count(*) from public.hotspots where org_id = ${org.id} and updated_at >= ${cutAt})
              + (select count(*) from public.alerts where org_id = ${org.id} and updated_at >= ${cutAt})
              + (select count(*) from public.recommendations where org_id = ${org.id} and updated_at >= ${cutAt}))::int as n`;
      figures.push({ metric: `gap ${gap} s: network back → live (3 streams)`, value: back, unit: 'ms' });
      figures.push({ metric: `gap ${gap} s: catch-up (stream_resume paging, slowest stream)`, value: catchUpMs, unit: 'ms' });
      figures.push({ metric: `gap ${gap} s: rows fetched`, value: rows, unit: 'rows', floor: changed?.n ?? NaN });
      notes.push(`Gap ${gap} s: ~${gap * RATE} changes written during the gap over ${3 * CHAINS} rows, ${changed?.n} distinct rows changed from the cut until live again (the floor); fetched ${rows} rows in ${pages} pages — the rows changed since the previous catch-up's cursor, each once, however often it changed.`);
      await sleep(3_000);
    }
    written = await load.stop();
    notes.push(`Writers: ${RATE} changes/s target over ${CHAINS} hotspot→alert→recommendation chains, three concurrent transactions of up to 60 rows, default synchronous_commit (on), as the functions commit; the SDK runs with default options and is told when the network is back (hw.reconnect(), as on a browser's online event).`);
    notes.push('Without that signal the SDK notices the network within its next retry: full jitter under a 10 s cap, 5 s on average (realtime-js alone would retry on fixed 1/2/5/10 s steps).');
  } finally {
    await Promise.all(hws.map((h) => h.close().catch(() => {})));
    for (const c of clients) { await c.removeAllChannels().catch(() => {}); await c.realtime.disconnect(); }
    await proxy.stop();
    await wsql.end();
    await db.close();
  }
  return { name: 'client SDK (@hotwatch/client)', figures, notes };
}

if (isMain(import.meta.url)) {
  run().then(async (r) => {
    await writeResult('sdk', r);
    for (const f of r.figures) console.log(`${f.metric}: ${f.value.toFixed(2)} ${f.unit}${f.floor !== undefined ? ` (floor ${f.floor.toFixed(2)})` : ''}${f.gate ? ` [${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}`);
    for (const n of r.notes ?? []) console.log(`- ${n}`);
    process.exit(0);
  }).catch((e: unknown) => { console.error(e); process.exit(1); });
}
