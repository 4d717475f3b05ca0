/**
 * A scan whose worker dies (killed, over a limit, the database connection lost) never
 * records its end. Through the real function: the next scan of the org marks the org's
 * runs still `running` past the function wall-clock limit as `failed`, and leaves
 * younger running runs alone; other orgs' runs are left to their own next scan.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ABANDONED_RUN_ERROR, failAbandonedRuns } from '../../../functions/_shared/scan/abandoned.ts';
import { DEFAULT_SCAN_CONFIG } from '../../../functions/_shared/scan/config.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg } from '../../support/fixtures.ts';
import { serviceJwt, stackInfo } from '../../support/hardening.ts';

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
