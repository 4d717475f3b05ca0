/**
 * Stream latency on the product's own path (issue #26 part 1), on a dedicated embedded stack:
 * a writer process updates hotspots, alerts and recommendations the way scans and decisions
 * do (multi-row transactions over one org's rows, every trigger in place, default
 * synchronous_commit) at ≈ 500 changes/s; 100 `createHotwatch` subscribers (default
 * options: postgres_changes, an org_id=eq filter, RLS) over 10 orgs with member JWTs, spread
 * over 4 client processes, each on all three streams; and in the same run a raw pgoutput
 * consumer (pg-logical-replication on its own slot, its own process) as the floor.
 *
 * Latency of a change = receipt time − the commit time pgoutput reports for the
 * transaction that wrote it (truncated to the millisecond, as Realtime's
 * commit_timestamp is), for the SDK handler and the floor alike, matched by
 * (table, id, version). Gates: SDK p50 ≤ floor p50 + 5 ms, p99 ≤ floor p99 + 40 ms.
 *   node --import tsx bench/product-path.bench.ts
 */
import { SignJWT } from 'jose';
import os from 'node:os';
import type { RealtimeService } from '../stack/src/realtime/service.ts';
import { insertChain, orgPlaybook, type Chain } from '../tests/integration/sdk/helpers.ts';
import { addMember, createTestOrg } from '../tests/support/fixtures.ts';
import { benchDb, isMain, writeResult } from './bench-stack.ts';
import { Child, pct, stagesNote } from './child.ts';
import type { BenchFigure, BenchResult } from './types.ts';

const env = (k: string, d: number): number => Number(process.env[`HOTWATCH_BENCH_PP_${k}`] ?? d);
const ORGS = 10;
const SUBSCRIBERS = 100;
const CHAINS_PER_ORG = 50;
const RATE = env('RATE', 500);
/** Changes per transaction: a scan of one org rewrites a handful of hotspots, alerts and recommendations. */
const PER_TX = env('PER_TX', 12);
const WRITERS = 3;
const CLIENT_PROCS = env('CLIENT_PROCS', 4);
const WARMUP_SECONDS = env('WARMUP_SECONDS', 5);
const SECONDS = env('SECONDS', 15);
const STREAM_TABLES = ['hotspots', 'alerts', 'recommendations'];
/**
 * Diagnosis only (not the product): HOTWATCH_BENCH_PP_WITHOUT_CUTOFF=1 drops the cut-off's
 * restrictive policy from the three stream tables first, to show what its per-batch gate
 * check costs (docs/realtime.md); the result is written as product-path-without-cutoff.
 */
const WITHOUT_CUTOFF = process.env.HOTWATCH_BENCH_PP_WITHOUT_CUTOFF === '1';

async function memberToken(secret: string, userId: string, orgId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: userId, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + 7200, org_roles: { [orgId]: 'viewer' } })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

export async function run(): Promise<BenchResult> {
  const figures: BenchFigure[] = [];
  const notes: string[] = [];
  const db = await benchDb('product-path', { realtime: { maxJoinsPerSecond: 1_000_000 } });
  if (!db.stack) throw new Error('the product-path bench needs the embedded stack (unset HOTWATCH_BENCH_DB_URL)');
  const stack = db.stack;
  const rt = stack.services.get('realtime') as RealtimeService;
  const procs = Array.from({ length: CLIENT_PROCS }, () => new Child('clients'));
  const writer = new Child('writer');
  const floorProc = new Child('floor');
  try {
    await Promise.all([...procs, writer, floorProc].map((p) => p.started));
    // The minutely scans (pg_cron → edge function) would write too, off the measured path.
    await db.sql`select cron.unschedule(jobid) from cron.job`.catch(() => {});
    if (WITHOUT_CUTOFF) for (const t of STREAM_TABLES) await db.sql.unsafe(`drop policy "banned accounts reach nothing" on public.${t}`);
    const orgChains: Chain[][] = [];
    const subscribers: Array<{ token: string; orgId: string }> = [];
    for (let o = 0; o < ORGS; o++) {
      const org = await createTestOrg(db.sql, `pp${o}`);
      const pb = await orgPlaybook(db.sql, org.id);
      const chains: Chain[] = [];
      for (let i = 0; i < CHAINS_PER_ORG; i++) chains.push(await insertChain(db.sql, org.id, `pp${o}-${i}`, pb));
      orgChains.push(chains);
      const members = [org.viewer.id];
      while (members.length < SUBSCRIBERS / ORGS) members.push((await addMember(db.sql, org.id, 'viewer')).id);
      for (const m of members) subscribers.push({ token: await memberToken(stack.config.keys.jwtSecret, m, org.id), orgId: org.id });
    }
    await floorProc.call({ cmd: 'floor', dbUrl: stack.dbUrl, slot: 'bench_pp_floor_slot', table: '', keyed: STREAM_TABLES });
    await Promise.all(procs.map((p, k) => p.call({
      cmd: 'sdk-latency', apiUrl: stack.apiUrl, anonKey: stack.config.keys.anonKey,
      subscribers: subscribers.filter((_, i) => i % procs.length === k),
    })));
    // Time spent in PL/pgSQL functions (triggers and the Realtime server's RLS functions alike) during the run.
    await db.sql`alter system set track_functions = 'pl'`;
    await db.sql`select pg_reload_conf()`;
    await db.sql`select pg_stat_reset()`;
    const before = rt.metrics();
    rt.resetLag();
    const warm = setTimeout(() => rt.resetLag(), WARMUP_SECONDS * 1_000 + 100);
    const w = await writer.call({ cmd: 'product-write', dbUrl: stack.dbUrl, orgs: orgChains, perSecond: RATE, seconds: WARMUP_SECONDS + SECONDS, workers: WRITERS, perTransaction: PER_TX })
      .finally(() => clearTimeout(warm));
    await new Promise((r) => setTimeout(r, 2_000));
    const after = rt.metrics();
    const fnTimes = await db.sql<{ fn: string; calls: string; total: number; self: number }[]>`
      select schemaname || '.' || funcname as fn, calls::text, total_time as total, self_time as self
        from pg_stat_user_functions order by total_time desc limit 8`;
    const stopped = await Promise.all(procs.map((p) => p.call({ cmd: 'sdk-latency-stop' })));
    const floorReply = await floorProc.call({ cmd: 'floor-stop' });
    await db.sql`select pg_drop_replication_slot('bench_pp_floor_slot')`.catch(() => {});

    // Commit time of each (table, id, version) from pgoutput; the warm-up's commits left out of both.
    const measuredFrom = Number(w.start) + WARMUP_SECONDS * 1_000;
    const commitOf = new Map<string, number>();
    const floorLat: number[] = [];
    for (const [key, commitMs, at] of floorReply.keyed as Array<[string, number, number]>) {
      commitOf.set(key, commitMs);
      if (commitMs >= measuredFrom) floorLat.push(at - commitMs);
    }
    const sdkLat: number[] = [];
    let unmatched = 0;
    for (const [key, at] of stopped.flatMap((r) => r.values as Array<[string, number]>)) {
      const c = commitOf.get(key);
      if (c === undefined) { unmatched++; continue; }
      if (c >= measuredFrom) sdkLat.push(at - c);
    }
    const measuredChanges = floorLat.length;
    const expected = measuredChanges * (SUBSCRIBERS / ORGS);
    const [p50, p95, p99] = [pct(sdkLat, 50), pct(sdkLat, 95), pct(sdkLat, 99)];
    const [f50, f95, f99] = [pct(floorLat, 50), pct(floorLat, 95), pct(floorLat, 99)];
    figures.push(
      { metric: 'product path: commit → SDK handler p50', value: p50, unit: 'ms', floor: f50, gate: '≤ floor + 5 ms', pass: p50 <= f50 + 5 },
      { metric: 'product path: commit → SDK handler p95', value: p95, unit: 'ms', floor: f95 },
      { metric: 'product path: commit → SDK handler p99', value: p99, unit: 'ms', floor: f99, gate: '≤ floor + 40 ms', pass: p99 <= f99 + 40 },
      { metric: 'product path: commit → frames written by the server p50', value: after.sendP50Ms!, unit: 'ms' },
      { metric: 'product path: commit → frames written by the server p99', value: after.sendP99Ms!, unit: 'ms' },
      { metric: 'product path: changes written/s', value: Number(w.total) / Number(w.elapsed), unit: 'changes/s', anchor: `target ${RATE}/s` },
      { metric: 'product path: SDK deliveries received / expected (measured seconds)', value: sdkLat.length / expected, unit: 'fraction' },
    );
    notes.push(`Product path: ${SUBSCRIBERS} createHotwatch subscribers (default options: postgres_changes, org_id=eq filter, RLS) on hotspots, alerts and recommendations, ${ORGS} orgs × ${SUBSCRIBERS / ORGS} members with their own JWTs, over ${CLIENT_PROCS} client processes; a writer process with ${WRITERS} connections updating ${ORGS * CHAINS_PER_ORG} hotspot→alert→recommendation chains in transactions of ≈ ${PER_TX} changes over one org's rows (every trigger: version stamp, Broadcast from Database, alert lifecycle), default synchronous_commit; ${String(w.total)} changes in ${Number(w.elapsed).toFixed(1)} s (${WARMUP_SECONDS} s warm-up left out, then ${SECONDS} s measured: ${measuredChanges} changes, ${sdkLat.length} SDK deliveries of ${expected} expected; ${unmatched} receipts without a decoded commit).`);
    notes.push(`Product path: floor p50/p95/p99 ${f50.toFixed(1)}/${f95.toFixed(1)}/${f99.toFixed(1)} ms = pg-logical-replication on its own pgoutput slot in its own process, commit time truncated to the millisecond for both.`);
    notes.push(`Product path, ${stagesNote(after)}; ${after.rlsGroupQueries! - before.rlsGroupQueries!} RLS group queries in ${after.rlsBatches! - before.rlsBatches!} batches, ${(after.rlsCachedVerdicts ?? 0) - (before.rlsCachedVerdicts ?? 0)} (group, change) verdicts from the authorizer's cache, ${(after.rlsGateChecks ?? 0) - (before.rlsGateChecks ?? 0)} gate checks, ${(after.rlsKeptGates ?? 0) - (before.rlsKeptGates ?? 0)} gate values kept from earlier batches, ${(after.visibilityWaits ?? 0) - (before.visibilityWaits ?? 0)} 1-ms visibility waits.`);
    notes.push(`Product path, PL/pgSQL functions during the run (pg_stat_user_functions; calls, total/self ms): ${fnTimes.map((f) => `${f.fn} ${f.calls}, ${f.total.toFixed(0)}/${f.self.toFixed(0)}`).join('; ')}.`);
    notes.push(`Product path, SDK client processes: ${stopped.map((r, k) => `process ${k + 1}: ${String(r.process)}`).join('; ')}.`);
    notes.push(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg()[0]!.toFixed(1)} at the end.`);
    if (WITHOUT_CUTOFF) notes.push('DIAGNOSIS RUN: the cut-off policy was dropped from the stream tables (HOTWATCH_BENCH_PP_WITHOUT_CUTOFF=1); not the product.');
    return { name: WITHOUT_CUTOFF ? 'product-path latency without the cut-off policy (diagnosis)' : 'product-path latency', figures, notes };
  } finally {
    for (const p of [...procs, writer, floorProc]) p.kill();
    await db.close();
  }
}

if (isMain(import.meta.url)) {
  run().then(async (r) => {
    await writeResult(WITHOUT_CUTOFF ? 'product-path-without-cutoff' : 'product-path', r);
    for (const f of r.figures) console.log(`${f.metric}: ${f.value.toFixed(2)} ${f.unit}${f.floor !== undefined ? ` (floor ${f.floor.toFixed(2)})` : ''}${f.gate ? ` [gate ${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}`);
    for (const n of r.notes ?? []) console.log(`- ${n}`);
    process.exit(0);
  }).catch((e: unknown) => { console.error(e); process.exit(1); });
}
