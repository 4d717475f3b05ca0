/**
 * A scan whose worker dies (killed, over a limit, the database connection lost) never
 * records its end. Through the real function: the next scan of the org marks the org's
 * runs still `running` past the function wall-clock limit as `failed`, and leaves
 * younger running runs alone; other orgs' runs are left to their own next scan. A run
 * marked abandoned that comes back to write rolls its writes back.
 */
import { gridDisk } from 'h3-js';
import { afterAll, describe, expect, it } from 'vitest';
import { scanCube } from '../../../functions/_shared/detection/index.ts';
import { ABANDONED_RUN_ERROR, failAbandonedRuns } from '../../../functions/hotspot-scan/store/scan-runs.ts';
import { DEFAULT_SCAN_CONFIG } from '../../../functions/hotspot-scan/rules/config.ts';
import { runScan } from '../../../functions/hotspot-scan/run.ts';
import type { Phraser } from '../../../functions/hotspot-scan/llm.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg } from '../../support/fixtures.ts';
import { serviceJwt, stackInfo } from '../../support/hardening.ts';
import { retryWhileSkipped } from '../../support/scan-retry.ts';
import { area, background, burst, HOUR, insertWorld } from './world.ts';

const info = stackInfo();
const sql = adminSql(2);
afterAll(async () => { await sql.end(); });

/** A `running` row as a scan leaves it when its worker is killed, started `agoMs` ago. */
async function orphanRun(orgId: string, agoMs: number): Promise<number> {
  const [r] = await sql<{ id: string }[]>`
    insert into public.scan_runs (org_id, trigger, status, started_at)
    values (${orgId}, 'http', 'running', now() - make_interval(secs => ${agoMs}::float8 / 1000)) returning id`;
  return Number(r!.id);
}

describe('abandoned scan runs', () => {
  it('the next scan of the org marks its runs older than the wall-clock limit failed', async () => {
    const org = await createTestOrg(sql, 'abandoned');
    const limit = DEFAULT_SCAN_CONFIG.abandonedRunAfterMs;
    const stale = await orphanRun(org.id, limit + 5_000);
    const young = await orphanRun(org.id, limit - 60_000);

    const res = await fetch(`${info.apiUrl}/functions/v1/hotspot-scan`, {
      method: 'POST', headers: { authorization: `Bearer ${serviceJwt()}`, 'content-type': 'application/json' }, body: JSON.stringify({ org_id: org.id }),
    });
    expect(res.status, await res.clone().text()).toBe(200);

    const rows = await runs([stale, young]);
    expect(rows.get(stale)).toMatchObject({ status: 'failed', error: ABANDONED_RUN_ERROR, finished: true });
    // Younger than the limit: its worker may still be writing.
    expect(rows.get(young)).toMatchObject({ status: 'running', error: null, finished: false });
  });

  it('only the scanned org\'s runs are touched', async () => {
    // A 2 s limit, called directly: the schedule's scans (400 s) cannot interfere.
    const org = await createTestOrg(sql, 'abandoned-a');
    const other = await createTestOrg(sql, 'abandoned-b');
    const mine = await orphanRun(org.id, 5_000);
    const theirs = await orphanRun(other.id, 5_000);
    expect(await failAbandonedRuns(sql, org.id, 2_000)).toEqual([mine]);
    const rows = await runs([mine, theirs]);
    expect(rows.get(mine)).toMatchObject({ status: 'failed', error: ABANDONED_RUN_ERROR, finished: true });
    expect(rows.get(theirs)).toMatchObject({ status: 'running', error: null, finished: false });
  });
});

async function runs(ids: number[]): Promise<Map<number, { status: string; error: string | null; finished: boolean }>> {
  const rows = await sql<{ id: string; status: string; error: string | null; finished: boolean }[]>`
    select id, status, error, finished_at is not null as finished from public.scan_runs where id = any(${ids}::bigint[])`;
  return new Map(rows.map(({ id, ...r }) => [Number(id), r]));
}

describe('a run marked abandoned cannot commit', () => {
  it('a scan that outlives the limit rolls its writes back when it reaches its write transaction', async () => {
    // 12 days ahead of real time, as the scan tests: the schedule's scans never see these events or race them.
    const NOW = Math.floor(Date.now() / HOUR) * HOUR + 12 * 24 * HOUR + 30 * 60_000;
    const org = await createTestOrg(sql, 'abandoned-late');
    await sql`update public.orgs set created_at = ${new Date(NOW - 30 * 24 * HOUR)} where id = ${org.id}`;
    const cells = area(40.75, -73.99, 4);
    await insertWorld(sql, org.id, [...background(cells, NOW), ...burst(gridDisk(cells[0]!, 1), 40, NOW)]);

    // Scan A stops before its write transaction (in the phrasing step, which runs for each recommendation).
    let phrasing!: () => void;
    const reached = new Promise<void>((r) => { phrasing = r; });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow: Phraser = { model: 'gate', async phrase() { phrasing(); await gate; return null; } };
    const a = runScan({ sql, engine: scanCube, now: () => NOW, phraser: slow }, org.id, 'manual').then(() => 'committed', (e: unknown) => String(e));
    await reached;
    const [running] = await sql<{ id: string }[]>`select id from public.scan_runs where org_id = ${org.id} and status = 'running' and trigger = 'manual'`;
    const aId = Number(running!.id);

    // Scan B, with a zero limit, finds A abandoned and writes the results (its clock is earlier, so A is not "stale").
    const scanB = () => runScan({ sql, engine: scanCube, now: () => NOW - 60_000, config: { abandonedRunAfterMs: 0 } }, org.id, 'manual');
    // The schedule may be scanning this org at this moment: then B is skipped; scan again.
    const b = await retryWhileSkipped(scanB, (r) => r.status === 'skipped');
    expect(b.status).toBe('succeeded');
    expect(b.hotspots.inserted).toBeGreaterThan(0);
    const before = await streamRows(org.id);
    release();
    expect(await a).toMatch(/marked abandoned/);
    const rows = await runs([aId]);
    expect(rows.get(aId)).toMatchObject({ status: 'failed', finished: true });
    expect(await streamRows(org.id), 'nothing of A committed').toEqual(before);
  });
});

/** Every stream row of the org with its version (a committed write bumps one). */
async function streamRows(orgId: string): Promise<string[]> {
  const rows = await sql<{ k: string }[]>`
    select 'h' || id || 'v' || version as k from public.hotspots where org_id = ${orgId}
    union all select 'a' || id || 'v' || version from public.alerts where org_id = ${orgId}
    union all select 'r' || id || 'v' || version from public.recommendations where org_id = ${orgId} order by 1`;
  return rows.map((r) => r.k);
}
