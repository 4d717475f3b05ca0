/**
 * Ingest throughput: the same 100,000 event rows, in batches of 10,000, through
 *   - floor: the same `insert … select from unnest(…) on conflict do nothing` into
 *     `bench_floor`, a table with the events' columns, primary key and unique key and
 *     nothing else (no trigger, no FK, no checks, no other index) — created here, in
 *     the bench's own stack, never in migrations;
 *   - raw: that statement into public.events with the columns (incl. H3 cells)
 *     precomputed — every trigger (count cube, scan news), the FK, checks and indexes;
 *   - the ingest handler in-process (no HTTP, no Deno);
 *   - the ingest-events function on real Deno behind the stack's functions gateway
 *     (HTTP + JSON + auth + zod + h3-js + the insert).
 * Each variant writes into its own org; every variant's batches are sequential, and the
 * variants take turns batch by batch, so a burst of load from other processes on the
 * shared machine falls on all of them alike. Gate: function ≥ 0.5 × floor events/s.
 * After the run the count cube of each org is compared with a recount of its events.
 */
import { latLngToCell } from 'h3-js';
import type { Sql } from 'postgres';
import { createIngestHandler } from '../functions/ingest-events/handler.ts';
import { prepareBatch, type EventColumns } from '../functions/ingest-events/rules/batch.ts';
import { insertEvents } from '../functions/ingest-events/store/events.ts';
import { DEFAULT_INGEST_LIMITS } from '../functions/ingest-events/schema.ts';
import { DEFAULT_SERVICE_ROLE_KEY } from '../stack/src/keys.ts';
import { benchDb, isMain, writeResult } from './bench-stack.ts';
import type { BenchResult } from './types.ts';

const TOTAL = Number(process.env.INGEST_BENCH_EVENTS ?? 100_000);
const BATCH = 10_000;

function makeBatches(now: number): Array<Array<Record<string, unknown>>> {
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let b = 0; b < TOTAL / BATCH; b++) {
    const batch: Array<Record<string, unknown>> = [];
    for (let i = 0; i < BATCH; i++) {
      const n = b * BATCH + i;
      batch.push({
        source: 'bench', external_id: `ev-${n}`, category: ['fire', 'traffic', 'crime', 'medical'][n % 4],
        occurred_at: new Date(now - (n % 86_400) * 1000).toISOString(),
        lat: 40.6 + ((n * 7919) % 2000) / 10_000, lng: -74.1 + ((n * 104729) % 2000) / 10_000,
        weight: 1 + (n % 3), attributes: { unit: `u${n % 50}` },
      });
    }
    batches.push(batch);
  }
  return batches;
}

async function newOrg(sql: Sql, label: string): Promise<string> {
  const [o] = await sql<Array<{ id: string }>>`insert into public.orgs (slug, name) values (${`${label}-${Date.now()}`}, ${label}) returning id`;
  return o!.id;
}

/** The plain-table floor: the events' columns, primary key and unique key, nothing else. */
async function createFloorTable(sql: Sql): Promise<void> {
  await sql.unsafe(`
    create table public.bench_floor (like public.events including defaults including identity);
    alter table public.bench_floor add primary key (id), add constraint bench_floor_key unique (org_id, source, external_id)`);
}

/** The statement insertEvents sends, into bench_floor (same parameters, same casts). */
async function insertFloor(sql: Sql, orgId: string, c: EventColumns): Promise<number> {
  const res = await sql`
    insert into public.bench_floor (org_id, source, external_id, category, occurred_at, lat, lng, weight, h3_cell, attributes, outside_area)
    select ${orgId}::uuid, t.source, t.external_id, t.category, t.occurred_at, t.lat, t.lng, t.weight, t.h3_cell, t.attributes, coalesce(t.outside_area, false)
      from unnest(${c.source}::text[], ${c.external_id}::text[], ${c.category}::text[], ${c.occurred_at}::text[]::timestamptz[],
                  ${c.lat}::float8[], ${c.lng}::float8[], ${c.weight}::real[], ${c.h3_cell}::text[], ${c.attributes}::text[]::jsonb[],
                  ${c.outside_area.map((o) => (o ? 't' : 'f'))}::text[]::boolean[])
           as t(source, external_id, category, occurred_at, lat, lng, weight, h3_cell, attributes, outside_area)
    on conflict (org_id, source, external_id) do nothing`;
  return res.count;
}

/** Events, cube rows summed, and cube cells that differ from a recount of the org's events. */
async function cubeCheck(sql: Sql, orgId: string): Promise<{ events: number; cubeN: number; mismatched: number }> {
  const [r] = await sql<Array<{ events: number; cube_n: number; mismatched: number }>>`
    with recount as (
      select category, public.h3_cell_to_parent(h3_cell, 8) as cell,
             date_bin('1 hour', occurred_at, timestamptz '2000-01-01 00:00:00+00') as bucket,
             count(*)::int as n, sum(weight)::float8 as w
        from public.events where org_id = ${orgId} group by 1, 2, 3),
    cube as (select category, cell, bucket, n, weight_sum as w from public.count_cube where org_id = ${orgId})
    select (select count(*)::int from public.events where org_id = ${orgId}) as events,
           (select coalesce(sum(n), 0)::int from cube) as cube_n,
           (select count(*)::int from recount full join cube using (category, cell, bucket)
             where recount.n is distinct from cube.n or abs(coalesce(recount.w, 0) - coalesce(cube.w, 0)) > 1e-6) as mismatched`;
  return { events: r!.events, cubeN: r!.cube_n, mismatched: r!.mismatched };
}

type Variant = { label: string; orgId: string; ms: number; send: (batch: number) => Promise<void> };

export async function run(): Promise<BenchResult> {
  const db = await benchDb('ingest');
  try {
    const { sql } = db;
    const now = Date.now();
    const batches = makeBatches(now);
    await createFloorTable(sql);
    // Precomputed columns for floor and raw (the function computes its own).
    const cols = batches.map((b) => prepareBatch(b, now, DEFAULT_INGEST_LIMITS).columns);
    for (const c of cols) for (let i = 0; i < c.lat.length; i++) c.h3_cell[i] = latLngToCell(c.lat[i]!, c.lng[i]!, 9);

    const handler = createIngestHandler({ sql, now: () => now });
    const post = (body: unknown): Request => new Request('http://x/ingest-events', {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEFAULT_SERVICE_ROLE_KEY}` },
    });
    const sendInProcess = async (body: unknown): Promise<void> => {
      const res = await handler(post(body));
      if (res.status !== 200) throw new Error(`in-process ingest answered ${res.status}: ${await res.text()}`);
    };
    const fnUrl = db.stack ? `${db.stack.apiUrl}/functions/v1/ingest-events` : null;
    const sendDeno = async (body: unknown): Promise<void> => {
      const res = await fetch(fnUrl!, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${DEFAULT_SERVICE_ROLE_KEY}` } });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`ingest-events answered ${res.status}: ${text}`);
    };

    // Warm-up (JIT, plans, h3-js wasm init, Deno worker boot) on throwaway orgs.
    const warm = batches[0]!.slice(0, 500);
    const warmCols = prepareBatch(warm, now, DEFAULT_INGEST_LIMITS).columns;
    const warmOrg = await newOrg(sql, 'warm');
    await insertFloor(sql, warmOrg, warmCols);
    await insertEvents(sql, warmOrg, warmCols);
    await sendInProcess({ org_id: warmOrg, events: warm.map((e, i) => ({ ...e, external_id: `w-${i}` })) });
    if (fnUrl) await sendDeno({ org_id: warmOrg, events: warm.map((e, i) => ({ ...e, external_id: `wd-${i}` })) });

    const variants: Variant[] = [];
    const add = async (label: string, send: (orgId: string, batch: number) => Promise<void>): Promise<void> => {
      const orgId = await newOrg(sql, label);
      variants.push({ label, orgId, ms: 0, send: (b) => send(orgId, b) });
    };
    await add('floor', async (o, b) => { await insertFloor(sql, o, cols[b]!); });
    await add('raw', async (o, b) => { await insertEvents(sql, o, cols[b]!); });
    await add('inproc', (o, b) => sendInProcess({ org_id: o, events: batches[b] }));
    if (fnUrl) await add('deno', (o, b) => sendDeno({ org_id: o, events: batches[b] }));
    for (let b = 0; b < batches.length; b++) {
      for (const v of variants) {
        const t = performance.now();
        await v.send(b);
        v.ms += performance.now() - t;
      }
    }

    const rate = (label: string): number => TOTAL / (variants.find((v) => v.label === label)!.ms / 1000);
    const floor = rate('floor');
    const figures: BenchResult['figures'] = [
      { metric: 'floor: plain-table insert … select from unnest (events\' columns, pk + unique key, no trigger)', value: floor, unit: 'events/s' },
      { metric: 'raw: the same statement into public.events (cube + news triggers, FK, checks, indexes)', value: rate('raw'), unit: 'events/s', floor },
      { metric: 'ingest handler in-process (validation + h3 + insert)', value: rate('inproc'), unit: 'events/s', floor },
    ];
    if (fnUrl) {
      const fn = rate('deno');
      figures.push({ metric: 'ingest-events on real Deno via the functions gateway', value: fn, unit: 'events/s', floor, gate: '≥ 0.5 × floor', pass: fn >= 0.5 * floor });
      figures.push({ metric: 'function / floor', value: fn / floor, unit: '×', gate: '≥ 0.5', pass: fn / floor >= 0.5 });
    }
    const checks: string[] = [];
    let mismatched = 0;
    for (const v of variants.filter((x) => x.label !== 'floor')) {
      const c = await cubeCheck(sql, v.orgId);
      if (c.events !== TOTAL || c.cubeN !== TOTAL) mismatched++;
      mismatched += c.mismatched;
      checks.push(`${v.label}: ${c.events} events, cube sums to ${c.cubeN}, ${c.mismatched} cube cells differ from a recount`);
    }
    figures.push({ metric: 'count-cube cells differing from a recount of the events (all event orgs)', value: mismatched, unit: 'cells', gate: '= 0', pass: mismatched === 0 });
    return {
      name: 'ingest',
      figures,
      notes: [
        `${TOTAL} events in batches of ${BATCH}, sequential per variant, variants taking turns batch by batch, each into its own org of one dedicated stack.`,
        `Cube consistency after the run — ${checks.join('; ')}.`,
        'Where the time goes and what each option costs: docs/functions.md "Ingest throughput".',
      ],
    };
  } finally {
    await db.close();
  }
}

if (isMain(import.meta.url)) {
  const result = await run();
  for (const f of result.figures) console.log(`${f.metric}: ${f.value.toFixed(2)} ${f.unit}${f.gate ? ` [gate ${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}`);
  for (const n of result.notes ?? []) console.log(`- ${n}`);
  await writeResult('ingest', result);
}
