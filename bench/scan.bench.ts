/**
 * Scan wall time against stored volume: 10^5, 10^6 and 10^7 events in the database at
 * a fixed load — 1,000 active res-8 cells and the same 10^5 events inside the scan's
 * horizon (28 days of history + the 6-hour study window). The extra events are older
 * history, as in a long-running deployment. The scan reads only the count cube over
 * its horizon (index range on (org, category, bucket, cell)), so its time should not
 * move with what is stored: gate flat within ± 20 % of the 10^5 figure.
 *
 * One dedicated stack (`HOTWATCH_BENCH_DB_URL` to reuse one). The 10^5 in-horizon
 * events go through the normal insert path (cube trigger); the bulk history is
 * generated with `generate_series` with triggers off (session_replication_role =
 * replica) and the org's cube is then rebuilt from events in one aggregate — the same
 * cube the trigger would have built, in a fraction of the load time.
 * Each size: one warm-up scan, then SCAN_BENCH_RUNS scans (median reported), in-process
 * (runScan with the real engine), plus one scan through the function on real Deno.
 */
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import type { Sql } from 'postgres';
import { scanCube } from '../functions/_shared/detection/index.ts';
import { runScan, type ScanSummary } from '../functions/_shared/scan/handler.ts';
import { DEFAULT_SERVICE_ROLE_KEY } from '../stack/src/keys.ts';
import { benchDb, isMain, writeResult } from './bench-stack.ts';
import type { BenchFigure, BenchResult } from './types.ts';

const HOUR = 3_600_000;
const CELLS = 1000;
const IN_HORIZON = 100_000;
const SIZES = (process.env.SCAN_BENCH_SIZES ?? '100000,1000000,10000000').split(',').map(Number);
const RUNS = Number(process.env.SCAN_BENCH_RUNS ?? 5);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function loadCells(sql: Sql): Promise<void> {
  const cells = gridDisk(latLngToCell(40.73, -73.99, 8), 18).slice(0, CELLS);
  const lat: number[] = [];
  const lng: number[] = [];
  const cell9: string[] = [];
  for (const c of cells) {
    const [la, ln] = cellToLatLng(c);
    lat.push(la); lng.push(ln); cell9.push(latLngToCell(la, ln, 9));
  }
  await sql`drop table if exists public.bench_cells`;
  await sql`create table public.bench_cells as
            select (ordinality - 1)::int as idx, lat, lng, cell9
              from unnest(${lat}::float8[], ${lng}::float8[], ${cell9}::text[]) with ordinality as t(lat, lng, cell9)`;
}

/** Events inside the scan horizon, through the normal path (trigger-maintained cube). */
async function loadHorizon(sql: Sql, orgId: string, now: number): Promise<void> {
  const span = 28 * 24 * HOUR + 6 * HOUR - 60_000;
  for (let from = 0; from < IN_HORIZON; from += 20_000) {
    await sql`
      insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, weight, h3_cell)
      select ${orgId}, 'bench', 'h-' || i, 'fire',
             ${new Date(now)}::timestamptz - ((hashint4(i) & 2147483647)::float8 / 2147483647 * ${span / 1000}) * interval '1 second',
             c.lat, c.lng, 1, c.cell9
        from generate_series(${from + 1}::int, ${Math.min(IN_HORIZON, from + 20_000)}::int) i
        join public.bench_cells c on c.idx = (hashint4(i + 7) & 2147483647) % ${CELLS}`;
  }
}

/**
 * Older history (before the horizon) in bulk, triggers off; the cube is rebuilt after.
 * On the bench's own stack the two secondary indexes are dropped for the load and
 * rebuilt after it (standard bulk-load practice; the end state is the same table).
 */
async function loadHistory(sql: Sql, orgId: string, now: number, fromId: number, count: number, ownDb: boolean): Promise<void> {
  const horizonStart = now - (28 * 24 + 7) * HOUR;
  const chunk = 500_000;
  if (ownDb) {
    await sql`alter table public.events drop constraint events_org_source_external_id_key`;
    await sql`drop index public.events_org_occurred_idx`;
  }
  for (let from = fromId; from < fromId + count; from += chunk) {
    const to = Math.min(fromId + count, from + chunk) - 1;
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`set local synchronous_commit = off`;
      await tx`
        insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, weight, h3_cell)
        select ${orgId}, 'bench', 'o-' || i, 'fire',
               ${new Date(horizonStart)}::timestamptz - ((hashint4(i) & 2147483647)::float8 / 2147483647 * 730 * 86400) * interval '1 second',
               c.lat, c.lng, 1, c.cell9
          from generate_series(${from}::int, ${to}::int) i
          join public.bench_cells c on c.idx = (hashint4(i + 7) & 2147483647) % ${CELLS}`;
    });
  }
  if (ownDb) {
    await sql.begin(async (tx) => {
      await tx`set local maintenance_work_mem = '512MB'`;
      await tx`alter table public.events add constraint events_org_source_external_id_key unique (org_id, source, external_id)`;
      await tx`create index events_org_occurred_idx on public.events (org_id, occurred_at)`;
    });
  }
  // The org's cube, rebuilt from its events: what the statement trigger maintains.
  await sql.begin(async (tx) => {
    await tx`delete from public.count_cube where org_id = ${orgId}`;
    await tx`
      insert into public.count_cube (org_id, category, cell, bucket, n, weight_sum)
      select org_id, category, public.h3_cell_to_parent(h3_cell, 8), date_bin('1 hour', occurred_at, timestamptz '2000-01-01 00:00:00+00'), count(*), sum(weight)
        from public.events where org_id = ${orgId} group by 1, 2, 3, 4`;
  });
  await sql`analyze public.events`;
  await sql`analyze public.count_cube`;
}

export async function run(): Promise<BenchResult> {
  const db = await benchDb('scan');
  const { sql } = db;
  try {
    const now = Math.floor(Date.now() / HOUR) * HOUR + 20 * 60_000;
    const [org] = await sql<Array<{ id: string }>>`insert into public.orgs (slug, name, created_at) values (${`scan-bench-${Date.now()}`}, 'scan bench', now() - interval '3 years') returning id`;
    const orgId = org!.id;
    await loadCells(sql);
    const t0 = performance.now();
    await loadHorizon(sql, orgId, now);
    const loads: string[] = [`${IN_HORIZON} in-horizon events loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`];

    const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const deps = { sql, engine: scanCube, now: () => now, cpuMs };
    const rows: Array<{ size: number; total: number; read: number; compute: number; cubeRows: number; deno: number | null; cpu: number }> = [];
    let stored = IN_HORIZON;
    for (const size of SIZES) {
      if (size > stored) {
        const t = performance.now();
        await loadHistory(sql, orgId, now, stored + 1, size - stored, db.stack !== null);
        loads.push(`${size - stored} history events loaded (+ cube rebuild) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
        stored = size;
      }
      const [counted] = await sql<Array<{ n: number }>>`select count(*)::int as n from public.events where org_id = ${orgId}`;
      const n = counted!.n;
      await runScan(deps, orgId, 'manual'); // warm-up (and the writes of a first detection)
      const runs: ScanSummary[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await runScan(deps, orgId, 'manual'));
      let deno: number | null = null;
      if (db.stack) {
        const t = performance.now();
        const res = await fetch(`${db.stack.apiUrl}/functions/v1/hotspot-scan`, {
          method: 'POST', body: JSON.stringify({ org_id: orgId }),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${DEFAULT_SERVICE_ROLE_KEY}` },
        });
        await res.text();
        deno = res.status === 200 ? performance.now() - t : -res.status;
      }
      rows.push({
        size: n, total: median(runs.map((r) => r.timings_ms.total)), read: median(runs.map((r) => r.timings_ms.read)),
        compute: median(runs.map((r) => r.timings_ms.compute)), cubeRows: runs[0]!.cube_rows, deno, cpu: median(runs.map((r) => r.cpu_ms)),
      });
    }

    const base = rows[0]!.total;
    const figures: BenchFigure[] = [];
    for (const r of rows) {
      const exp = Math.round(Math.log10(r.size));
      const ratio = r.total / base;
      figures.push({ metric: `scan wall time, 10^${exp} stored events (median of ${RUNS})`, value: r.total, unit: 'ms', floor: base, gate: 'within ± 20 % of 10^5', pass: Math.abs(ratio - 1) <= 0.2 });
      figures.push({ metric: `  of which cube + state read, 10^${exp}`, value: r.read, unit: 'ms' });
      figures.push({ metric: `  of which engine, 10^${exp}`, value: r.compute, unit: 'ms' });
      figures.push({ metric: `  Node process CPU, 10^${exp}`, value: r.cpu, unit: 'ms', gate: '< 2000 ms (hosted hard limit)', pass: r.cpu < 2000 });
      if (r.deno !== null) figures.push({ metric: `  one scan through the function on real Deno, 10^${exp}`, value: r.deno, unit: r.deno < 0 ? 'HTTP status (negated)' : 'ms' });
    }
    return {
      name: 'scan',
      figures,
      notes: [
        `${CELLS} active res-8 cells; ${IN_HORIZON} events inside the scan horizon at every size; cube rows read per scan: ${rows.map((r) => r.cubeRows).join(' / ')}.`,
        ...loads,
      ],
    };
  } finally {
    await sql`drop table if exists public.bench_cells`.catch(() => {});
    await db.close();
  }
}

if (isMain(import.meta.url)) {
  const result = await run();
  for (const f of result.figures) console.log(`${f.metric}: ${f.value.toFixed(1)} ${f.unit}${f.gate ? ` [gate ${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}`);
  for (const n of result.notes ?? []) console.log(`- ${n}`);
  await writeResult('scan', result);
}
