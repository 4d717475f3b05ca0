import type { Logger } from '../log.ts';
import type { InternalDb } from '../postgres/internal-db.ts';
import { runJob, type JobRow } from './cron-run.ts';
import { firstDue, nextDue } from './cron-timing.ts';
import { parseSchedule, type Schedule } from './schedule.ts';

/** Named limits of the cron worker (pg_cron's own defaults where it has one). */
export const CRON_LIMITS = {
  /** pg_cron's cron.max_running_jobs default. */
  maxRunningJobs: 32,
  /** Re-read cron.job this often even without a cache-invalidation NOTIFY. */
  reloadIntervalMs: 10_000,
};

interface ScheduledJob {
  row: JobRow;
  schedule: Schedule;
  /** Next due time (ms since epoch). */
  nextAt: number;
  running: boolean;
  /** A run came due while one was running: pg_cron queues it and starts it right after. */
  pending: boolean;
}

export interface CronWorker {
  /** Resolves when jobs have been (re)loaded; for tests. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The pg_cron background worker, in the stack: reads cron.job (reloaded on the
 * extension's NOTIFY and every few seconds), fires each active job of this database
 * when due, at most one run per job at a time, each on its own connection as the job's
 * username (SET ROLE on a superuser connection), and records cron.job_run_details
 * (starting → running → succeeded|failed, return_message as pg_cron writes it:
 * cron-run.ts); due times in cron-timing.ts.
 */
export async function startCronWorker(opts: { db: InternalDb; dbUrl: string; log: Logger }): Promise<CronWorker> {
  const { db, dbUrl, log } = opts;
  const jobs = new Map<string, ScheduledJob>();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let database = '';

  const extensionPresent = async (): Promise<boolean> =>
    (await db<{ ok: boolean }>`select to_regclass('cron.job') is not null as ok`)[0]?.ok === true;

  async function load(): Promise<void> {
    if (!(await extensionPresent())) { jobs.clear(); return; }
    if (!database) database = (await db<{ db: string }>`select current_database() as db`)[0]?.db ?? 'postgres';
    const rows = await db<JobRow>`
      select jobid::text, schedule, command, username, database, active, jobname from cron.job`;
    const now = Date.now();
    const seen = new Set<string>();
    for (const row of rows) {
      if (!row.active || row.database !== database) continue;
      seen.add(row.jobid);
      const prev = jobs.get(row.jobid);
      if (prev && prev.row.schedule === row.schedule) { prev.row = row; continue; }
      const schedule = parseSchedule(row.schedule);
      if (!schedule) { log.warn('cron job has a schedule the worker cannot run', { jobid: row.jobid, schedule: row.schedule }); continue; }
      const nextAt = firstDue(schedule, now, prev === undefined && !loadedOnce);
      jobs.set(row.jobid, { row, schedule, nextAt, running: prev?.running ?? false, pending: false });
    }
    for (const id of [...jobs.keys()]) if (!seen.has(id)) jobs.delete(id);
    loadedOnce = true;
  }
  let loadedOnce = false;

  function tick(): void {
    if (stopped) return;
    const now = Date.now();
    for (const job of jobs.values()) {
      if (job.nextAt > now) continue;
      job.nextAt = nextDue(job.schedule, now);
      if (job.running) { job.pending = true; continue; }
      launch(job);
    }
    // Wake on the next whole second, as pg_cron's minute/second granularity needs.
    timer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  }

  function launch(job: ScheduledJob): void {
    if (inFlight.size >= CRON_LIMITS.maxRunningJobs) { job.pending = true; return; }
    job.running = true;
    const p = runJob(db, dbUrl, job.row).catch((e: unknown) => log.error('cron job run failed', { jobid: job.row.jobid, error: String(e) }))
      .finally(() => {
        inFlight.delete(p);
        job.running = false;
        if (job.pending && !stopped && jobs.get(job.row.jobid) === job) { job.pending = false; launch(job); }
      });
    inFlight.add(p);
  }

  await load();
  // Re-established by itself after a PostgreSQL restart; the periodic reload covers the gap.
  const listener = db.listen('cron_job_cache_invalidate', () => { void load().catch(() => {}); });
  const reloadTimer = setInterval(() => { void load().catch((e: unknown) => log.warn('cron: reload failed', { error: String(e) })); },
    CRON_LIMITS.reloadIntervalMs);
  tick();

  return {
    reload: load,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      clearInterval(reloadTimer);
      await listener.unlisten();
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, 5_000))]);
    },
  };
}
