/**
 * Subscription filters. Columns that never change on a row (org, category) may be
 * filtered by the server; status and severity change over a row's life, so they are
 * applied in the SDK after merging — a server-side filter would never deliver the
 * update that moves a row out of the filter.
 */
import type { LifecycleOf, StreamName, StreamRow, SubscribeOptions, Transport } from './types.ts';

/** The column the `status` filter reads (alerts call their lifecycle `state`). */
export const LIFECYCLE_COLUMN = { hotspots: 'status', alerts: 'state', recommendations: 'status' } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Values Realtime's filter parser would need quoted; those are filtered in the SDK only. */
const NEEDS_QUOTING = /[,()"\\\s]/;

/** What identifies one shared feed: the stream, the transport and the immutable filters. */
export interface FeedSpec<S extends StreamName> {
  stream: S;
  transport: Transport;
  orgId: string | undefined;
  category: string | undefined;
  key: string;
}

export function feedSpec<S extends StreamName>(stream: S, transport: Transport, opts: SubscribeOptions<S>): FeedSpec<S> {
  if (opts.orgId !== undefined && !UUID.test(opts.orgId)) throw new TypeError(`orgId must be a UUID, got "${opts.orgId}".`);
  if (opts.category !== undefined && (typeof opts.category !== 'string' || opts.category === '')) {
    throw new TypeError('category must be a non-empty string.');
  }
  if (opts.category !== undefined && stream === 'recommendations') {
    throw new TypeError('recommendations have no category; filter their alerts or hotspots instead.');
  }
  if (transport === 'broadcast' && opts.orgId === undefined) {
    throw new TypeError('The broadcast transport needs orgId: its topics are org:<org_id>:<stream>.');
  }
  const orgId = opts.orgId?.toLowerCase();
  return { stream, transport, orgId, category: opts.category, key: `${transport}|${stream}|${orgId ?? '*'}|${opts.category ?? '*'}` };
}

/** The postgres_changes `filter` string: one condition on an immutable column, or none. */
export function serverFilter(spec: FeedSpec<StreamName>): string | undefined {
  if (spec.orgId) return `org_id=eq.${spec.orgId}`;
  if (spec.category && !NEEDS_QUOTING.test(spec.category)) return `category=eq.${spec.category}`;
  return undefined;
}

/** The private broadcast topic Broadcast from Database writes this stream to. */
export function broadcastTopic(spec: FeedSpec<StreamName>): string {
  return `org:${spec.orgId}:${spec.stream}`;
}

type AnyRow = { org_id: string; category?: string; severity?: string; status?: string; state?: string };

/** Immutable filters, re-checked in the SDK (resume pages are not filtered by the server). */
export function matchesFeed<S extends StreamName>(spec: FeedSpec<S>, row: StreamRow<S>): boolean {
  const r = row as unknown as AnyRow;
  if (spec.orgId !== undefined && String(r.org_id).toLowerCase() !== spec.orgId) return false;
  if (spec.category !== undefined && r.category !== undefined && r.category !== spec.category) return false;
  return true;
}

/** The mutable filters (status, severity) of one subscription; undefined = keep all. */
export function viewPredicate<S extends StreamName>(stream: S, opts: SubscribeOptions<S>): ((row: StreamRow<S>) => boolean) | undefined {
  const statuses = opts.status ? new Set<string>(opts.status as ReadonlyArray<LifecycleOf<S>>) : undefined;
  const severities = opts.severity ? new Set<string>(opts.severity as readonly string[]) : undefined;
  if (severities && stream === 'recommendations') throw new TypeError('recommendations have no severity; filter by status instead.');
  if (!statuses && !severities) return undefined;
  const col = LIFECYCLE_COLUMN[stream];
  return (row) => {
    const r = row as unknown as AnyRow;
    if (statuses && !statuses.has(String(r[col]))) return false;
    if (severities && !severities.has(String(r.severity))) return false;
    return true;
  };
}
