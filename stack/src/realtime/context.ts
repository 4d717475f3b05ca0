import type { Db } from './db.ts';
import type { Logger } from '../log.ts';
import type { Catalog } from './catalog.ts';
import type { RealtimeLimits } from './constants.ts';
import type { Hub } from './hub.ts';
import type { TokenVerifier } from './jwt.ts';
import type { Metrics } from './metrics.ts';
import type { PresenceHub } from './presence.ts';
import type { ReplicationStream } from './replication.ts';
import type { SubscriptionRegistry } from './subscriptions.ts';

/** Everything a socket or channel reaches in the running server. */
export interface RealtimeContext {
  limits: RealtimeLimits;
  log: Logger;
  /** The server's own pool (RLS checks, authorization probes, replay). */
  sql: Db;
  tokens: TokenVerifier;
  catalog: Catalog;
  hub: Hub;
  presence: PresenceHub;
  registry: SubscriptionRegistry;
  metrics: Metrics;
  replication(): ReplicationStream | undefined;
  /** Channel joins in the last second, all connections (and records this one). */
  tryJoin(): boolean;
  shuttingDown(): boolean;
  nextUid(): number;
}

/** Sliding one-second window counter. */
export class RateWindow {
  private stamps: number[] = [];
  constructor(private readonly perSecond: () => number) {}

  tryTake(now = Date.now()): boolean {
    const cutoff = now - 1_000;
    let i = 0;
    while (i < this.stamps.length && this.stamps[i]! <= cutoff) i++;
    if (i > 0) this.stamps.splice(0, i);
    if (this.stamps.length >= this.perSecond()) return false;
    this.stamps.push(now);
    return true;
  }
}

/** Realtime's FlexibleBoolean: true, "true" (and 1) count as true. */
export function flexBool(v: unknown): boolean {
  return v === true || v === 'true' || v === 1 || v === '1';
}

export function asObject(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
