/**
 * Client side of bench/realtime.bench.ts, run in a separate process (fork) so the
 * clients never share an event loop with the server they measure. Commands arrive over
 * IPC; every reply is one message back. Times are wall-clock epoch milliseconds with
 * sub-millisecond precision (performance.timeOrigin + performance.now()).
 */
import { RealtimeClient } from '@supabase/supabase-js';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import postgres from 'postgres';
import WebSocket from 'ws';
import { createHotwatch, type Hotwatch, type StreamName } from '../client-sdk/src/index.ts';
import { watchProcess } from './gc-watch.ts';
import { memberClient } from '../tests/support/member-client.ts';
import { startLoad, type Chain } from './stream-load.ts';

type Cmd =
  | { cmd: 'latency'; apiUrl: string; anonKey: string; tokens: string[]; first: number; every: number; schema: string; table: string }
  | { cmd: 'latency-stop' }
  | { cmd: 'floor'; dbUrl: string; slot: string; table: string; keyed?: string[] }
  | { cmd: 'sdk-latency'; apiUrl: string; anonKey: string; subscribers: Array<{ token: string; orgId: string }> }
  | { cmd: 'sdk-latency-stop' }
  | { cmd: 'product-write'; dbUrl: string; orgs: Chain[][]; perSecond: number; seconds: number; workers: number; perTransaction: number }
  | { cmd: 'floor-stop' }
  | { cmd: 'write'; dbUrl: string; schema: string; table: string; orgIds: string[]; perSecond: number; seconds: number; workers: number }
  | { cmd: 'burst'; dbUrl: string; schema: string; table: string; orgId: string; count: number }
  | { cmd: 'subscribers'; url: string; tokens: string[]; topic: string; binding: Record<string, unknown>; batch: number }
  | { cmd: 'count-start' }
  | { cmd: 'count-stop' }
  | { cmd: 'count-peek' }
  | { cmd: 'raw-connect'; url: string; n: number }
  | { cmd: 'idle'; url: string; n: number; join: boolean }
  | { cmd: 'close-all' }
  | { cmd: 'cpu' };

const now = (): number => performance.timeOrigin + performance.now();
const reply = (m: unknown): void => { process.send?.(m); };

// ---- latency: official realtime-js clients, commit → callback ---------------------------------
let rtClients: RealtimeClient[] = [];
let latencies: number[] = [];
let watching: ReturnType<typeof watchProcess> | undefined;

async function latency(c: Extract<Cmd, { cmd: 'latency' }>): Promise<void> {
  latencies = [];
  const url = `${c.apiUrl.replace(/^http/, 'ws')}/realtime/v1`;
  await Promise.all(c.tokens.map((token, i) => new Promise<void>((resolve, reject) => {
    const client = new RealtimeClient(url, { params: { apikey: c.anonKey }, transport: WebSocket as never, heartbeatIntervalMs: 25_000 });
    rtClients.push(client);
    void client.setAuth(token);
    client.channel(`lat-${c.first + i * c.every}`)
      .on('postgres_changes', { event: 'INSERT', schema: c.schema, table: c.table }, (p: { commit_timestamp: string }) => {
        latencies.push(now() - Date.parse(p.commit_timestamp));
      })
      .subscribe((status, err) => {
        if (status === 'SUBSCRIBED') resolve();
        else if (status !== 'CLOSED') reject(new Error(`${status} ${err?.message ?? ''}`));
      });
  })));
  watching = watchProcess();
  reply({ ok: 'latency-ready' });
}

// ---- SDK latency: createHotwatch with its default options, receipt per (stream, id, version) ---
const SDK_STREAMS: StreamName[] = ['hotspots', 'alerts', 'recommendations'];
let hotwatches: Hotwatch[] = [];
let sdkReceipts: Array<[string, number]> = [];

async function sdkLatency(c: Extract<Cmd, { cmd: 'sdk-latency' }>): Promise<void> {
  sdkReceipts = [];
  for (const s of c.subscribers) {
    const hw = createHotwatch(memberClient(c.apiUrl, c.anonKey, s.token));
    hotwatches.push(hw);
    for (const stream of SDK_STREAMS) {
      hw.subscribe(stream, (e) => {
        if (e.type === 'upsert' && e.source === 'live') sdkReceipts.push([`${stream}:${e.row.id}:${e.row.version}`, now()]);
      }, { orgId: s.orgId });
    }
  }
  const deadline = Date.now() + 60_000;
  while (!hotwatches.every((h) => h.status === 'live')) {
    if (Date.now() > deadline) throw new Error(`SDK subscribers not live: ${hotwatches.map((h) => h.status).join(',')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  watching = watchProcess();
  reply({ ok: 'sdk-ready' });
}

async function productWrite(c: Extract<Cmd, { cmd: 'product-write' }>): Promise<void> {
  const sql = postgres(c.dbUrl, { max: c.workers, onnotice: () => {} });
  const start = now();
  const load = startLoad(sql, c.orgs, { rate: c.perSecond, writers: c.workers, perTransaction: c.perTransaction });
  await new Promise((r) => setTimeout(r, c.seconds * 1000));
  const total = await load.stop();
  const elapsed = (now() - start) / 1000;
  await sql.end();
  reply({ ok: 'written', total, elapsed, start });
}

// ---- floor: a raw pgoutput consumer, commit → receipt ---------------------------------------
let floorService: LogicalReplicationService | undefined;
let floorLat: number[] = [];
/** keyed mode: `table:id:version` → [commit ms, receipt ms] for updates and inserts on those tables. */
let floorKeyed: Array<[string, number, number]> = [];

async function floor(c: Extract<Cmd, { cmd: 'floor' }>): Promise<void> {
  floorLat = [];
  floorKeyed = [];
  const keyed = new Set(c.keyed ?? []);
  const sql = postgres(c.dbUrl, { max: 1, onnotice: () => {} });
  await sql`select pg_create_logical_replication_slot(${c.slot}, 'pgoutput')`;
  await sql.end();
  const u = new URL(c.dbUrl);
  floorService = new LogicalReplicationService(
    { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) },
    { acknowledge: { auto: true, timeoutSeconds: 10 } });
  let commitMs = 0;
  floorService.on('data', (_lsn: string, msg: { tag: string; commitTime?: bigint; relation?: { name: string }; new?: { id?: unknown; version?: unknown } }) => {
    if (msg.tag === 'begin' && msg.commitTime !== undefined) commitMs = Math.floor(Number(msg.commitTime / 1000n)); // ms, truncated like Realtime's
    else if (msg.tag === 'insert' && msg.relation?.name === c.table) floorLat.push(now() - commitMs);
    else if ((msg.tag === 'insert' || msg.tag === 'update') && keyed.has(msg.relation?.name ?? '')) {
      const t = now();
      floorLat.push(t - commitMs);
      floorKeyed.push([`${msg.relation!.name}:${String(msg.new?.id)}:${String(msg.new?.version)}`, commitMs, t]);
    }
  });
  floorService.on('error', () => {});
  void floorService.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: ['supabase_realtime'] }), c.slot).catch(() => {});
  await new Promise((r) => setTimeout(r, 500));
  reply({ ok: 'floor-ready' });
}

// ---- writers ---------------------------------------------------------------------------------
async function write(c: Extract<Cmd, { cmd: 'write' }>): Promise<void> {
  const sql = postgres(c.dbUrl, { max: c.workers, onnotice: () => {} });
  const total = c.perSecond * c.seconds;
  const start = now() + 100;
  let next = 0;
  let late = 0;
  await Promise.all(Array.from({ length: c.workers }, async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const due = start + (i * 1000) / c.perSecond;
      const wait = due - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -5) late++;
      await sql`insert into ${sql(c.schema)}.${sql(c.table)} (org_id, body) values (${c.orgIds[i % c.orgIds.length]!}, ${'x'.repeat(64)})`;
    }
  }));
  const elapsed = (now() - start) / 1000;
  await sql.end();
  reply({ ok: 'written', total, elapsed, late });
}

async function burst(c: Extract<Cmd, { cmd: 'burst' }>): Promise<void> {
  const sql = postgres(c.dbUrl, { max: 4, onnotice: () => {} });
  const t0 = now();
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < c.count) { next++; await sql`insert into ${sql(c.schema)}.${sql(c.table)} (org_id, body) values (${c.orgId}, ${'x'.repeat(64)})`; }
  }));
  const elapsed = now() - t0;
  await sql.end();
  reply({ ok: 'burst-done', elapsedMs: elapsed });
}

// ---- many raw sockets: Realtime subscribers, raw ws fan-out clients, idle connections ----------
let sockets: WebSocket[] = [];
let counting = false;
let count = 0;
let bytes = 0;
let first = 0;
let last = 0;

function onFrame(data: Buffer): void {
  if (!counting) return;
  const t = now();
  if (count === 0) first = t;
  last = t;
  count++;
  bytes += data.length;
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function subscribers(c: Extract<Cmd, { cmd: 'subscribers' }>): Promise<void> {
  for (let i = 0; i < c.tokens.length; i += c.batch) {
    await Promise.all(c.tokens.slice(i, i + c.batch).map(async (token) => {
      const ws = await open(c.url);
      sockets.push(ws);
      const joined = new Promise<void>((resolve, reject) => {
        const onMsg = (d: Buffer): void => {
          const s = d.toString();
          if (s.includes('"phx_reply"')) {
            ws.off('message', onMsg);
            if (s.includes('"ok"')) resolve(); else reject(new Error(s));
          }
        };
        ws.on('message', onMsg);
      });
      ws.send(JSON.stringify(['1', '1', `realtime:${c.topic}`, 'phx_join', { config: { broadcast: { ack: false, self: false }, presence: { key: '', enabled: false }, postgres_changes: [c.binding], private: false }, access_token: token }]));
      await joined;
      // After the join only postgres_changes frames arrive (heartbeat replies every 20 s aside),
      // so count every frame — the same per-frame cost as the raw fan-out clients.
      ws.on('message', (d: Buffer) => onFrame(d));
      // Keep the server's idle timeout away.
      const hb = setInterval(() => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify([null, 'hb', 'phoenix', 'heartbeat', {}])); }, 20_000);
      hb.unref();
      ws.once('close', () => clearInterval(hb));
    }));
  }
  reply({ ok: 'subscribed', n: sockets.length });
}

async function rawConnect(c: Extract<Cmd, { cmd: 'raw-connect' }>): Promise<void> {
  for (let i = 0; i < c.n; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, c.n - i) }, async () => {
      const ws = await open(c.url);
      sockets.push(ws);
      ws.on('message', (d: Buffer) => onFrame(d));
    }));
  }
  reply({ ok: 'connected', n: sockets.length });
}

async function idle(c: Extract<Cmd, { cmd: 'idle' }>): Promise<void> {
  for (let i = 0; i < c.n; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, c.n - i) }, async (_, j) => {
      const ws = await open(c.url);
      sockets.push(ws);
      if (c.join) {
        await new Promise<void>((resolve) => {
          ws.once('message', () => resolve());
          ws.send(JSON.stringify(['1', '1', `realtime:idle-${i + j}`, 'phx_join', { config: {} }]));
        });
      }
    }));
  }
  reply({ ok: 'idle-ready', n: sockets.length });
}

process.on('message', (m: Cmd) => {
  const run = async (): Promise<void> => {
    switch (m.cmd) {
      case 'latency': return latency(m);
      case 'latency-stop': {
        for (const c of rtClients) { c.removeAllChannels().catch(() => {}); c.disconnect(); }
        rtClients = [];
        const stats = watching?.stop() ?? '';
        watching = undefined;
        return reply({ ok: 'latencies', values: latencies, process: stats });
      }
      case 'sdk-latency': return sdkLatency(m);
      case 'sdk-latency-stop': {
        await Promise.all(hotwatches.map((h) => h.close().catch(() => {})));
        hotwatches = [];
        const stats = watching?.stop() ?? '';
        watching = undefined;
        return reply({ ok: 'receipts', values: sdkReceipts, process: stats });
      }
      case 'product-write': return productWrite(m);
      case 'floor': return floor(m);
      case 'floor-stop': {
        await floorService?.stop();
        return reply({ ok: 'floor-values', values: floorLat, keyed: floorKeyed });
      }
      case 'write': return write(m);
      case 'burst': return burst(m);
      case 'subscribers': return subscribers(m);
      case 'count-start': counting = true; count = 0; bytes = 0; first = 0; last = 0; return reply({ ok: 'counting' });
      case 'count-stop': counting = false; return reply({ ok: 'count', count, bytes, first, last });
      case 'count-peek': return reply({ ok: 'count', count });
      case 'cpu': { const u = process.resourceUsage(); return reply({ ok: 'cpu', micros: u.userCPUTime + u.systemCPUTime, preempted: u.involuntaryContextSwitches }); }
      case 'raw-connect': return rawConnect(m);
      case 'idle': return idle(m);
      case 'close-all': {
        for (const ws of sockets) ws.terminate();
        sockets = [];
        return reply({ ok: 'closed' });
      }
    }
  };
  run().catch((e: unknown) => reply({ error: String(e instanceof Error ? e.stack ?? e.message : e) }));
});
// A session of its own (no terminal signals reach it): leave with the benchmark.
process.on('disconnect', () => process.exit(0));
reply({ ok: 'started' });
