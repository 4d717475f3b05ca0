/**
 * Ingest throughput: the same 100,000 event rows, in batches of 10,000, through
 *   - the ingest-events function on real Deno behind the stack's functions gateway
 *     (HTTP + JSON + auth + zod + h3-js + the insert), sequential batches;
 *   - the same handler in-process (no HTTP, no Deno);
 *   - raw: the one `insert … select from unnest(…)` statement the function sends, with
 *     the columns (incl. H3 cells) precomputed — the floor, measured in the same run.
 * Each variant writes into its own org of one dedicated stack, so every row is new
 * and the triggers (count cube, FK) do the same work for all three.
 * Gate: function ≥ 0.5 × raw events/s.
 */
import { latLngToCell } from 'h3-js';
import { createIngestHandler } from '../functions/ingest-events/handler.ts';
import { prepareBatch } from '../functions/ingest-events/rules/batch.ts';
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

async function newOrg(sql: import('postgres').Sql, label: string): Promise<string> {
  const [o] = await sql<Array<{ id: string }>>`insert into public.orgs (slug, name) values (${`${label}-${Date.now()}`}, ${label}) returning id`;
  return o!.id;
}

export async function run(): Promise<BenchResult> {
  const db = await benchDb('ingest');
  try {
    const { sql } = db;
    const now = Date.now();
    const batches = makeBatches(now);
    // Warm-up (JIT, h3-js wasm init, Deno worker boot) on a throwaway org.
    const warmOrg = await newOrg(sql, 'warm');
    const warm = batches[0]!.slice(0, 500);
    await insertEvents(sql, warmOrg, prepareBatch(warm, now, DEFAULT_INGEST_LIMITS).columns);

    // raw: precomputed columns, the same statement.
    const rawOrg = await newOrg(sql, 'raw');
    const rawCols = batches.map((b) => prepareBatch(b, now, DEFAULT_INGEST_LIMITS).columns);
    for (const c of rawCols) for (let i = 0; i < c.lat.length; i++) c.h3_cell[i] = latLngToCell(c.lat[i]!, c.lng[i]!, 9);
    let t = performance.now();
    for (const c of rawCols) await insertEvents(sql, rawOrg, c);
    const rawMs = performance.now() - t;

    // in-process handler.
    const handler = createIngestHandler({ sql, now: () => now });
    const inOrg = await newOrg(sql, 'inproc');
    const post = (url: string, body: unknown, init: RequestInit = {}) => new Request(url, {
      method: 'POST', body: JSON.stringify(body), ...init,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEFAULT_SERVICE_ROLE_KEY}` },
    });
    await handler(post('http://x/ingest-events', { org_id: warmOrg, events: warm.map((e, i) => ({ ...e, external_id: `w-${i}` })) }));
    t = performance.now();
    for (const b of batches) {
      const res = await handler(post('http://x/ingest-events', { org_id: inOrg, events: b }));
      if (res.status !== 200) throw new Error(`in-process ingest answered ${res.status}: ${await res.text()}`);
    }
    const inMs = performance.now() - t;

    // Through the functions gateway on real Deno (needs the dedicated stack).
    let fnMs: number | null = null;
    if (db.stack) {
      const url = `${db.stack.apiUrl}/functions/v1/ingest-events`;
      const send = async (body: unknown): Promise<void> => {
        const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${DEFAULT_SERVICE_ROLE_KEY}` } });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`ingest-events answered ${res.status}: ${text}`);
      };
      await send({ org_id: warmOrg, events: warm.map((e, i) => ({ ...e, external_id: `wd-${i}` })) });
      const fnOrg = await newOrg(sql, 'deno');
      t = performance.now();
      for (const b of batches) await send({ org_id: fnOrg, events: b });
      fnMs = performance.now() - t;
    }

    const rate = (ms: number): number => TOTAL / (ms / 1000);
    const raw = rate(rawMs);
    const figures: BenchResult['figures'] = [
      { metric: 'raw insert … select from unnest (precomputed columns)', value: raw, unit: 'events/s' },
      { metric: 'ingest handler in-process (validation + h3 + insert)', value: rate(inMs), unit: 'events/s', floor: raw },
    ];
    if (fnMs !== null) {
      const fn = rate(fnMs);
      figures.push({ metric: 'ingest-events on real Deno via the functions gateway', value: fn, unit: 'events/s', floor: raw, gate: '≥ 0.5 × raw', pass: fn >= 0.5 * raw });
      figures.push({ metric: 'function / raw', value: fn / raw, unit: '×', gate: '≥ 0.5', pass: fn / raw >= 0.5 });
    }
    const [cube] = await sql<Array<{ n: number }>>`select coalesce(sum(n), 0)::int as n from public.count_cube where org_id in (select id from public.orgs where slug like 'raw-%')`;
    return {
      name: 'ingest',
      figures,
      notes: [
        `${TOTAL} events in batches of ${BATCH}, sequential, each variant into its own org of one dedicated stack (count-cube trigger and FK checks included everywhere).`,
        `Cube rows for the raw org sum to ${cube!.n} events (consistency check).`,
        'Anchor: ≈ 71k rows/s for event-shaped rows into a plain table on this machine (this-machine.md §7); the events table adds the cube trigger, FK and checks.',
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
