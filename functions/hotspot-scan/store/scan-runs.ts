/**
 * Scan runs that can no longer finish. A scan whose worker was killed (wall clock,
 * CPU or memory limit, a crash, a deploy) or whose database connection died never
 * records its end, so its `scan_runs` row would stay `running` forever. No run can
 * outlive its function's wall-clock limit, so the next scan of the org marks older
 * `running` rows `failed`; the per-minute schedule scans every org, so this happens
 * within a minute of the limit passing. Their stream writes were never committed: the
 * write transaction commits together with `succeeded`.
 */
import type { ISql } from 'postgres';

export const ABANDONED_RUN_ERROR = 'abandoned: did not finish within the function wall-clock limit (worker or database connection lost)';

/** Mark the org's runs still `running` after `afterMs` as failed; returns their ids. */
export async function failAbandonedRuns(sql: ISql, orgId: string, afterMs: number): Promise<number[]> {
  const rows = await sql<Array<{ id: string }>>`
    update public.scan_runs set status = 'failed', finished_at = now(), error = ${ABANDONED_RUN_ERROR}
     where org_id = ${orgId} and status = 'running' and started_at < now() - make_interval(secs => ${afterMs}::float8 / 1000)
    returning id`;
  return rows.map((r) => Number(r.id));
}
