/**
 * The registry of Postgres Changes subscriptions (one per binding of a joined channel),
 * indexed by table so a change finds its candidate subscribers without scanning all.
 * Registration is synchronous: a binding is live before its join reply is sent.
 */
import type { BindingSpec, Action } from './filters.ts';
import { stableStringify, type ClaimPaths } from './policy-claims.ts';
import type { Claims } from './jwt.ts';
import type { Envelope, Vsn } from './serializer.ts';
import type { WireFrame } from './ws-frame.ts';

/** What the dispatcher needs from the channel a subscription belongs to. */
export interface ChangeSubscriber {
  readonly uid: number;
  readonly topic: string;
  readonly vsn: Vsn;
  /** Current claims (replaced on access_token). */
  readonly claims: Claims;
  /** groupKey(role, claims, paths), cached per subscriber. */
  groupKey(paths: ClaimPaths): string;

  /** One complete WebSocket frame (ws-frame.ts), often the same Buffer on many sockets. */
  send(frame: WireFrame): void;
}

export interface PgSubscription {
  subscriber: ChangeSubscriber;
  /** The id echoed in the join reply and listed in `ids`. */
  id: number;
  spec: BindingSpec;
  /** Order of the binding within its channel. */
  index: number;
  /** Its postgres_changes frames' bytes around `data` when it is the only matching binding (set by the pipeline). */
  envelope?: Envelope;
}

/**
 * Realtime's binding id is `:erlang.phash2(params)` — a 27-bit hash of the binding as
 * sent, so identical bindings share an id. Same idea here: FNV-1a over the canonical
 * JSON, folded to 27 bits, never 0 (realtime-js ignores id 0).
 */
export function bindingId(params: unknown): number {
  const text = stableStringify(params);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const id = (h ^ (h >>> 27)) & 0x7ffffff;
  return id === 0 ? 1 : id;
}

export class SubscriptionRegistry {
  private readonly byTable = new Map<string, Set<PgSubscription>>();
  private readonly wildcard = new Set<PgSubscription>();
  private count = 0;
  /** Bumped by every change to the registry or to a subscriber's claims (cached plans compare it). */
  version = 0;

  /** A subscriber's claims changed (access_token): plans made for the old ones are stale. */
  touch(): void {
    this.version++;
  }

  add(sub: PgSubscription): void {
    this.version++;
    if (sub.spec.schema === '*' || sub.spec.table === '*') this.wildcard.add(sub);
    else {
      const key = `${sub.spec.schema}.${sub.spec.table}`;
      let set = this.byTable.get(key);
      if (!set) { set = new Set(); this.byTable.set(key, set); }
      set.add(sub);
    }
    this.count++;
  }

  remove(sub: PgSubscription): void {
    this.version++;
    let removed = false;
    if (this.wildcard.delete(sub)) removed = true;
    else {
      const key = `${sub.spec.schema}.${sub.spec.table}`;
      const set = this.byTable.get(key);
      if (set?.delete(sub)) {
        removed = true;
        if (set.size === 0) this.byTable.delete(key);
      }
    }
    if (removed) this.count--;
  }

  /** Subscriptions for this table and action (filters not yet applied). */
  candidates(schema: string, table: string, action: Action): PgSubscription[] {
    const out: PgSubscription[] = [];
    const set = this.byTable.get(`${schema}.${table}`);
    if (set) for (const s of set) if (s.spec.action === '*' || s.spec.action === action) out.push(s);
    for (const s of this.wildcard) {
      if (s.spec.action !== '*' && s.spec.action !== action) continue;
      if (s.spec.schema !== '*' && s.spec.schema !== schema) continue;
      if (s.spec.table !== '*' && s.spec.table !== table) continue;
      out.push(s);
    }
    return out;
  }

  get size(): number {
    return this.count;
  }
}
