/**
 * The schedule's round: one POST a minute starts it; the function answers 202 at once and
 * runs it in the background (EdgeRuntime.waitUntil), so pg_net never waits on a scan.
 *
 * A round holds the dispatcher lease (one round at a time, however many POSTs overlap),
 * fails abandoned runs of every org, then runs `concurrency` lanes; each lane claims the
 * most overdue org (news first-come first-served, then bucket-boundary rescans), has it
 * scanned, releases it, and claims again. Until its budget is spent a background round
 * keeps polling for news every `pollMs`, so an event waits seconds for its scan, not the
 * rest of the minute; what is left when the budget ends waits for the next round, oldest
 * first, so no org starves.
 *
 * Each scan is its own request to this function (`scanOne`), never run inside the round's:
 * the hosted runtime limits CPU per request (2 s), which one scan fits and a round of
 * fifty would not. The round itself only waits.
 */
import type { ScanDispatchStats } from '../_shared/contract.ts';
import type { ErrorReporter } from '../_shared/http.ts';
import type { Sql } from 'postgres';
import { claimDueScan, dropUnscheduledNews, releaseClaim, releaseDispatchLease, takeDispatchLease } from './store/dispatch.ts';
import { failAbandonedRuns } from './store/scan-runs.ts';
import { DEFAULT_SCAN_CONFIG } from './rules/config.ts';

export interface DispatchOptions {
  /** Scans in flight at once. */
  concurrency: number;
  /** No new claim after this long (the round's scans then finish). */
  budgetMs: number;
  /** With nothing due, look again after this long until the budget ends; null: end the round. */
  pollMs: number | null;
  /** An org is not scanned again until this long after its last scan started (any trigger). */
  minIntervalMs: number;
}

/**
 * Two scans at a time; claims for 50 s, polling every 2 s: a round ends before the next
 * minute's starts. A busy org is scanned at most every 30 s: with news every few seconds it
 * was rescanned back to back (migrations/20261207010000_scan_min_interval.sql).
 */
export const DEFAULT_DISPATCH: Readonly<DispatchOptions> = Object.freeze({ concurrency: 2, budgetMs: 50_000, pollMs: 2_000, minIntervalMs: 30_000 });

/** How one org's scan ended. */
export type ScanOutcome = 'succeeded' | 'skipped' | 'failed';

export interface DispatchDeps {
  sql: Sql;
  /** Scan one org (a request to this function on the platform; in-process in tests and benchmarks). */
  scanOne: (orgId: string) => Promise<ScanOutcome>;
  report?: ErrorReporter;
}

/** The round's options from the environment (unset or invalid: the defaults). */
export function dispatchFromEnv(concurrency: string | undefined, budgetMs: string | undefined, minIntervalMs?: string): DispatchOptions {
  const int = (v: string | undefined, min: number, max: number, dflt: number): number => {
    const n = Number(v);
    return v !== undefined && Number.isInteger(n) && n >= min && n <= max ? n : dflt;
  };
  return {
    ...DEFAULT_DISPATCH,
    concurrency: int(concurrency, 1, 16, DEFAULT_DISPATCH.concurrency),
    budgetMs: int(budgetMs, 1_000, 300_000, DEFAULT_DISPATCH.budgetMs),
    minIntervalMs: int(minIntervalMs, 0, 3_600_000, DEFAULT_DISPATCH.minIntervalMs),
  };
}

/**
 * The round's lease lapses this long after its last claim could be made, so a round whose
 * worker or database died mid-round holds up the schedule for at most a couple of minutes
 * (its last scans may then overlap the next round's: briefly up to twice the concurrency).
 */
const LEASE_SLACK_MS = 60_000;

/**
 * A claim outlives a scan request (the platform's 150 s request idle timeout); a dead round's
 * claims then expire within that. A scan that outlives its claim is harmless: a second scan
 * of the org skips at the write lock or writes the same plan.
 */
const CLAIM_MS = 150_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One round; null when another round holds the lease. `req` started it (for error reports). */
export async function dispatchRound(deps: DispatchDeps, opts: DispatchOptions, req: Request): Promise<ScanDispatchStats | null> {
  const { sql } = deps;
  const report = (e: unknown): void => deps.report?.(e, req);
  const t0 = Date.now();
  const left = (): number => opts.budgetMs - (Date.now() - t0);
  const lease = await takeDispatchLease(sql, opts.budgetMs + LEASE_SLACK_MS);
  if (lease === null) return null;
  const stats: ScanDispatchStats = { scanned: 0, succeeded: 0, skipped: 0, failed: 0, abandoned: 0, dropped_news: 0, ms: 0 };
  try {
    // An org with nothing new is not scanned, so the round marks every org's abandoned runs.
    stats.abandoned = (await failAbandonedRuns(sql, null, DEFAULT_SCAN_CONFIG.abandonedRunAfterMs)).length;
    stats.dropped_news = await dropUnscheduledNews(sql);
    const lane = async (): Promise<void> => {
      while (left() > 0) {
        const due = await claimDueScan(sql, CLAIM_MS, opts.minIntervalMs);
        if (!due) {
          if (opts.pollMs === null || left() <= opts.pollMs) return;
          await sleep(opts.pollMs);
          continue;
        }
        stats.scanned++;
        try {
          stats[await deps.scanOne(due.orgId)]++;
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
    await releaseDispatchLease(sql, lease).catch(report);
  }
  stats.ms = Date.now() - t0;
  return stats;
}

/**
 * `scanOne` on the platform: POST `{org_id, trigger: "cron"}` to this function with the
 * round's own credentials (the schedule's service-role JWT), one request per scan.
 */
export function scanOverHttp(functionUrl: string, req: Request): (orgId: string) => Promise<ScanOutcome> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const h of ['authorization', 'apikey']) {
    const v = req.headers.get(h);
    if (v) headers[h] = v;
  }
  return async (orgId) => {
    const res = await fetch(functionUrl, { method: 'POST', headers, body: JSON.stringify({ org_id: orgId, trigger: 'cron' }) });
    const body = await res.json().catch(() => null) as { status?: string; message?: string } | null;
    if (!res.ok) throw new Error(`scan of org ${orgId}: HTTP ${res.status} ${body?.message ?? ''}`.trim());
    return body?.status === 'succeeded' ? 'succeeded' : 'skipped';
  };
}
