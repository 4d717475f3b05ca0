/**
 * Scans that scale with orgs (issue 26, part 4): 1,000 orgs, of which 50 receive events
 * each minute, for 15 minutes of wall clock with the pg_cron schedule at its real
 * one-minute period on a dedicated stack (one POST a minute → the hotspot-scan function's
 * background round, two scans in flight). Reported:
 *   - scans run and org-minutes skipped (an org-minute with nothing new costs no scan);
 *   - CPU seconds per minute of PostgreSQL, the functions' Deno workers and the stack
 *     process (which also runs this driver: its writes are a few inserts a minute);
 *   - the delay from an org's events committing to the scan that consumed them starting:
 *     p50/p95 (gate p95 ≤ 60 s) and the worst (no org starved: every batch scanned).
 * The floor beside the CPU figure is the same stack idle for the first minute (no events).
 * SCHEDULE_BENCH_MINUTES / _ORGS / _BUSY shorten or widen it.
 */
import fs from 'node:fs/promises';
import { latLngToCell } from 'h3-js';
import { benchDb, isMain, writeResult } from './bench-stack.ts';
import type { BenchResult } from './types.ts';

const MINUTES = Number(process.env.SCHEDULE_BENCH_MINUTES ?? 15);
const ORGS = Number(process.env.SCHEDULE_BENCH_ORGS ?? 1000);
const BUSY = Number(process.env.SCHEDULE_BENCH_BUSY ?? 50);
const EVENTS_PER_BATCH = 20;
const MINUTE = 60_000;

/** USER_HZ: /proc times are in clock ticks (100 on Linux builds for x86-64 and arm64). */
const TICKS = 100;

interface Proc { pid: number; ppid: number; comm: string; self: number; children: number }

async function procs(): Promise<Proc[]> {
  const out: Proc[] = [];
  for (const d of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = await fs.readFile(`/proc/${d}/stat`, 'utf8').catch(() => null);
    if (!stat) continue;
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    // Fields after comm: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
    out.push({ pid: Number(d), ppid: Number(f[1]), comm, self: (Number(f[11]) + Number(f[12])) / TICKS, children: (Number(f[13]) + Number(f[14])) / TICKS });
  }
  return out;
}

/**
 * CPU seconds so far of this process's tree, by part. Exited processes count in their
 * parent's children time: backends in the postmaster's, retired Deno workers in ours.
 */
async function cpuByPart(): Promise<{ postgres: number; functions: number; stack: number }> {
  const all = await procs();
  const kids = new Map<number, Proc[]>();
  for (const p of all) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p]);
  const parts = { postgres: 0, functions: 0, stack: 0 };
  const walk = (p: Proc, root: boolean): void => {
    if (p.comm === 'postgres') parts.postgres += p.self + p.children;
    else if (p.comm.startsWith('deno')) parts.functions += p.self + p.children;
    else {
      parts.stack += p.self;
      if (root) parts.functions += p.children;
      else parts.stack += p.children;
    }
    // A postgres process's children were already counted through its children time only when they exited.
    for (const c of kids.get(p.pid) ?? []) walk(c, false);
  };
  const me = all.find((p) => p.pid === process.pid);
  if (me) walk(me, true);
  return parts;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<BenchResult> {
  const db = await benchDb('schedule');
  try {
    const { sql } = db;
    if (!db.stack) throw new Error('the schedule benchmark needs its own stack (pg_cron → pg_net → its functions gateway)');
    const tag = `sched-${Date.now().toString(36)}`;
    const orgs = (await sql<Array<{ id: string }>>`
      insert into public.orgs (slug, name) select ${tag} || '-' || g, 'Schedule bench ' || g from generate_series(1, ${ORGS}) g returning id`).map((r) => r.id);
    // Let the seeded orgs' first round (their news from the seed) pass before measuring.
    await sleep(MINUTE);

    // Idle floor: a minute of the schedule with nothing new anywhere.
    const idle0 = await cpuByPart();
    await sleep(MINUTE);
    const idle1 = await cpuByPart();
    const idleTotal = (idle1.postgres - idle0.postgres) + (idle1.functions - idle0.functions) + (idle1.stack - idle0.stack);

    const [{ t: t0 } = { t: new Date() }] = await sql<Array<{ t: Date }>>`select now() as t`;
    const cpu0 = await cpuByPart();
    const batches: Array<{ orgId: string; committedAt: Date }> = [];
    const cells = Array.from({ length: 16 }, (_, i) => latLngToCell(51.9 + (i % 4) * 0.01, 4.45 + Math.floor(i / 4) * 0.01, 9));
    let next = 0;
    const started = Date.now();
    for (let m = 0; m < MINUTES; m++) {
      // 50 orgs a minute, round robin over all of them, spread across the minute.
      for (let i = 0; i < BUSY; i++) {
        const orgId = orgs[next++ % orgs.length]!;
        const [row] = await sql<Array<{ t: Date }>>`
          with ins as (
            insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, h3_cell)
            select ${orgId}, 'bench', ${tag} || '-' || ${m} || '-' || ${i} || '-' || g, 'fire', now() - make_interval(secs => g * 30),
                   51.9, 4.45, (${cells}::text[])[1 + g % 16]
              from generate_series(1, ${EVENTS_PER_BATCH}) g returning 1)
          select clock_timestamp() as t from (select count(*) from ins) c`;
        batches.push({ orgId, committedAt: row!.t });
        const due = started + m * MINUTE + ((i + 1) * MINUTE) / BUSY;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    }
    const cpu1 = await cpuByPart();
    const wallMin = (Date.now() - started) / MINUTE;
    // The last batches' scans: up to two more rounds.
    const drainUntil = Date.now() + 3 * MINUTE;
    while (Date.now() < drainUntil) {
      const [{ n } = { n: 0 }] = await sql<Array<{ n: number }>>`select count(*)::int as n from public.scan_news n join public.orgs o on o.id = n.org_id where o.slug like ${tag + '-%'}`;
      if (n === 0) break;
      await sleep(2000);
    }

    const runs = await sql<Array<{ org_id: string; started_at: Date; status: string }>>`
      select r.org_id, r.started_at, r.status from public.scan_runs r join public.orgs o on o.id = r.org_id
       where o.slug like ${tag + '-%'} and r.trigger = 'cron' and r.started_at >= ${t0} order by r.started_at`;
    const byOrg = new Map<string, Date[]>();
    for (const r of runs) byOrg.set(r.org_id, [...(byOrg.get(r.org_id) ?? []), r.started_at]);
    // A batch is consumed by the first scan of its org that started after it committed.
    const delays: number[] = [];
    let unscanned = 0;
    for (const b of batches) {
      const s = (byOrg.get(b.orgId) ?? []).find((t) => t >= b.committedAt);
      if (s) delays.push((s.getTime() - b.committedAt.getTime()) / 1000);
      else unscanned++;
    }
    const scansInWindow = runs.filter((r) => r.started_at.getTime() <= t0.getTime() + wallMin * MINUTE).length;
    const orgMinutes = ORGS * MINUTES;
    const perMin = (a: number, b: number): number => (b - a) / wallMin;
    const cpu = { postgres: perMin(cpu0.postgres, cpu1.postgres), functions: perMin(cpu0.functions, cpu1.functions), stack: perMin(cpu0.stack, cpu1.stack) };
    const cpuTotal = cpu.postgres + cpu.functions + cpu.stack;
    const p95 = quantile(delays, 0.95);
    const worst = delays.length ? Math.max(...delays) : NaN;

    const result: BenchResult = {
      name: `schedule: ${ORGS} orgs, ${BUSY} with events each minute, ${MINUTES} min at the real one-minute period`,
      figures: [
        { metric: 'scans run (schedule)', value: scansInWindow, unit: 'scans' },
        { metric: 'org-minutes skipped (nothing new)', value: orgMinutes - scansInWindow, unit: 'org-minutes', floor: orgMinutes, anchor: 'floor: org-minutes (the old schedule scanned every one)' },
        { metric: 'CPU: PostgreSQL', value: cpu.postgres, unit: 's/min' },
        { metric: 'CPU: functions (Deno workers)', value: cpu.functions, unit: 's/min' },
        { metric: 'CPU: stack process (+ this driver)', value: cpu.stack, unit: 's/min' },
        { metric: 'CPU: all', value: cpuTotal, unit: 's/min', floor: idleTotal, anchor: 'floor: the same stack idle for a minute' },
        { metric: 'event commit → its scan starts, p50', value: quantile(delays, 0.5), unit: 's' },
        { metric: 'event commit → its scan starts, p95', value: p95, unit: 's', gate: '≤ 60 s', pass: p95 <= 60 },
        { metric: 'worst delay; batches never scanned', value: worst, unit: `s; ${unscanned} unscanned`, gate: 'every batch scanned', pass: unscanned === 0 },
      ],
      notes: [
        `${batches.length} event batches of ${EVENTS_PER_BATCH} over ${wallMin.toFixed(1)} min; ${runs.filter((r) => r.status !== 'succeeded').length} cron runs did not succeed.`,
        'CPU from /proc over this process tree: postgres processes (exited backends through the postmaster), deno processes (retired workers through this process), and this node process (the stack and the driver).',
      ],
    };
    await writeResult('schedule', result);
    return result;
  } finally {
    await db.close();
  }
}

if (isMain(import.meta.url)) {
  const r = await run();
  console.log(JSON.stringify(r, null, 2));
}
