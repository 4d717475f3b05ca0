/**
 * The schedule's round: one POST a minute starts it, the function answers 202 at once
 * and runs it in the background (EdgeRuntime.waitUntil), so pg_net never waits on a scan.
 *
 * A round holds the dispatcher lease (one round at a time, however many POSTs overlap),
 * fails abandoned runs of every org, then runs `concurrency` lanes; each lane claims the
 * most overdue org (news first-come first-served, then bucket-boundary rescans), scans
 * it, releases it, and claims again until nothing is due or the round's budget is spent
 * — what is left waits for the next minute's round, oldest first, so no org starves.
 */
import type { ScanDispatchStats } from '../_shared/contract.ts';
import type { ScanDeps } from './run.ts';
import { runScan } from './run.ts';
import { claimDueScan, dropUnscheduledNews, failAbandonedRunsEverywhere, releaseClaim, releaseDispatchLease, takeDispatchLease } from './store/dispatch.ts';
import { DEFAULT_SCAN_CONFIG } from './rules/config.ts';

export interface DispatchOptions {
  /** Scans in flight at once. */
  concurrency: number;
  /** No new claim after this long (the round's scans then finish). */
  budgetMs: number;
}

/** Two scans at a time, claims for 50 s: a round ends before the next minute's starts. */
export const DEFAULT_DISPATCH: Readonly<DispatchOptions> = Object.freeze({ concurrency: 2, budgetMs: 50_000 });

/** The round's options from the environment (unset or invalid: the defaults). */
export function dispatchFromEnv(concurrency: string | undefined, budgetMs: string | undefined): DispatchOptions {
  const int = (v: string | undefined, min: number, max: number, dflt: number): number => {
    const n = Number(v);
    return v !== undefined && Number.isInteger(n) && n >= min && n <= max ? n : dflt;
  };
  return {
    concurrency: int(concurrency, 1, 16, DEFAULT_DISPATCH.concurrency),
    budgetMs: int(budgetMs, 1_000, 300_000, DEFAULT_DISPATCH.budgetMs),
  };
}

/**
 * The round's lease lapses this long after its last claim could be made, so a round whose
 * worker or database died mid-round holds up the schedule for at most a couple of minutes
 * (its last scans may then overlap the next round's: briefly up to twice the concurrency).
 */
const LEASE_SLACK_MS = 60_000;

/** A claim outlives any scan (the function's wall-clock limit); a dead worker's claim then expires. */
const CLAIM_MS = DEFAULT_SCAN_CONFIG.abandonedRunAfterMs;

/** One round; null when another round holds the lease. `req` started it (for error reports). */
export async function dispatchRound(deps: ScanDeps, opts: DispatchOptions, req: Request): Promise<ScanDispatchStats | null> {
  const { sql } = deps;
  const report = (e: unknown): void => deps.report?.(e, req);
  const t0 = Date.now();
  if (!(await takeDispatchLease(sql, opts.budgetMs + LEASE_SLACK_MS))) return null;
  const stats: ScanDispatchStats = { scanned: 0, succeeded: 0, skipped: 0, failed: 0, abandoned: 0, dropped_news: 0, ms: 0 };
  try {
    stats.abandoned = await failAbandonedRunsEverywhere(sql, DEFAULT_SCAN_CONFIG.abandonedRunAfterMs);
    stats.dropped_news = await dropUnscheduledNews(sql);
    const lane = async (): Promise<void> => {
      while (Date.now() - t0 < opts.budgetMs) {
        const due = await claimDueScan(sql, CLAIM_MS);
        if (!due) return;
        stats.scanned++;
        try {
          const r = await runScan(deps, due.orgId, 'cron');
          if (r.status === 'succeeded') stats.succeeded++;
          else stats.skipped++;
        } catch (e) {
          stats.failed++;
          report(e);
        } finally {
          await releaseClaim(sql, due.orgId).catch(report);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, lane));
  } finally {
    await releaseDispatchLease(sql).catch(report);
  }
  stats.ms = Date.now() - t0;
  return stats;
}
