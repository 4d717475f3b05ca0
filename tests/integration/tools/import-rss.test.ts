/**
 * The import's memory bound (issue 23): a generated 2,000,000-row CSV (a year of
 * history, ~130 MB, written to a temp dir at test time, streamed) imported through the
 * function path — `npm run import` as a child process against the test stack, every row
 * through ingest-events — with the peak RSS of the import's process tree read from
 * `/usr/bin/time -v` (GNU time: wait4()'s ru_maxrss). Gate: < 256 MB. Every row is
 * stored once (count in the database), and the cube holds them all.
 *
 * Slow by nature (minutes on the 2-core machine; docs/import.md has the measured time):
 * one test in its own file, so it runs once, in the integration project only.
 * HOTWATCH_IMPORT_RSS_ROWS shrinks it for a quick local check (the gate is still applied).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { HISTORY_MAP, summaryCounts, TIME_BIN, timedImport, writeHistoryCsv } from '../../support/import-run.ts';

const ROWS = Number(process.env.HOTWATCH_IMPORT_RSS_ROWS ?? 2_000_000);
const LIMIT_BYTES = 256 * 1024 * 1024;
const sql = adminSql(2);
let org: TestOrg;
let dir: string;

beforeAll(async () => {
  await fs.access(TIME_BIN); // GNU time (Debian package "time"): the measurement needs it
  org = await createTestOrg(sql, 'import-rss');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-import-rss-'));
});
afterAll(async () => {
  await sql.end();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('npm run import: memory', () => {
  it(`a ${ROWS}-row CSV through ingest-events stays under 256 MB peak RSS and stores every row once`, async () => {
    const file = path.join(dir, 'history.csv');
    const bytes = await writeHistoryCsv(file, ROWS, Date.now() - 3_600_000);
    const { apiUrl, serviceRoleKey } = inject('stack');
    const r = await timedImport({ url: apiUrl, key: serviceRoleKey }, org.id, [...HISTORY_MAP, file]);
    console.log(`import of ${ROWS} rows (${(bytes / 1e6).toFixed(0)} MB): ${r.seconds.toFixed(0)} s, ${(ROWS / r.seconds).toFixed(0)} rows/s, peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
    expect(r.code, r.stderr).toBe(0);
    expect(summaryCounts(r.stdout)).toEqual({ imported: ROWS, duplicate: 0, rejected: 0 });
    expect(r.peakRssBytes).toBeLessThan(LIMIT_BYTES);
    const [c] = await sql<Array<{ events: number; cube: number }>>`
      select (select count(*)::int from public.events where org_id = ${org.id}) as events,
             (select coalesce(sum(n), 0)::int from public.count_cube where org_id = ${org.id}) as cube`;
    expect(c).toEqual({ events: ROWS, cube: ROWS });
  }, 30 * 60_000);
});
