/**
 * Soak (not run in CI): the stack in a process of its own under a steady load for
 * SOAK_MINUTES (default 30) —
 *   - ingest: SOAK_RATE events/s (default 200) through ingest-events, in batches of 20,
 *     round-robin over SOAK_ORGS orgs (default 10); 95 % arrive late (spread over the past
 *     week, the way a backfill does), 5 % are live events at a few cluster sites, so the
 *     scans (pg_cron every minute, plus an HTTP scan per org every 30 s) keep producing
 *     hotspots, alerts and recommendations;
 *   - SOAK_SUBSCRIBERS SDK subscribers (default 200; createHotwatch over supabase-js, all
 *     three streams, postgres_changes), spread over the orgs;
 *   - a probe: one stream row per org updated in turn, 5 per second in all, whose
 *     delivery latency (commit → SDK callback, `updated_at` is the writing statement's
 *     time) every subscriber of the org measures.
 * Every SOAK_SAMPLE_SECONDS (default 10) it samples the stack process's RSS (VmRSS of
 * the Node process; Deno workers and PostgreSQL reported beside it) and the window's
 * delivery latency percentiles. Gates: RSS slope over the last 20 minutes ≤ 1 MB/min;
 * p99 latency in the last 5 minutes ≤ 1.2 × the first 5 minutes (shorter runs scale the
 * windows to the run: the last ⅔ for the slope, the first and last ⅓ for latency).
 * Writes bench/results/soak.json and a hand-drawn bench/results/soak.svg.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import postgres, { type Sql } from 'postgres';
import WebSocket from 'ws';
import { createHotwatch, type Hotwatch, type StreamEvent, type StreamName } from '../client-sdk/src/index.ts';
import { emptyColumns } from '../functions/ingest-events/rules/batch.ts';
import { insertEvents } from '../functions/ingest-events/store/events.ts';
import { DEFAULT_KEYS } from '../stack/src/keys.ts';
import { freePort } from '../stack/src/postgres/embedded.ts';
import { isMain, writeResult } from './bench-stack.ts';
import type { BenchFigure, BenchResult } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const MINUTES = num('SOAK_MINUTES', 30);
const RATE = num('SOAK_RATE', 200);
const SUBSCRIBERS = num('SOAK_SUBSCRIBERS', 200);
const ORGS = num('SOAK_ORGS', 10);
const SAMPLE_SECONDS = num('SOAK_SAMPLE_SECONDS', 10);
const BATCH = 20;
const PROBES_PER_SECOND = 5;
const HTTP_SCAN_EVERY_MS = 30_000;
const STREAMS: StreamName[] = ['hotspots', 'alerts', 'recommendations'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- measurement helpers ------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  return den === 0 ? NaN : num / den;
}

async function rssMb(pid: number): Promise<number | undefined> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const m = status ? /VmRSS:\s+(\d+)\s+kB/.exec(status) : null;
  return m ? Number(m[1]) / 1024 : undefined;
}

/** Every process's parent and command, read once. */
async function processTable(): Promise<Map<number, { ppid: number; comm: string }>> {
  const out = new Map<number, { ppid: number; comm: string }>();
  for (const e of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await fs.readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    out.set(Number(e), { ppid: Number(stat.slice(close + 2).split(' ')[1]), comm: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return out;
}

/** Sum of RSS of pid's descendants whose command matches. */
async function descendantsRssMb(table: Map<number, { ppid: number; comm: string }>, pid: number, match: RegExp): Promise<number> {
  const kids = new Map<number, number[]>();
  for (const [p, { ppid }] of table) kids.set(ppid, [...(kids.get(ppid) ?? []), p]);
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    for (const c of kids.get(stack.pop()!) ?? []) {
      if (match.test(table.get(c)!.comm)) total += (await rssMb(c)) ?? 0;
      stack.push(c);
    }
  }
  return total;
}

// ---- the stack process --------------------------------------------------------------------

interface StackProcess { proc: ChildProcess; apiUrl: string; dbUrl: string; pid: number; root: string }

async function startStackProcess(): Promise<StackProcess> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-soak-'));
  await fs.chmod(root, 0o755);
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'soak-stack.ts'), path.join(root, 'pg'), String(await freePort()), String(await freePort())], {
    // Its own session, hence its own scheduling group (sched_autogroup), as every PostgreSQL
    // backend has, instead of sharing one with this process's clients and writers.
    cwd: path.join(here, '..'), stdio: ['ignore', 'pipe', 'inherit'], detached: true,
  });
  process.once('exit', () => proc.kill('SIGTERM'));
  const ready = await new Promise<{ apiUrl: string; dbUrl: string; pid: number }>((resolve, reject) => {
    let buf = '';
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
      buf += d;
      for (const line of buf.split('\n')) {
        if (line.startsWith('{') && line.includes('"ready"')) resolve(JSON.parse(line) as { apiUrl: string; dbUrl: string; pid: number });
      }
    });
    proc.once('exit', (code) => reject(new Error(`soak stack exited with ${code} before it was ready`)));
  });
  return { proc, root, ...ready };
}

async function stopStackProcess(s: StackProcess): Promise<void> {
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
  await fs.rm(s.root, { recursive: true, force: true });
}

// ---- tenants, tokens, data --------------------------------------------------------------------

interface Org { id: string; viewerId: string; operatorId: string; probeId: number; cells: string[]; sites: string[][] }

/** An access token as the auth hook issues it (HS256 with the stack's secret, signed synchronously). */
function token(sub: string, orgId: string, role: string): string {
  const b = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b({ alg: 'HS256', typ: 'JWT' })}.${b({ sub, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + 24 * 3600, org_roles: { [orgId]: role } })}`;
  return `${input}.${createHmac('sha256', DEFAULT_KEYS.jwtSecret).update(input).digest('base64url')}`;
}

async function createOrgs(sql: Sql): Promise<Org[]> {
  const orgs: Org[] = [];
  for (let i = 0; i < ORGS; i++) {
    const id = randomUUID();
    const viewerId = randomUUID();
    const operatorId = randomUUID();
    const lat = 40.6 + i * 0.05;
    const cells = gridDisk(latLngToCell(lat, -73.99, 8), 5);
    const sites = cells.filter((_, k) => k % 13 === 6).slice(0, 3).map((c) => gridDisk(c, 1));
    await sql.begin(async (tx) => {
      await tx`insert into public.orgs (id, slug, name, created_at) values (${id}, ${`soak-${i}-${id.slice(0, 6)}`}, ${`Soak ${i}`}, now() - interval '30 days')`;
      for (const u of [viewerId, operatorId]) {
        await tx`insert into auth.users (id, aud, role, email, email_confirmed_at) values (${u}, 'authenticated', 'authenticated', ${`${u}@soak.local`}, now())`;
      }
      await tx`insert into public.memberships (org_id, user_id, role) values (${id}, ${viewerId}, 'viewer'), (${id}, ${operatorId}, 'operator')`;
    });
    // A week of modest history so the expectation-based model has baselines.
    const cols = emptyColumns();
    const start = Date.now() - 7 * 24 * 3_600_000;
    for (let h = 0; h < 168; h++) {
      for (let c = 0; c < cells.length; c++) {
        if ((h + c * 7) % 20 !== 0) continue;
        const [la, ln] = cellToLatLng(cells[c]!);
        cols.source.push('history'); cols.external_id.push(`h-${h}-${c}`); cols.category.push('fire');
        cols.occurred_at.push(new Date(start + h * 3_600_000 + ((c * 997) % 3_000_000)).toISOString());
        cols.lat.push(la); cols.lng.push(ln); cols.weight.push(1); cols.h3_cell.push(latLngToCell(la, ln, 9)); cols.attributes.push('{}');
      }
    }
    await insertEvents(sql, id, cols);
    // The probe row: a resolved hotspot (scans leave resolved rows alone) that the probe loop bumps.
    const [p] = await sql<{ id: string }[]>`
      insert into public.hotspots (org_id, category, dedup_key, status, severity, model, cells, center_cell, center_lat, center_lng, radius_m,
        window_start, window_end, observed, expected, relative_risk, score, p_value, recurrence_interval_days, resolved_at)
      values (${id}, 'probe', 'probe', 'resolved', 'low', 'probe', ${[cells[0]!]}, ${cells[0]!}, ${lat}, -73.99, 500,
        now(), now(), 0, 0, 1, 0, 1, 0, now()) returning id`;
    orgs.push({ id, viewerId, operatorId, probeId: Number(p!.id), cells, sites });
  }
  return orgs;
}

// ---- subscribers ---------------------------------------------------------------------------

interface Subscriber { client: SupabaseClient; hw: Hotwatch }

function subscribe(apiUrl: string, org: Org, onProbe: (ms: number) => void, onError: () => void): Subscriber {
  const t = token(org.viewerId, org.id, 'viewer');
  const client = createClient(apiUrl, DEFAULT_KEYS.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { headers: { Authorization: `Bearer ${t}` } },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });
  void client.realtime.setAuth(t);
  const hw = createHotwatch(client as never, { retry: { initialDelayMs: 500, maxDelayMs: 5_000, maxAttempts: 10_000 } });
  for (const s of STREAMS) {
    hw.subscribe(s, (e: StreamEvent) => {
      if (e.type === 'upsert' && e.source === 'live' && s === 'hotspots' && (e.row as unknown as { dedup_key: string }).dedup_key === 'probe') {
        onProbe(Date.now() - Date.parse((e.row as unknown as { updated_at: string }).updated_at));
      }
    }, { orgId: org.id, onError });
  }
  return { client, hw };
}

// ---- the run -------------------------------------------------------------------------------

export interface SoakSample {
  t: number; // seconds since the load started
  rssMb: number;
  denoRssMb: number;
  postgresRssMb: number;
  p50: number;
  p99: number;
  deliveries: number;
  ingestP99: number;
  eventsPerSecond: number;
  ingestErrors: number;
  /** Scans that ended in the window, by the schedule and over HTTP, and their CPU (scan_runs.cpu_ms). */
  cronScans: number;
  httpScans: number;
  scanCpuMs: number;
}

export async function run(): Promise<BenchResult> {
  const stackProc = await startStackProcess();
  const sql = postgres(stackProc.dbUrl, { max: 6, onnotice: () => {} });
  const subscribers: Subscriber[] = [];
  let running = true;
  const loops: Array<Promise<void>> = [];
  const samples: SoakSample[] = [];
  const windowLatencies: number[] = [];
  /** Every probe delivery as [seconds since the load started, latency ms], for exact window percentiles. */
  const allLatencies: Array<[number, number]> = [];
  let t0 = Date.now();
  const windowIngest: number[] = [];
  let windowEvents = 0;
  let ingestErrors = 0;
  let subscriberErrors = 0;
  let totalEvents = 0;
  let totalDeliveries = 0;
  const notes: string[] = [];
  try {
    const orgs = await createOrgs(sql);
    process.stdout.write(`  soak: ${ORGS} orgs, ${SUBSCRIBERS} subscribers, ${RATE} events/s for ${MINUTES} min (stack pid ${stackProc.pid})\n`);
    for (let i = 0; i < SUBSCRIBERS; i++) {
      subscribers.push(subscribe(stackProc.apiUrl, orgs[i % orgs.length]!, (ms) => {
        windowLatencies.push(ms);
        allLatencies.push([(Date.now() - t0) / 1000, ms]);
        totalDeliveries++;
      }, () => { subscriberErrors++; }));
      if (i % 20 === 19) await sleep(200); // do not trip the joins-per-second limit
    }
    const settleDeadline = Date.now() + 120_000;
    while (subscribers.some((s) => s.hw.status !== 'live') && Date.now() < settleDeadline) await sleep(250);
    const notLive = subscribers.filter((s) => s.hw.status !== 'live').length;
    if (notLive > 0) notes.push(`${notLive} subscribers were not live after 120 s of setup`);

    t0 = Date.now();
    windowLatencies.length = 0;
    allLatencies.length = 0;
    totalDeliveries = 0;
    const end = t0 + MINUTES * 60_000;
    // Ingest: RATE events/s in batches of BATCH, round-robin over the orgs.
    loops.push((async () => {
      const perSecond = RATE / BATCH;
      let k = 0;
      const pending = new Set<Promise<void>>();
      while (running && Date.now() < end) {
        const due = t0 + (k * 1000) / perSecond;
        if (due > Date.now()) await sleep(due - Date.now());
        const org = orgs[k % orgs.length]!;
        const now = Date.now();
        const events = Array.from({ length: BATCH }, (_, j) => {
          const n = k * BATCH + j;
          const live = n % 20 === 0;
          const cell = live ? org.sites[n % org.sites.length]![n % 7]! : org.cells[(n * 31) % org.cells.length]!;
          const [lat, lng] = cellToLatLng(cell);
          const t = live ? now - (n % 600) * 1000 : now - 3_600_000 - ((n * 7_919_113) % (6 * 24 * 3_600_000));
          return { source: 'soak', external_id: `e-${n}`, category: 'fire', occurred_at: new Date(t).toISOString(), lat, lng };
        });
        k++;
        const p = (async () => {
          const started = performance.now();
          try {
            const res = await fetch(`${stackProc.apiUrl}/functions/v1/ingest-events`, {
              method: 'POST', signal: AbortSignal.timeout(30_000),
              headers: { authorization: `Bearer ${DEFAULT_KEYS.serviceRoleKey}`, 'content-type': 'application/json' },
              body: JSON.stringify({ org_id: org.id, events }),
            });
            await res.text();
            if (res.status === 200) { windowEvents += events.length; totalEvents += events.length; windowIngest.push(performance.now() - started); }
            else ingestErrors++;
          } catch { ingestErrors++; }
        })();
        pending.add(p);
        void p.finally(() => pending.delete(p));
        // Bounded concurrency: a slow stack shows up as lower throughput, not unbounded queues here.
        if (pending.size >= 32) await Promise.race(pending);
      }
      await Promise.all(pending);
    })());
    // Probe: PROBES_PER_SECOND stream-row updates, one org at a time.
    loops.push((async () => {
      let k = 0;
      while (running && Date.now() < end) {
        const org = orgs[k++ % orgs.length]!;
        await sql`update public.hotspots set quiet_scans = quiet_scans where id = ${org.probeId}`.catch(() => {});
        await sleep(1000 / PROBES_PER_SECOND);
      }
    })());
    // HTTP scans: each org every HTTP_SCAN_EVERY_MS, staggered (pg_cron adds one per org per minute).
    loops.push((async () => {
      let k = 0;
      while (running && Date.now() < end) {
        const org = orgs[k++ % orgs.length]!;
        await fetch(`${stackProc.apiUrl}/functions/v1/hotspot-scan`, {
          method: 'POST', signal: AbortSignal.timeout(60_000),
          headers: { authorization: `Bearer ${token(org.operatorId, org.id, 'operator')}`, 'content-type': 'application/json' },
          body: JSON.stringify({ org_id: org.id }),
        }).then((r) => r.text()).catch(() => {});
        await sleep(HTTP_SCAN_EVERY_MS / orgs.length);
      }
    })());
    // Sampler.
    loops.push((async () => {
      let last = Date.now();
      while (Date.now() < end) {
        await sleep(Math.min(SAMPLE_SECONDS * 1000, Math.max(0, end - Date.now())));
        const now = Date.now();
        // Take the window's numbers before any await (deliveries keep arriving meanwhile).
        const lat = windowLatencies.splice(0).sort((a, b) => a - b);
        const ing = windowIngest.splice(0).sort((a, b) => a - b);
        const events = windowEvents;
        windowEvents = 0;
        const table = await processTable();
        // What the scans cost in the window (the schedule's rescans of busy orgs once grew with the data).
        const scans = await sql<Array<{ trigger: string; n: number; cpu: number }>>`
          select trigger, count(*)::int as n, coalesce(sum(cpu_ms), 0)::float8 as cpu from public.scan_runs
           where finished_at > ${new Date(last)} and finished_at <= ${new Date(now)} group by trigger`;
        const scansBy = (trigger: string): number => scans.find((r) => r.trigger === trigger)?.n ?? 0;
        const s: SoakSample = {
          t: Math.round((now - t0) / 1000),
          rssMb: (await rssMb(stackProc.pid)) ?? NaN,
          denoRssMb: await descendantsRssMb(table, stackProc.pid, /^deno$/),
          postgresRssMb: await descendantsRssMb(table, stackProc.pid, /^postgres$/),
          p50: percentile(lat, 50), p99: percentile(lat, 99), deliveries: lat.length,
          ingestP99: percentile(ing, 99), eventsPerSecond: events / ((now - last) / 1000), ingestErrors,
          cronScans: scansBy('cron'), httpScans: scansBy('http'), scanCpuMs: scans.reduce((a, r) => a + r.cpu, 0),
        };
        samples.push(s);
        last = now;
        process.stdout.write(`  t=${s.t}s rss=${s.rssMb.toFixed(1)} MB deno=${s.denoRssMb.toFixed(0)} MB p50=${s.p50} ms p99=${s.p99} ms deliveries=${s.deliveries} events/s=${s.eventsPerSecond.toFixed(0)} ingest p99=${s.ingestP99.toFixed(0)} ms scans cron/http=${s.cronScans}/${s.httpScans} scan cpu=${(s.scanCpuMs / 1000).toFixed(1)} s\n`);
      }
      running = false;
    })());
    await Promise.all(loops);
  } finally {
    running = false;
    await Promise.allSettled(loops);
    await Promise.allSettled(subscribers.map(async (s) => { await s.hw.close(); await s.client.removeAllChannels(); s.client.realtime.disconnect(); }));
    await sql.end({ timeout: 5 }).catch(() => {});
    await stopStackProcess(stackProc);
  }

  // ---- figures ----
  const durationMin = MINUTES;
  const slopeWindowMin = Math.min(20, (durationMin * 2) / 3);
  const latWindowMin = Math.min(5, durationMin / 3);
  const lastSlope = samples.filter((s) => s.t / 60 >= durationMin - slopeWindowMin);
  const rssSlope = slope(lastSlope.map((s) => s.t / 60), lastSlope.map((s) => s.rssMb));
  const pooled = (fromMin: number, toMin: number): number =>
    percentile(allLatencies.filter(([t]) => t / 60 >= fromMin && t / 60 <= toMin).map(([, ms]) => ms).sort((a, b) => a - b), 99);
  const firstP99 = pooled(0, latWindowMin);
  const lastP99 = pooled(durationMin - latWindowMin, durationMin);
  const ratio = lastP99 / firstP99;
  const eventsPerSecond = totalEvents / (durationMin * 60);
  const sampledMin = (samples.at(-1)?.t ?? 0) / 60;
  const perMinute = (f: (x: SoakSample) => number): number => (sampledMin > 0 ? samples.reduce((a, x) => a + f(x), 0) / sampledMin : NaN);
  const figures: BenchFigure[] = [
    { metric: `RSS slope of the stack process, last ${slopeWindowMin.toFixed(1)} min`, value: rssSlope, unit: 'MB/min', gate: '≤ 1 MB/min', pass: rssSlope <= 1 },
    { metric: `p99 delivery latency, last ${latWindowMin.toFixed(1)} min ÷ first ${latWindowMin.toFixed(1)} min`, value: ratio, unit: '×', gate: '≤ 1.2 ×', pass: ratio <= 1.2 },
    { metric: `p99 delivery latency, first ${latWindowMin.toFixed(1)} min`, value: firstP99, unit: 'ms' },
    { metric: `p99 delivery latency, last ${latWindowMin.toFixed(1)} min`, value: lastP99, unit: 'ms' },
    { metric: 'stack process RSS at the end', value: samples.at(-1)?.rssMb ?? NaN, unit: 'MB' },
    { metric: 'ingested events per second (sustained)', value: eventsPerSecond, unit: 'events/s', gate: `≥ 0.95 × ${RATE}`, pass: eventsPerSecond >= 0.95 * RATE },
    { metric: 'probe deliveries (all subscribers)', value: totalDeliveries, unit: 'deliveries' },
    { metric: 'failed ingest requests', value: ingestErrors, unit: 'requests', gate: '= 0', pass: ingestErrors === 0 },
    { metric: 'subscriber errors', value: subscriberErrors, unit: 'errors' },
    { metric: 'scheduled scans per minute (mean)', value: perMinute((x) => x.cronScans), unit: 'scans/min' },
    { metric: 'HTTP scans per minute (mean; the soak\'s own, one per org every 30 s)', value: perMinute((x) => x.httpScans), unit: 'scans/min' },
    { metric: 'scan CPU per minute (scan_runs.cpu_ms, all scans)', value: perMinute((x) => x.scanCpuMs) / 1000, unit: 's/min' },
  ];
  notes.push(`${MINUTES} min at ${RATE} events/s, ${SUBSCRIBERS} subscribers over ${ORGS} orgs, samples every ${SAMPLE_SECONDS} s; latency = probe row commit → SDK callback.`);
  if (MINUTES < 30) notes.push(`Short run (${MINUTES} min): windows scaled to the run (slope over the last ⅔, latency first vs last ⅓); the 30-minute run is SOAK_MINUTES=30 (the default).`);
  process.stdout.write(`  RSS slope (last ${slopeWindowMin.toFixed(1)} min): ${rssSlope.toFixed(3)} MB/min [gate ≤ 1] ${rssSlope <= 1 ? 'PASS' : 'FAIL'}\n`);
  process.stdout.write(`  p99 last/first ${latWindowMin.toFixed(1)} min: ${lastP99.toFixed(1)} / ${firstP99.toFixed(1)} ms = ${ratio.toFixed(2)} × [gate ≤ 1.2] ${ratio <= 1.2 ? 'PASS' : 'FAIL'}\n`);

  const result: BenchResult = { name: 'soak', figures, notes };
  await writeResult('soak', { ...result, config: { minutes: MINUTES, rate: RATE, subscribers: SUBSCRIBERS, orgs: ORGS, sampleSeconds: SAMPLE_SECONDS }, samples });
  await fs.writeFile(path.join(here, 'results', 'soak.svg'), renderSvg(samples, { minutes: MINUTES, rssSlope, ratio, slopeWindowMin, latWindowMin }));
  return result;
}

// ---- the plot (hand-written SVG) ---------------------------------------------------------------

export function renderSvg(samples: SoakSample[], info: { minutes: number; rssSlope: number; ratio: number; slopeWindowMin: number; latWindowMin: number }): string {
  const W = 960;
  const H = 650;
  const left = 70;
  const right = 30;
  const panelH = 220;
  const tops = [90, 390];
  const xMax = Math.max(info.minutes, ...samples.map((s) => s.t / 60));
  const x = (min: number): number => left + ((W - left - right) * min) / xMax;
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${left}" y="26" font-size="16" font-weight="bold">Hotwatch soak: ${esc(String(info.minutes))} min, ${RATE} events/s, ${SUBSCRIBERS} subscribers</text>`);
  out.push(`<text x="${left}" y="48">RSS slope (last ${info.slopeWindowMin.toFixed(1)} min) ${info.rssSlope.toFixed(3)} MB/min (gate ≤ 1); p99 last/first ${info.latWindowMin.toFixed(1)} min ${info.ratio.toFixed(2)} × (gate ≤ 1.2)</text>`);

  const panel = (top: number, title: string, unit: string, series: Array<{ name: string; color: string; ys: number[] }>): void => {
    const all = series.flatMap((s) => s.ys).filter(Number.isFinite);
    const yMax = niceMax(all.length ? Math.max(...all) : 1);
    const y = (v: number): number => top + panelH - (panelH * v) / yMax;
    out.push(`<text x="${left}" y="${top - 8}" font-weight="bold">${esc(title)}</text>`);
    out.push(`<rect x="${left}" y="${top}" width="${W - left - right}" height="${panelH}" fill="none" stroke="#999"/>`);
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      out.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
      out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${fmtTick(v)}</text>`);
    }
    const xStep = niceStep(xMax);
    for (let m = 0; m <= xMax + 1e-9; m += xStep) {
      out.push(`<line x1="${x(m)}" x2="${x(m)}" y1="${top + panelH}" y2="${top + panelH + 4}" stroke="#999"/>`);
      out.push(`<text x="${x(m)}" y="${top + panelH + 16}" text-anchor="middle">${fmtTick(m)}</text>`);
    }
    out.push(`<text x="${(left + W - right) / 2}" y="${top + panelH + 32}" text-anchor="middle">minutes</text>`);
    out.push(`<text x="16" y="${top + panelH / 2}" transform="rotate(-90 16 ${top + panelH / 2})" text-anchor="middle">${esc(unit)}</text>`);
    series.forEach((s, i) => {
      const pts = samples.map((p, k) => [p.t / 60, s.ys[k]!] as const).filter(([, v]) => Number.isFinite(v));
      if (pts.length) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.8" points="${pts.map(([m, v]) => `${x(m).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`);
      out.push(`<rect x="${W - right - 190}" y="${top + 8 + i * 16}" width="12" height="3" fill="${s.color}"/><text x="${W - right - 172}" y="${top + 13 + i * 16}">${esc(s.name)}</text>`);
    });
  };
  panel(tops[0]!, 'Resident memory', 'MB', [
    { name: 'stack process (Node)', color: '#1f77b4', ys: samples.map((s) => s.rssMb) },
    { name: 'Deno workers', color: '#2ca02c', ys: samples.map((s) => s.denoRssMb) },
  ]);
  panel(tops[1]!, 'Delivery latency (probe commit → SDK callback)', 'ms', [
    { name: 'p50', color: '#ff7f0e', ys: samples.map((s) => s.p50) },
    { name: 'p99', color: '#d62728', ys: samples.map((s) => s.p99) },
  ]);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v * 1.05) return m * p;
  return 10 * p;
}
function niceStep(max: number): number {
  for (const s of [0.5, 1, 2, 5, 10, 15, 30, 60]) if (max / s <= 12) return s;
  return 120;
}
function fmtTick(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number.isInteger(v) ? String(v) : v.toFixed(1);
}

if (isMain(import.meta.url)) {
  run().then((r) => {
    for (const f of r.figures) process.stdout.write(`${f.metric}: ${f.value} ${f.unit}${f.gate ? ` [gate ${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}\n`);
    process.exit(0);
  }, (e: unknown) => { console.error(e); process.exit(1); });
}
