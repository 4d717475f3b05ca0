/**
 * Scan wall time against stored volume. Three orgs in one dedicated stack store 10^5,
 * 10^6 and 10^7 events; every org has the same fixed load inside the scan's horizon
 * (28 days of history + the 6-hour study window): 1,000 active res-8 cells and the same
 * 10^5 events. The rest is older history, as in a long-running deployment. The scan
 * reads only the count cube over its horizon (an index range on (org, category,
 * bucket, cell)), so its time should not move with what is stored: gate flat within
 * ± 20 % of the 10^5 org.
 *
 * The orgs are scanned in interleaved rounds (A, B, C, A, B, C, …) so that the load
 * of a shared machine drifts equally over all three; medians are reported.
 *
 * Loading: the in-horizon events go through the normal insert path (the cube trigger);
 * the bulk history is generated with `generate_series` with triggers off
 * (session_replication_role = replica; on the bench's own stack the two secondary
 * indexes are dropped for the load and rebuilt after it) and its cube rows are then
 * inserted in time order, as a cube grown by the trigger would be laid out.
 */
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import type { Sql } from 'postgres';
import { scanCube } from '../functions/_shared/detection/index.ts';
import type { ScanResult } from '../functions/_shared/contract.ts';
import { runScan, type ScanDeps } from '../functions/hotspot-scan/run.ts';
import { DEFAULT_SERVICE_ROLE_KEY } from '../stack/src/keys.ts';
import { benchDb, isMain, writeResult } from './bench-stack.ts';
import type { BenchFigure, BenchResult } from './types.ts';

const HOUR = 3_600_000;
const CELLS = 1000;
const IN_HORIZON = 100_000;
const SIZES = (process.env.SCAN_BENCH_SIZES ?? '100000,1000000,10000000').split(',').map(Number);
const ROUNDS = Number(process.env.SCAN_BENCH_ROUNDS ?? 7);

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
    lat.push(la); lng.push(ln); cell9.push(latLngToCell(la, ln, 9)); // the centre child: its res-8 parent is c
  }
  await sql`drop table if exists public.bench_cells`;
  await sql`create table public.bench_cells as
            select (ordinality - 1)::int as idx, lat, lng, cell9, cell8
              from unnest(${lat}::float8[], ${lng}::float8[], ${cell9}::text[], ${cells}::text[]) with ordinality as t(lat, lng, cell9, cell8)`;
}

/** The fixed load inside the scan horizon, through the normal path (trigger-maintained cube). */
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

/** Older history (two years before the horizon) in bulk, triggers off; its cube rows after. */
async function loadHistory(sql: Sql, orgId: string, now: number, count: number): Promise<void> {
  const horizonStart = new Date(now - (28 * 24 + 7) * HOUR);
  const chunk = 500_000;
  for (let from = 1; from <= count; from += chunk) {
    const to = Math.min(count, from + chunk - 1);
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`set local synchronous_commit = off`;
      await tx`
        insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, weight, h3_cell)
        select ${orgId}, 'bench', 'o-' || i, 'fire',
               date_trunc('hour', ${horizonStart}::timestamptz) - ((hashint4(i) & 2147483647)::float8 / 2147483647 * 730 * 86400) * interval '1 second',
               c.lat, c.lng, 1, c.cell9
          from generate_series(${from}::int, ${to}::int) i
          join public.bench_cells c on c.idx = (hashint4(i + 7) & 2147483647) % ${CELLS}`;
    });
  }
  // The history's cube rows, in time order: what the statement trigger builds over time
  // (the events' res-8 parent is bench_cells.cell8; the horizon's rows already exist).
  await sql`
    insert into public.count_cube (org_id, category, cell, bucket, n, weight_sum)
    select e.org_id, e.category, c.cell8, date_bin('1 hour', e.occurred_at, timestamptz '2000-01-01 00:00:00+00') as bucket, count(*), sum(e.weight)
      from public.events e join public.bench_cells c on c.cell9 = e.h3_cell
     where e.org_id = ${orgId} and e.external_id like 'o-%'
     group by 1, 2, 3, 4 order by bucket, 3`;
}

export async function run(): Promise<BenchResult> {
  const db = await benchDb('scan');
  const { sql } = db;
  try {
    const now = Math.floor(Date.now() / HOUR) * HOUR + 20 * 60_000;
    await loadCells(sql);
    const notes: string[] = [];
    const orgs: Array<{ id: string; size: number }> = [];
    let t = performance.now();
    for (const size of SIZES) {
      const [o] = await sql<Array<{ id: string }>>`insert into public.orgs (slug, name, created_at)
        values (${`scan-bench-${size}-${Date.now()}`}, ${`scan bench ${size}`}, now() - interval '3 years') returning id`;
      await loadHorizon(sql, o!.id, now);
      orgs.push({ id: o!.id, size });
    }
    notes.push(`${IN_HORIZON} in-horizon events per org loaded through the trigger in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const own = db.stack !== null;
    if (own) {
      await sql`alter table public.events drop constraint events_org_source_external_id_key`;
      await sql`drop index public.events_org_occurred_idx`;
    }
    for (const o of orgs) if (o.size > IN_HORIZON) await loadHistory(sql, o.id, now, o.size - IN_HORIZON);
    if (own) {
      await sql.begin(async (tx) => {
        await tx`set local maintenance_work_mem = '512MB'`;
        await tx`alter table public.events add constraint events_org_source_external_id_key unique (org_id, source, external_id)`;
        await tx`create index events_org_occurred_idx on public.events (org_id, occurred_at)`;
      });
    }
    await sql`vacuum (analyze) public.events`;
    await sql`vacuum (analyze) public.count_cube`;
    const [tot] = await sql<Array<{ events: number; cube: number }>>`select (select count(*) from public.events)::int as events, (select count(*) from public.count_cube)::int as cube`;
    notes.push(`history loaded, indexes rebuilt, vacuumed in ${((performance.now() - t) / 1000).toFixed(1)} s; the events table holds ${tot!.events} rows, the cube ${tot!.cube}`);

    const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const deps: ScanDeps = { sql, engine: scanCube, now: () => now, cpuMs };
    for (const o of orgs) await runScan(deps, o.id, 'manual'); // warm-up (and a first detection's writes)
    const runs = new Map<string, ScanResult[]>(orgs.map((o) => [o.id, []]));
    for (let r = 0; r < ROUNDS; r++) for (const o of orgs) runs.get(o.id)!.push(await runScan(deps, o.id, 'manual'));
    const deno = new Map<string, number>();
    if (db.stack) {
      for (const o of orgs) {
        const t0 = performance.now();
        const res = await fetch(`${db.stack.apiUrl}/functions/v1/hotspot-scan`, {
          method: 'POST', body: JSON.stringify({ org_id: o.id }),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${DEFAULT_SERVICE_ROLE_KEY}` },
        });
        const body = await res.text();
        deno.set(o.id, res.status === 200 ? performance.now() - t0 : -res.status);
        if (res.status !== 200) notes.push(`function scan of the ${o.size} org answered ${res.status}: ${body.slice(0, 200)}`);
      }
    }

    const figures: BenchFigure[] = [];
    const base = median(runs.get(orgs[0]!.id)!.map((s) => s.timings_ms.total));
    for (const o of orgs) {
      const rs = runs.get(o.id)!;
      const exp = Math.round(Math.log10(o.size));
      const total = median(rs.map((s) => s.timings_ms.total));
      figures.push({ metric: `scan wall time, org with 10^${exp} stored events (median of ${ROUNDS})`, value: total, unit: 'ms', floor: base, gate: 'within ± 20 % of 10^5', pass: Math.abs(total / base - 1) <= 0.2 });
      figures.push({ metric: `  cube + state read, 10^${exp}`, value: median(rs.map((s) => s.timings_ms.read)), unit: 'ms' });
      figures.push({ metric: `  engine, 10^${exp}`, value: median(rs.map((s) => s.timings_ms.compute)), unit: 'ms' });
      figures.push({ metric: `  Node process CPU, 10^${exp}`, value: median(rs.map((s) => s.cpu_ms)), unit: 'ms', gate: '< 2000 ms (hosted hard limit)', pass: median(rs.map((s) => s.cpu_ms)) < 2000 });
      const d = deno.get(o.id);
      if (d !== undefined) figures.push({ metric: `  one scan through the function on real Deno, 10^${exp}`, value: d, unit: d < 0 ? 'HTTP status (negated)' : 'ms' });
    }
    notes.unshift(`${CELLS} active res-8 cells and ${IN_HORIZON} in-horizon events per org; cube rows read per scan: ${orgs.map((o) => runs.get(o.id)![0]!.cube_rows).join(' / ')}; engine: ${runs.get(orgs[0]!.id)![0]!.categories['fire'] ? JSON.stringify(runs.get(orgs[0]!.id)![0]!.categories['fire']) : 'n/a'}.`);
    return { name: 'scan', figures, notes };
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
