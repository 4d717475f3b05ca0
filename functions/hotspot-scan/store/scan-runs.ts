/**
 * The scan's bookkeeping in `public.scan_runs`: a run is recorded `running` before it
 * reads, and ends `succeeded` (in its write transaction), `skipped` or `failed`.
 *
 * Only one scan of an org writes at a time: the write transaction takes
 * `pg_try_advisory_xact_lock` per org and, when another scan holds it, skips instead
 * of waiting on anybody's Monte Carlo; a run also skips when a later run on data at
 * least as fresh already wrote.
 *
 * Abandoned runs: a scan whose worker was killed (wall clock, CPU or memory limit, a
 * crash, a deploy) or whose database connection died never records its end, so its
 * row would stay `running` forever. No run can outlive its function's wall-clock
 * limit, so the next scan of the org marks older `running` rows `failed`, and each
 * schedule round marks those of every org (dispatch.ts: an org with nothing new is not
 * scanned), so this happens within a minute of the limit passing. Their stream writes were never committed: the write transaction commits
 * together with `succeeded`.
 */
import type { ISql, TransactionSql } from 'postgres';
import type { ScanTrigger } from '../../_shared/contract.ts';

export const ABANDONED_RUN_ERROR = 'abandoned: did not finish within the function wall-clock limit (worker or database connection lost)';

/** Mark the runs still `running` after `afterMs` as failed — the org's, or every org's (null); returns their ids. */
export async function failAbandonedRuns(sql: ISql, orgId: string | null, afterMs: number): Promise<number[]> {
  const rows = await sql<Array<{ id: string }>>`
    update public.scan_runs set status = 'failed', finished_at = now(), error = ${ABANDONED_RUN_ERROR}
     where (${orgId}::uuid is null or org_id = ${orgId}) and status = 'running'
       and started_at < now() - make_interval(secs => ${afterMs}::float8 / 1000)
    returning id`;
  return rows.map((r) => Number(r.id));
}

/** Fail the org's abandoned runs, then record this one `running`; its id. */
export async function startRun(sql: ISql, orgId: string, trigger: ScanTrigger, parameters: Record<string, unknown>, abandonedAfterMs: number): Promise<number> {
  await failAbandonedRuns(sql, orgId, abandonedAfterMs);
  const [run] = await sql<Array<{ id: string }>>`
    insert into public.scan_runs (org_id, trigger, parameters, status) values (${orgId}, ${trigger}, ${JSON.stringify(parameters)}::text::jsonb, 'running')
    returning id`;
  return Number(run!.id);
}

/**
 * Inside the write transaction: may this run write? null when it may (the org's lock
 * is now held until commit), else why it is skipped.
 */
export async function claimWrite(tx: TransactionSql, orgId: string, scanId: number, now: number): Promise<string | null> {
  const [lock] = await tx<Array<{ ok: boolean }>>`select pg_try_advisory_xact_lock(hashtextextended(${'hotwatch.scan:' + orgId}, 0)) as ok`;
  if (!lock!.ok) return 'another scan of this org is writing';
  // A scan that started later on data at least as fresh already wrote: ours is stale.
  const [newer] = await tx`select 1 from public.scan_runs
                            where org_id = ${orgId} and id > ${scanId} and status = 'succeeded'
                              and (parameters ->> 'now')::timestamptz >= ${new Date(now)} limit 1`;
  return newer ? 'a newer scan of this org already wrote its results' : null;
}

/**
 * Mark the run succeeded in its write transaction. Throws (rolling the writes back)
 * when a later scan already marked it abandoned, so only succeeded runs ever wrote.
 */
export async function markSucceeded(tx: TransactionSql, scanId: number, cpuMs: number, stats: Record<string, unknown>): Promise<void> {
  const [ours] = await tx`update public.scan_runs set status = 'succeeded', finished_at = now(), cpu_ms = ${cpuMs},
                  stats = ${JSON.stringify(stats)}::text::jsonb where id = ${scanId} and status = 'running' returning id`;
  if (!ours) throw new Error('this scan run was marked abandoned before it could commit; its writes were rolled back');
}

export async function markSkipped(sql: ISql, scanId: number, cpuMs: number, stats: Record<string, unknown>): Promise<void> {
  await sql`update public.scan_runs set status = 'skipped', finished_at = now(), cpu_ms = ${cpuMs},
                   stats = ${JSON.stringify(stats)}::text::jsonb where id = ${scanId} and status = 'running'`;
}

/** Best effort: the run failed (the connection may be what failed). */
export async function markFailed(sql: ISql, scanId: number, cpuMs: number, error: unknown): Promise<void> {
  await sql`update public.scan_runs set status = 'failed', finished_at = now(), cpu_ms = ${cpuMs},
                   error = ${error instanceof Error ? error.message : String(error)} where id = ${scanId}`.catch(() => {});
}
