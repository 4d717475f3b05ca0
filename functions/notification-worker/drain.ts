/**
 * The worker loop: reap, claim a batch, send it concurrently, record each outcome,
 * again until nothing is due; then wait for the next due row (a short backoff, a
 * lapsing claim) if it comes within the run's budget, else stop — the next wake-up or
 * the schedule carries on.
 */
import type { Sql } from 'postgres';
import { exhausted, judge } from '../_shared/notifications/retry.ts';
import { sendAttempt, type SendDeps } from '../_shared/notifications/send.ts';
import { claim, nextDueAt, reap, record, type Job } from './store/outbox.ts';

export interface DrainDeps extends SendDeps {
  sql: Sql;
  alertUrl: (alertId: string) => string;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface DrainStats {
  sent: number;
  delivered: number;
  retried: number;
  dead: number;
  excluded: number;
  silenced: number;
}

export const DRAIN = {
  batch: 50,
  /** How long one run keeps waiting for rows coming due. */
  budgetMs: 30_000,
  minWaitMs: 200,
  maxWaitMs: 2_000,
} as const;

async function attempt(job: Job, deps: DrainDeps, stats: DrainStats): Promise<void> {
  const { result, latencyMs } = await sendAttempt(job, deps);
  const now = (deps.now ?? Date.now)();
  const verdict = judge(result, job.attempt, now, (deps.random ?? Math.random)());
  const answer = result.kind === 'answer' ? result : null;
  stats.sent++;
  if (verdict.outcome === 'delivered') stats.delivered++;
  const dead = verdict.outcome === 'failed' || (verdict.outcome === 'retry' && exhausted(job.attempt, job.queuedAt.getTime(), now + verdict.delayMs));
  if (dead) stats.dead++;
  else if (verdict.outcome === 'retry') stats.retried++;
  await record(deps.sql, job, {
    outcome: verdict.outcome,
    httpStatus: answer?.status ?? null,
    latencyMs,
    response: answer?.body ?? null,
    error: verdict.outcome === 'delivered' ? null : verdict.error,
    retryInMs: verdict.outcome === 'retry' ? verdict.delayMs : undefined,
    dead,
  });
}

export async function drain(deps: DrainDeps, budgetMs: number = DRAIN.budgetMs): Promise<DrainStats> {
  const stats: DrainStats = { sent: 0, delivered: 0, retried: 0, dead: 0, excluded: 0, silenced: 0 };
  const until = Date.now() + budgetMs;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (;;) {
    stats.dead += await reap(deps.sql);
    const batch = await claim(deps.sql, DRAIN.batch, deps.alertUrl);
    stats.excluded += batch.excluded;
    stats.silenced += batch.silenced;
    if (batch.jobs.length > 0) {
      await Promise.all(batch.jobs.map((j) => attempt(j, deps, stats)));
      continue;
    }
    if (batch.excluded + batch.silenced > 0) continue;
    const next = await nextDueAt(deps.sql);
    const now = Date.now();
    if (next === null || next.getTime() >= until || now >= until) return stats;
    await sleep(Math.min(DRAIN.maxWaitMs, Math.max(DRAIN.minWaitMs, next.getTime() - now)));
  }
}
