/**
 * The embedded stack's own costs: cold start (fresh data directory: initdb, bootstrap,
 * every migration through the Supabase CLI, seed, services) and warm start (restart on
 * that data directory), and the functions gateway's invoke latency on real Deno — cold
 * (a new worker boots for the request) and warm (kept worker) — beside the floor of
 * the same worker's port hit directly, without the gateway.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFunctionsGateway } from '../stack/src/functions-gateway/service.ts';
import { startGateway } from '../stack/src/gateway/server.ts';
import { freePort } from '../stack/src/postgres/embedded.ts';
import { startStack, type Stack } from '../stack/src/start.ts';
import { FIXTURE_FUNCTIONS } from '../tests/fixtures/functions/fixtures.ts';
import { isMain, writeResult } from './bench-stack.ts';
import type { BenchFigure, BenchResult } from './types.ts';

const WARM_STARTS = Number(process.env.HOTWATCH_BENCH_WARM_STARTS ?? 3);
const COLD_INVOKES = Number(process.env.HOTWATCH_BENCH_COLD_INVOKES ?? 5);
const WARM_INVOKES = Number(process.env.HOTWATCH_BENCH_WARM_INVOKES ?? 300);

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function invokeLatencies(stack: Stack): Promise<{ cold: number[]; warm: number[]; direct: number[] }> {
  const port = await freePort();
  const gateway = await startGateway({ host: '127.0.0.1', port, keys: stack.config.keys, log: stack.log.child('bench-gw') });
  const ctx = { config: stack.config, apiUrl: `http://127.0.0.1:${port}`, dbUrl: stack.dbUrl, sql: stack.sql, log: stack.log.child('bench-fn') };
  const fg = await createFunctionsGateway(ctx, { extraFunctions: FIXTURE_FUNCTIONS });
  for (const m of fg.mounts ?? []) gateway.mount(m);
  const url = `${ctx.apiUrl}/functions/v1/hello`;
  const headers = { authorization: `Bearer ${stack.config.keys.anonKey}` };
  const call = async (u: string): Promise<void> => {
    const res = await fetch(u, { headers });
    if (res.status !== 200) throw new Error(`${u} answered ${res.status}`);
    await res.arrayBuffer();
  };
  try {
    const cold: number[] = [];
    for (let i = 0; i < COLD_INVOKES; i++) {
      const w = fg.worker('hello');
      if (w) { w.kill('stopped'); await w.ended; }
      cold.push(await timed(() => call(url)));
    }
    for (let i = 0; i < 20; i++) await call(url); // JIT warm-up
    const warm: number[] = [];
    for (let i = 0; i < WARM_INVOKES; i++) warm.push(await timed(() => call(url)));
    const worker = fg.worker('hello');
    const direct: number[] = [];
    if (worker) {
      const raw = `http://127.0.0.1:${worker.port}/hello`;
      for (let i = 0; i < 20; i++) await call(raw);
      for (let i = 0; i < WARM_INVOKES; i++) direct.push(await timed(() => call(raw)));
    }
    return { cold, warm, direct };
  } finally {
    await fg.stop();
    await gateway.close();
  }
}

export async function run(): Promise<BenchResult> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-bench-stack-'));
  await fs.chmod(root, 0o755);
  const opts = { dataDir: path.join(root, 'pg'), apiPort: await freePort(), dbPort: await freePort(), quiet: true };
  const figures: BenchFigure[] = [];
  const notes: string[] = [];
  try {
    const first = await startStack({ ...opts, fresh: true });
    const coldPhases = { ...first.timings };
    await first.stop();
    figures.push({ metric: 'stack cold start (fresh data dir: initdb, migrations, seed, services)', value: coldPhases.ready ?? NaN, unit: 'ms' });
    notes.push(`cold start phases (ms since call): ${JSON.stringify(coldPhases)}`);

    const warmTimes: number[] = [];
    let stack: Stack | undefined;
    for (let i = 0; i < WARM_STARTS; i++) {
      stack = await startStack({ ...opts, fresh: false });
      warmTimes.push(stack.timings.ready ?? NaN);
      if (i < WARM_STARTS - 1) await stack.stop();
    }
    notes.push(`warm start phases of the last run (ms since call): ${JSON.stringify(stack?.timings)}`);
    const warm = quantile(warmTimes, 0.5);
    figures.push({ metric: `stack warm start (median of ${WARM_STARTS})`, value: warm, unit: 'ms', gate: '≤ 5000 ms', pass: warm <= 5000 });

    if (stack) {
      try {
        const lat = await invokeLatencies(stack);
        figures.push({ metric: `functions cold invoke (new Deno worker, median of ${COLD_INVOKES})`, value: quantile(lat.cold, 0.5), unit: 'ms',
          anchor: 'this-machine.md §2: Deno.serve-only process to first response ≈ 197 ms' });
        figures.push({ metric: 'functions warm invoke p50', value: quantile(lat.warm, 0.5), unit: 'ms', floor: quantile(lat.direct, 0.5) });
        figures.push({ metric: 'functions warm invoke p99', value: quantile(lat.warm, 0.99), unit: 'ms', floor: quantile(lat.direct, 0.99) });
        notes.push('floor = the same warm worker\'s private port hit directly (no gateway, no JWT check)');
      } finally {
        await stack.stop();
      }
    }
    notes.push(`load average at the end: ${os.loadavg().map((n) => n.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
  return { name: 'stack', figures, notes };
}

if (isMain(import.meta.url)) {
  const result = await run();
  for (const f of result.figures) process.stdout.write(`${f.metric}: ${f.value.toFixed(1)} ${f.unit}${f.floor !== undefined ? ` (floor ${f.floor.toFixed(1)})` : ''}${f.gate ? ` [${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}\n`);
  for (const n of result.notes ?? []) process.stdout.write(`  ${n}\n`);
  await writeResult('stack', result);
}
