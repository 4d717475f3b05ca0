/**
 * The schedule's side of the scan (migrations/20261206121500_scan_dispatch.sql): one
 * dispatcher at a time holds the `scan_dispatcher` lease and claims due orgs one by one
 * (`claim_due_scan`, `for update skip locked`); each claim is released when its scan ends
 * and expires on its own if the worker dies.
 */
import type { ISql } from 'postgres';

export interface DueScan {
  orgId: string;
  /** The oldest unconsumed news, or the bucket start of a boundary rescan. */
  since: Date;
  reason: 'news' | 'bucket';
}

const secs = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/**
 * Take the dispatcher lease: what identifies it (its expiry in epoch microseconds, exact),
 * or null when another dispatcher holds it.
 */
export async function takeDispatchLease(sql: ISql, holdMs: number): Promise<string | null> {
  const [row] = await sql<Array<{ lease: string }>>`
    update public.scan_dispatcher set leased_until = now() + make_interval(secs => ${secs(holdMs)})
     where id = 1 and (leased_until is null or leased_until < now())
    returning (extract(epoch from leased_until) * 1000000)::bigint::text as lease`;
  return row?.lease ?? null;
}

/** Give the lease back — only if it is still ours (a round that outlived it must not end the next one's). */
export async function releaseDispatchLease(sql: ISql, lease: string): Promise<void> {
  await sql`update public.scan_dispatcher set leased_until = null
             where id = 1 and (extract(epoch from leased_until) * 1000000)::bigint = ${lease}::bigint`;
}

/**
 * The most overdue org, claimed for `leaseMs`; null when none is due. An org whose last
 * committed scan started less than `minIntervalMs` ago is not due yet.
 */
export async function claimDueScan(sql: ISql, leaseMs: number, minIntervalMs: number): Promise<DueScan | null> {
  const [row] = await sql<Array<{ org_id: string; since: Date; reason: 'news' | 'bucket' }>>`
    select org_id, since, reason
      from public.claim_due_scan(lease => make_interval(secs => ${secs(leaseMs)}),
                                 min_interval => make_interval(secs => ${Math.max(0, minIntervalMs) / 1000}))`;
  return row ? { orgId: row.org_id, since: row.since, reason: row.reason } : null;
}

export async function releaseClaim(sql: ISql, orgId: string): Promise<void> {
  await sql`update public.org_scan_state set claimed_until = null where org_id = ${orgId}`;
}

/** News of orgs the schedule does not scan (an HTTP scan consumes it anyway). */
export async function dropUnscheduledNews(sql: ISql): Promise<number> {
  const [row] = await sql<Array<{ n: string }>>`select public.drop_unscheduled_scan_news()::text as n`;
  return Number(row!.n);
}
