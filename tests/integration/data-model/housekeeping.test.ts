import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql, asRole } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { insertStreamRows } from './stream-rows.ts';

const sql = adminSql(2);
let org: TestOrg;
beforeAll(async () => { org = await createTestOrg(sql, 'housekeeping'); });
afterAll(() => sql.end());

/** A scan_runs row of this org, started `daysAgo` days ago. */
async function scanRun(status: 'running' | 'succeeded' | 'failed', daysAgo: number): Promise<string> {
  const [r] = await sql<{ id: string }[]>`
    insert into public.scan_runs (org_id, trigger, status, started_at, finished_at)
    values (${org.id}, 'cron', ${status}, now() - make_interval(days => ${daysAgo}),
            case when ${status} = 'running' then null else now() - make_interval(days => ${daysAgo}) end)
    returning id`;
  return r!.id;
}

describe('housekeeping', () => {
  it('the daily job purges old finished scan runs no hotspot references, and old cron history; keeps everything else', async () => {
    const oldDone = await scanRun('succeeded', 40);
    const oldFailed = await scanRun('failed', 40);
    const oldRunning = await scanRun('running', 40);
    const recent = await scanRun('succeeded', 2);
    const referenced = await scanRun('succeeded', 40);
    const { hotspotId } = await insertStreamRows(sql, org.id, 'housekeeping');
    await sql`update public.hotspots set scan_id = ${referenced} where id = ${hotspotId}`;
    const [oldCron] = await sql<{ runid: string }[]>`insert into cron.job_run_details (jobid, command, status, start_time, end_time)
      values (0, 'select 1', 'succeeded', now() - interval '9 days', now() - interval '9 days') returning runid`;
    const [newCron] = await sql<{ runid: string }[]>`insert into cron.job_run_details (jobid, command, status, start_time, end_time)
      values (0, 'select 1', 'succeeded', now() - interval '1 day', now() - interval '1 day') returning runid`;

    // Run exactly what the daily job runs (several statements: the simple protocol).
    const [job] = await sql<{ command: string }[]>`select command from cron.job where jobname = 'purge-scan-history'`;
    await sql.unsafe(job!.command).simple();

    // Only the five runs above: the schedule may have scanned this org meanwhile (a recent run, kept).
    const left = await sql<{ id: string }[]>`select id from public.scan_runs where id in ${sql([oldDone, oldFailed, oldRunning, recent, referenced])}`;
    expect(left.map((r) => r.id).sort()).toEqual([oldRunning, recent, referenced].sort());
    expect(left.map((r) => r.id)).not.toContain(oldDone);
    expect(left.map((r) => r.id)).not.toContain(oldFailed);
    const cron = await sql`select runid from cron.job_run_details where runid in (${oldCron!.runid}, ${newCron!.runid})`;
    expect(cron.map((r) => String(r.runid))).toEqual([String(newCron!.runid)]);
    const [h] = await sql`select scan_id from public.hotspots where id = ${hotspotId}`;
    expect(String(h!.scan_id)).toBe(String(referenced));
  });

  it('runs daily from pg_cron; the purge function is not callable by API roles', async () => {
    const [job] = await sql`select schedule, active from cron.job where jobname = 'purge-scan-history'`;
    expect(job).toMatchObject({ schedule: '17 3 * * *', active: true });
    for (const role of ['anon', 'authenticated'] as const) {
      await expect(asRole(sql, role, org.operatorClaims, (tx) => tx`select public.purge_scan_runs()`))
        .rejects.toThrow(/permission denied/);
    }
  });

  it('indexes the referencing side of every stream foreign key', async () => {
    const rows = await sql<{ tbl: string; col: string }[]>`
      select c.conrelid::regclass::text as tbl, a.attname as col
        from pg_constraint c
        join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
       where c.contype = 'f' and cardinality(c.conkey) = 1
         and c.conrelid in ('public.hotspots'::regclass, 'public.alerts'::regclass, 'public.recommendations'::regclass, 'public.decisions'::regclass)
         and c.confrelid in ('public.scan_runs'::regclass, 'public.hotspots'::regclass, 'public.alerts'::regclass, 'public.recommendations'::regclass)
         and not exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1])`;
    expect(rows).toEqual([]);
  });
});
