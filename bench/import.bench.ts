/**
 * Bulk import (issue 23): `npm run import` of a generated 2,000,000-row CSV (a year of
 * history, tests/support/import-run.ts) into a fresh org of a dedicated stack, through
 * the ingest-events function on real Deno behind the gateway (batches of 1,000, the
 * import's default, sequential) — events/s and the peak RSS of the import's process
 * tree (`/usr/bin/time -v`, GNU time's ru_maxrss) — beside the floor measured in the
 * same run: the function's own `insert … select from unnest(…)` statement with the
 * columns (H3 cells included) precomputed, the same rows in the same batch size, into
 * another org (IMPORT_BENCH_RAW_ROWS rows, default 200,000: the rate is flat in the
 * row count, and the whole file would add minutes without changing it).
 * Gate: peak RSS < 256 MB (issue 23). IMPORT_BENCH_ROWS shrinks the file.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { latLngToCell } from 'h3-js';
import { prepareBatch } from '../functions/ingest-events/rules/batch.ts';
import { DEFAULT_INGEST_LIMITS } from '../functions/ingest-events/schema.ts';
import { insertEvents } from '../functions/ingest-events/store/events.ts';
import { DEFAULT_SERVICE_ROLE_KEY } from '../stack/src/keys.ts';
import { HISTORY_MAP, historyEvent, summaryCounts, timedImport, writeHistoryCsv } from '../tests/support/import-run.ts';
import { benchDb, isMain, writeResult } from './bench-stack.ts';
import type { BenchResult } from './types.ts';

const ROWS = Number(process.env.IMPORT_BENCH_ROWS ?? 2_000_000);
const RAW_ROWS = Math.min(ROWS, Number(process.env.IMPORT_BENCH_RAW_ROWS ?? 200_000));
const BATCH = 1000;
const RSS_GATE = 256 * 1024 * 1024;

async function newOrg(sql: import('postgres').Sql, label: string): Promise<string> {
  const [o] = await sql<Array<{ id: string }>>`insert into public.orgs (slug, name) values (${`${label}-${Date.now()}`}, ${label}) returning id`;
  return o!.id;
}

export async function run(): Promise<BenchResult> {
  const db = await benchDb('import');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-bench-import-'));
  try {
    if (!db.stack) throw new Error('the import benchmark needs its own stack (unset HOTWATCH_BENCH_DB_URL)');
    const { sql } = db;
    const end = Date.now() - 3_600_000;
    const file = path.join(dir, 'history.csv');
    const bytes = await writeHistoryCsv(file, ROWS, end);

    // Floor: the same rows, precomputed, through the function's insert statement.
    const rawOrg = await newOrg(sql, 'raw');
    let rawMs = 0;
    for (let start = 1; start <= RAW_ROWS; start += BATCH) {
      const events = [];
      for (let i = start; i < Math.min(start + BATCH, RAW_ROWS + 1); i++) events.push({ source: 'history', ...historyEvent(i, end) });
      const cols = prepareBatch(events, Date.now(), DEFAULT_INGEST_LIMITS).columns;
      for (let i = 0; i < cols.lat.length; i++) cols.h3_cell[i] = latLngToCell(cols.lat[i]!, cols.lng[i]!, 9);
      const t = performance.now();
      await insertEvents(sql, rawOrg, cols);
      rawMs += performance.now() - t;
    }
    const raw = RAW_ROWS / (rawMs / 1000);

    const org = await newOrg(sql, 'import');
    const r = await timedImport({ url: db.stack.apiUrl, key: DEFAULT_SERVICE_ROLE_KEY }, org, [...HISTORY_MAP, file]);
    const counts = summaryCounts(r.stdout);
    if (r.code !== 0 || counts?.imported !== ROWS) throw new Error(`import exited ${r.code}: ${r.stdout}\n${r.stderr.slice(-2000)}`);
    const [stored] = await sql<Array<{ n: number }>>`select count(*)::int as n from public.events where org_id = ${org}`;
    const rate = ROWS / r.seconds;
    const mib = r.peakRssBytes / 2 ** 20;
    return {
      name: 'import',
      figures: [
        { metric: 'raw insert … select from unnest (precomputed columns, batches of 1,000)', value: raw, unit: 'events/s' },
        { metric: `npm run import of a ${ROWS}-row CSV through ingest-events (wall clock incl. start-up)`, value: rate, unit: 'events/s', floor: raw },
        { metric: 'import / raw', value: rate / raw, unit: '×' },
        { metric: `import peak RSS (${ROWS} rows, /usr/bin/time -v)`, value: mib, unit: 'MiB', gate: '< 256 MB', pass: r.peakRssBytes < RSS_GATE },
      ],
      notes: [
        `${ROWS} rows (${(bytes / 1e6).toFixed(0)} MB CSV, ISO timestamps with offsets, no --tz) imported in ${r.seconds.toFixed(0)} s; ${stored!.n} events stored.`,
        `Raw floor over the first ${RAW_ROWS} rows of the same data, same batch size, one org of the same stack.`,
        'The import sends one batch at a time (read, map, POST, wait): its rate is the function round trip per 1,000 events plus parsing; the machine is shared, so compare the ratio within this run.',
      ],
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
    await db.close();
  }
}

if (isMain(import.meta.url)) {
  const result = await run();
  for (const f of result.figures) console.log(`${f.metric}: ${f.value.toFixed(2)} ${f.unit}${f.gate ? ` [gate ${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}`);
  for (const n of result.notes ?? []) console.log(`- ${n}`);
  await writeResult('import', result);
}
