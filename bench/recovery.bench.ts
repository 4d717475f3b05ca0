/**
 * Recovery from a PostgreSQL crash under a running stack: kill -9 of the postmaster (as
 * a user would), the stack's supervisor starts it again on the same data directory (crash
 * recovery replays the WAL), and the services reconnect. Measured with supabase-js: kill →
 * first REST 200 (the client's own 503 retries off, polled every 25 ms), and kill → a
 * change committed after recovery reaches a Realtime subscriber. Crashes are spaced past
 * the supervisor's 30 s stable window, so each is a first restart attempt (0.5 s wait).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@supabase/supabase-js';
import postgres from 'postgres';
import WebSocket from 'ws';
import { REPO_ROOT } from '../stack/src/config.ts';
import { freePort } from '../stack/src/postgres/embedded.ts';
import { startStack } from '../stack/src/start.ts';
import { DEFAULT_RESTART_POLICY } from '../stack/src/supervisor.ts';
import { crashPostgres, firstRest200 } from '../tests/support/crash.ts';
import { createTestOrg } from '../tests/support/fixtures.ts';
import { insertHotspot } from '../tests/integration/realtime/helpers.ts';
import { isMain, writeResult } from './bench-stack.ts';
import { quantile } from './stack.bench.ts';
import type { BenchResult } from './types.ts';

const CRASHES = Number(process.env.HOTWATCH_BENCH_CRASHES ?? 3);

export async function run(): Promise<BenchResult> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-bench-recovery-'));
  await fs.chmod(root, 0o755);
  const logFile = path.join(REPO_ROOT, '.tmp', 'bench-logs', `recovery-${Date.now()}.log`);
  const stack = await startStack({ dataDir: path.join(root, 'pg'), apiPort: await freePort(), dbPort: await freePort(), fresh: true, quiet: true, logFile });
  const client = createClient(stack.apiUrl, stack.config.keys.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });
  const rest: number[] = [];
  const realtime: number[] = [];
  const gaps: number[] = [];
  try {
    let sql = postgres(stack.dbUrl, { max: 2, onnotice: () => {} });
    const org = await createTestOrg(sql, 'bench-recovery');
    const delivered = new Map<string, number>();
    await new Promise<void>((resolve, reject) => {
      client.channel('bench-recovery')
        .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'hotspots', filter: `org_id=eq.${org.id}` },
          (p: { new: Record<string, unknown> }) => { delivered.set(String(p.new.dedup_key), performance.now()); })
        .subscribe((status) => { if (status === 'SUBSCRIBED') resolve(); else if (status !== 'CLOSED') reject(new Error(status)); });
    });
    for (let i = 0; i < CRASHES; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, DEFAULT_RESTART_POLICY.stableAfterMs + 1_000));
      await sql.end({ timeout: 1 }); // postgres.js must not be connected across the crash (tests/integration/reliability/fault-kit.ts)
      const killedAt = await crashPostgres(stack);
      const { recoveryMs, gap } = await firstRest200(client, 'hotspots', killedAt, { timeoutMs: 120_000 });
      rest.push(recoveryMs);
      gaps.push(gap.length);
      sql = postgres(stack.dbUrl, { max: 2, onnotice: () => {} });
      const key = `after-crash-${i}`;
      await insertHotspot(sql, org.id, key);
      const deadline = Date.now() + 60_000;
      while (!delivered.has(key) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      realtime.push(delivered.has(key) ? delivered.get(key)! - killedAt : NaN);
    }
    await sql.end();
  } finally {
    await client.removeAllChannels().catch(() => {});
    client.realtime.disconnect();
    await stack.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
  const restP50 = quantile(rest, 0.5);
  return {
    name: 'recovery',
    figures: [
      { metric: `PostgreSQL kill -9 → first REST 200 (median of ${rest.length})`, value: restP50, unit: 'ms', gate: '≤ 10000 ms', pass: restP50 <= 10_000 },
      { metric: 'PostgreSQL kill -9 → first REST 200 (max)', value: Math.max(...rest), unit: 'ms' },
      { metric: `PostgreSQL kill -9 → a change committed after recovery reaches a Realtime subscriber (median of ${realtime.length})`, value: quantile(realtime, 0.5), unit: 'ms' },
    ],
    notes: [
      `each: ${rest.map((ms, i) => `REST ${ms.toFixed(0)} ms (${gaps[i]} answers 503 PGRST000 before it), Realtime ${realtime[i]?.toFixed(0)} ms`).join('; ')}`,
      `the supervisor waits ${DEFAULT_RESTART_POLICY.initialDelayMs} ms before its first restart attempt; the rest is PostgreSQL's crash recovery and the pools reconnecting`,
      `load average at the end: ${os.loadavg().map((n) => n.toFixed(1)).join(' ')} on ${os.cpus().length} cores; stack log ${path.relative(REPO_ROOT, logFile)}`,
    ],
  };
}

if (isMain(import.meta.url)) {
  const result = await run();
  for (const f of result.figures) process.stdout.write(`${f.metric}: ${f.value.toFixed(1)} ${f.unit}${f.gate ? ` [${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}\n`);
  for (const n of result.notes ?? []) process.stdout.write(`  ${n}\n`);
  await writeResult('recovery', result);
}
